// A merge queue as GitHub builds it, served by the fake GitHub: entries stacked one on another
// (squash: one commit each; rebase: the PR's commits replayed; merge: a merge commit whose second
// parent is the PR's head), the comparison of the base branch with the group's head, the queue's
// gh-readonly-queue refs, and each queued PR's own reads.
import { API, REPO_PATH, TIP, commit, replyPages, type FakeGitHub } from "./helpers.js";

export type MergeMethod = "merge" | "squash" | "rebase";

/** A changed file as GitHub's files lists show it, with the blob it leaves. */
export interface QueuedFile {
  filename: string;
  status: string;
  sha: string;
}

export interface QueuedPull {
  number: number;
  /** The PR's head commit. */
  head: string;
  author: string;
  files: QueuedFile[];
  reviews: unknown[];
}

/** One entry of the queue: its commit, the commit it is stacked on, and every commit it adds. */
export interface QueueEntry {
  number: number;
  sha: string;
  parent: string;
  commits: CompareCommit[];
}

/** A commit as GitHub's comparison lists it. */
export interface CompareCommit {
  sha: string;
  parents: { sha: string; url: string; html_url: string }[];
  author: unknown;
  committer: unknown;
  commit: unknown;
}

/** A 40-hex sha made from a short tag (`s1` → `5100…`), distinct per tag. */
export function sha(tag: string): string {
  const hex = [...tag].map((c) => c.charCodeAt(0).toString(16)).join("");
  return hex.padEnd(40, "0").slice(0, 40);
}

function compareCommit(id: string, parents: string[], author: string, committer = "web-flow"): CompareCommit {
  const base = commit(id, author, committer) as Record<string, unknown>;
  return {
    ...base,
    sha: id,
    parents: parents.map((p) => ({ sha: p, url: `${API}${REPO_PATH}/commits/${p}`, html_url: `https://github.com${REPO_PATH}/commit/${p}` })),
  } as CompareCommit;
}

/** The entries GitHub would build for `pulls`, queued in this order on the base branch's tip. */
export function buildQueue(method: MergeMethod, pulls: readonly QueuedPull[], base = TIP): QueueEntry[] {
  const entries: QueueEntry[] = [];
  let parent = base;
  for (const pull of pulls) {
    let commits: CompareCommit[];
    let top: string;
    if (method === "squash") {
      top = sha(`sq${pull.number}`);
      commits = [compareCommit(top, [parent], pull.author)];
    } else if (method === "rebase") {
      const first = sha(`rb${pull.number}a`);
      top = sha(`rb${pull.number}b`);
      commits = [compareCommit(first, [parent], pull.author, pull.author), compareCommit(top, [first], pull.author, pull.author)];
    } else {
      top = sha(`mg${pull.number}`);
      // The PR's own commit branched off the base branch, and the queue's merge commit of it.
      commits = [compareCommit(pull.head, [base], pull.author, pull.author), compareCommit(top, [parent, pull.head], pull.author)];
    }
    entries.push({ number: pull.number, sha: top, parent, commits });
    parent = top;
  }
  return entries;
}

/** GET compare/{base}...{head}: the commits of the queue up to `head`, oldest first. */
export function mockRange(github: FakeGitHub, entries: readonly QueueEntry[], head: string, base = TIP): void {
  const upTo = entries.findIndex((e) => e.sha === head);
  const commits = entries.slice(0, upTo + 1).flatMap((e) => e.commits);
  github.scope
    .get(`${REPO_PATH}/compare/${base}...${head}`)
    .query({ per_page: "100", page: "1" })
    .reply(200, {
      url: `${API}${REPO_PATH}/compare/${base}...${head}`,
      status: "ahead",
      ahead_by: commits.length,
      behind_by: 0,
      total_commits: commits.length,
      base_commit: { sha: base },
      merge_base_commit: { sha: base },
      commits,
      files: [],
    });
}

/** GET git/matching-refs/heads/gh-readonly-queue/main/: the queue's refs, as GitHub (or anyone) wrote them. */
export function mockQueueRefs(github: FakeGitHub, refs: readonly { number: number; parent: string; sha: string }[]): void {
  github.scope.get(`${REPO_PATH}/git/matching-refs/heads%2Fgh-readonly-queue%2Fmain%2F`).query(true).reply(
    200,
    refs.map((r) => ({
      ref: `refs/heads/gh-readonly-queue/main/pr-${r.number}-${r.parent}`,
      node_id: "REF_x",
      url: `${API}${REPO_PATH}/git/refs/heads/gh-readonly-queue/main/pr-${r.number}-${r.parent}`,
      object: { sha: r.sha, type: "commit", url: `${API}${REPO_PATH}/git/commits/${r.sha}` },
    })),
  );
}

/** GET compare/{parent}...{sha} of one entry: the files it changes, each with the blob it leaves. */
export function mockEntryFiles(github: FakeGitHub, entry: QueueEntry, files: readonly QueuedFile[]): void {
  github.scope
    .get(`${REPO_PATH}/compare/${entry.parent}...${entry.sha}`)
    .query({ per_page: "1" })
    .reply(200, { status: "ahead", total_commits: entry.commits.length, merge_base_commit: { sha: entry.parent }, commits: entry.commits.slice(0, 1), files });
}

/**
 * A queued PR's own reads: the PR (when it is not the one the event names), its files, reviews and
 * commits, and their confirmation. Not the base tip: the group's evaluation read it once, and each
 * of its PRs is gathered with that one view of it.
 */
export function mockQueuedPull(github: FakeGitHub, pull: QueuedPull, options: { read?: boolean; proof?: boolean; judged?: boolean } = {}): void {
  if (options.read ?? true) github.pull({ number: pull.number, head: pull.head, author: pull.author });
  // A squash or rebase entry named only by a ref proves itself against the PR's files (with their blobs).
  if (options.proof) replyPages(github.scope, `${REPO_PATH}/pulls/${pull.number}/files`, pull.files);
  // A group that fails attribution judges none of its PRs.
  if (options.judged === false) return;
  github.lists({ number: pull.number, files: pull.files, reviews: pull.reviews, commits: [commit(pull.head, pull.author, pull.author)] });
}

/** A queue of one squashed PR whose entry is `at`, stacked on the base branch's tip. */
export function singleEntry(number: number, at: string, author = "carol"): QueueEntry {
  return { number, sha: at, parent: TIP, commits: [compareCommit(at, [TIP], author)] };
}
