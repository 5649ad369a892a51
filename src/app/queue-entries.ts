// Which pull request each commit of a merge group belongs to: a pure split of the group's commits
// into the merge queue's entries, from the entries' commits and what is known of them.
//
// How GitHub builds a merge group. GitHub's docs: a queued PR is grouped "with the latest version
// of the base branch as well as changes ahead of it in the queue"; the webhook schema: `base_sha`
// is "the SHA of the merge group's parent commit". Users' listings of the queue's refs and CI
// fixes (a group's diff from `base_sha` "only saw its own increment") show the rest: each queued
// PR is an *entry*, built on top of the entry before it (the first on the base branch's tip) as
// one commit (squash), its commits replayed (rebase), or a merge commit whose second parent is the
// PR's head (merge); its ref `gh-readonly-queue/<base>/pr-<n>-<sha it is stacked on>` points at
// the entry's commit, and its merge_group event's `base_sha` is the previous entry's commit, not
// the base branch. So the group of the third entry holds three PRs (everything between the base
// branch and its head), and the entries are consecutive stretches of the first-parent chain from
// the group's head down to the base branch: entry k is what its commit reaches and the commit it
// is stacked on does not.
import type { GroupCommit } from "../github/merge-group-commits.js";

/** What is known of the entry at one commit, and how it is known. */
export interface EntryLabel {
  number: number;
  /** The commit the entry is stacked on; undefined when unknown. */
  base: string | undefined;
  /**
   * `event`: a merge_group event GitHub sent (this one, or one this process remembers), trusted.
   * `ref`: a gh-readonly-queue ref, which anyone with write access can also create: to be verified.
   */
  source: "event" | "ref";
}

/** A stretch of the group that one PR's entry brought in. */
export interface Entry {
  number: number;
  /** The entry's commit, at the top of the stretch. */
  head: string;
  /** The commit it is stacked on. */
  base: string;
  /** Every commit of the stretch, its merged-in side commits included. */
  commits: string[];
  source: EntryLabel["source"];
}

/** A stretch of the group no entry is known for: its commits belong to no known PR. */
export interface Unowned {
  head: string;
  base: string;
  commits: string[];
}

/** Commits that cannot be attributed, and why. */
export interface Unattributable {
  commits: string[];
  reason: string;
}

export interface Attribution {
  entries: Entry[];
  unowned: Unowned[];
  problems: Unattributable[];
}

/**
 * Splits the commits of `range` (the group's commits above `mergeBase`) into entries along the
 * first-parent chain from `head`. A commit with labels that disagree, or an entry whose base is not
 * below it on the chain, makes the rest of the chain unattributable: a boundary that cannot be
 * trusted cannot say where the next entry starts.
 */
export function attribute(range: { mergeBase: string; commits: readonly GroupCommit[] }, head: string, labels: ReadonlyMap<string, readonly EntryLabel[]>): Attribution {
  const bySha = new Map(range.commits.map((c) => [c.sha, c]));
  const chain: string[] = [];
  for (let at: string | undefined = head; at !== undefined && bySha.has(at) && !chain.includes(at); at = bySha.get(at)?.parents[0]) chain.push(at);
  const position = new Map(chain.map((sha, i) => [sha, i]));
  /** Where the chain leaves the group: the commit below its last one. */
  const bottom = chain.length > 0 ? bySha.get(chain[chain.length - 1] as string)?.parents[0] : undefined;
  const reach = reachability(bySha);

  const result: Attribution = { entries: [], unowned: [], problems: [] };
  const stretch = (top: string, base: string): string[] => {
    const below = reach(base);
    return [...reach(top)].filter((sha) => !below.has(sha));
  };
  let i = 0;
  while (i < chain.length) {
    const at = chain[i] as string;
    const known = distinct(labels.get(at) ?? []);
    if (known.length > 1) {
      const names = known.map((l) => `#${l.number}${l.base !== undefined ? ` on ${l.base.slice(0, 7)}` : ""}`).join(", ");
      result.problems.push({ commits: stretch(at, bottom ?? range.mergeBase), reason: `the merge queue's refs disagree about ${at.slice(0, 7)} (${names})` });
      return result;
    }
    const label = known[0];
    if (label !== undefined) {
      // The last commit of the chain can only be stacked on what is below the group.
      const base = label.base ?? (i === chain.length - 1 ? bottom : undefined);
      const below = base === undefined ? undefined : position.get(base);
      if (base === undefined || (below === undefined ? base !== bottom : below <= i)) {
        const why = base === undefined ? "where its entry starts is unknown" : `the commit it is said to be stacked on, ${base.slice(0, 7)}, is not below it`;
        result.problems.push({ commits: stretch(at, bottom ?? range.mergeBase), reason: `${at.slice(0, 7)} is #${label.number}'s entry, but ${why}` });
        return result;
      }
      result.entries.push({ number: label.number, head: at, base, commits: stretch(at, base), source: label.source });
      i = below ?? chain.length;
      continue;
    }
    // No entry known here: down to the next commit that is one, or out of the group.
    let j = i + 1;
    while (j < chain.length && (labels.get(chain[j] as string) ?? []).length === 0) j += 1;
    const base = j < chain.length ? (chain[j] as string) : (bottom ?? range.mergeBase);
    result.unowned.push({ head: at, base, commits: stretch(at, base) });
    i = j;
  }
  return result;
}

/**
 * The labels of one commit that say different things. A merge_group event is GitHub's word and
 * outranks any ref; an event that does not say where its entry starts takes that from the refs of
 * the same PR. Refs that disagree with each other are all kept: the caller cannot tell which lies.
 */
function distinct(labels: readonly EntryLabel[]): EntryLabel[] {
  const dedupe = (list: readonly EntryLabel[]): EntryLabel[] => [...new Map(list.map((l) => [`${l.number}@${l.base ?? "?"}`, l])).values()];
  const events = dedupe(labels.filter((l) => l.source === "event"));
  const based = events.filter((l) => l.base !== undefined);
  if (based.length > 0) return based;
  const first = events[0];
  if (first !== undefined) {
    if (events.some((l) => l.number !== first.number)) return events;
    const refs = dedupe(labels.filter((l) => l.source === "ref" && l.number === first.number));
    return refs.length > 0 ? refs : [first];
  }
  return dedupe(labels);
}

/** The group's commits reachable from a commit (itself included), memoised; commits outside the group stop the walk. */
function reachability(bySha: ReadonlyMap<string, GroupCommit>): (sha: string) => Set<string> {
  const memo = new Map<string, Set<string>>();
  return (sha) => {
    const cached = memo.get(sha);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const at = stack.pop() as string;
      const commit = bySha.get(at);
      if (commit === undefined || seen.has(at)) continue;
      seen.add(at);
      stack.push(...commit.parents);
    }
    memo.set(sha, seen);
    return seen;
  };
}
