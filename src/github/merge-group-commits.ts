// What GitHub shows of a merge group's commits: the commits between the base branch and the
// group's head (with their parents), the merge queue's refs, and the files a stretch of commits
// changes — each file with the blob it leaves, so what lands can be compared with a PR's own files.
import type { ApiCommit as IdentityCommit } from "./commit-identities.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { COMPARE_FILES_LIMIT, readComparison } from "./comparison.js";
import type { LandedFile } from "./git-listings.js";

export type { LandedFile } from "./git-listings.js";

/** A commit of the group: its parents (first parent first) and the accounts GitHub links to it. */
export interface GroupCommit {
  sha: string;
  parents: string[];
  author: string | null;
  committer: string | null;
  /** The commit as GitHub lists it, for who wrote it (commit-identities.ts): its git identities and message. */
  git?: IdentityCommit;
}

/** The commits a merge group would add to its base branch. */
export interface GroupRange {
  /** Where the group leaves the base branch: below it, nothing is the group's. */
  mergeBase: string;
  commits: GroupCommit[];
}

/**
 * The commits of `base...head` (three dots: from their merge base), at most `maxCommits`; a longer
 * range throws, since what is not listed cannot be attributed.
 */
export async function compareRange(gh: GitHubSession, owner: string, repo: string, base: string, head: string, maxCommits: number): Promise<GroupRange> {
  const { totalCommits: total, mergeBase, commits, complete } = await readComparison(gh, {
    owner,
    repo,
    base,
    head,
    perPage: 100,
    maxPages: Math.ceil(maxCommits / 100),
    doing: `listing the commits of the merge group ${head.slice(0, 7)}`,
  });
  if (total !== undefined && total > maxCommits) {
    throw new GitHubError(`the merge group ${head.slice(0, 7)} has ${total} commits, more than the ${maxCommits} this app attributes to pull requests`);
  }
  if (mergeBase === undefined || total === undefined || !complete || commits.length < total) {
    throw new GitHubError(`the commits of the merge group ${head.slice(0, 7)} could not all be listed`);
  }
  return {
    mergeBase,
    commits: commits.map((c) => ({ sha: c.sha, parents: c.parents, author: c.author?.login ?? null, committer: c.committer?.login ?? null, git: c })),
  };
}

/** A ref the merge queue writes: `gh-readonly-queue/<base>/pr-<number>-<sha it is stacked on>`, at the entry's commit. */
export interface QueueRef {
  number: number;
  /** The commit the entry is stacked on, from the ref's name. */
  parent: string;
  /** The entry's commit: where the ref points. */
  sha: string;
}

/** Refs listed at most: a queue holds up to 100 entries per base branch in GitHub's settings. */
const MAX_REF_PAGES = 2;

/**
 * The merge queue's refs of a base branch. GitHub writes them, but does not stop anyone with write
 * access from creating a branch of the same name: a ref alone proves nothing (see merge-group.ts).
 */
export async function queueRefs(gh: GitHubSession, owner: string, repo: string, base: string): Promise<{ refs: QueueRef[]; complete: boolean }> {
  const prefix = `refs/heads/gh-readonly-queue/${base}/`;
  const listed = await gh.list<{ ref?: unknown; object?: { sha?: unknown; type?: unknown } }>(
    "GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
    { owner, repo, ref: `heads/gh-readonly-queue/${base}/` },
    `listing the merge queue's refs of ${base}`,
    { maxPages: MAX_REF_PAGES },
  );
  const refs = listed.items.flatMap((entry): QueueRef[] => {
    if (typeof entry.ref !== "string" || !entry.ref.startsWith(prefix) || typeof entry.object?.sha !== "string") return [];
    const name = /^pr-(\d+)-([0-9a-f]{40})$/.exec(entry.ref.slice(prefix.length));
    return name ? [{ number: Number(name[1]), parent: name[2] as string, sha: entry.object.sha }] : [];
  });
  return { refs, complete: listed.complete };
}

/** What the commits from `base` to `head` change; `complete` false when GitHub's list may be cut. */
export async function filesBetween(gh: GitHubSession, owner: string, repo: string, base: string, head: string): Promise<{ files: LandedFile[]; complete: boolean }> {
  const { files } = await readComparison(gh, { owner, repo, base, head, perPage: 1, doing: `comparing ${base.slice(0, 7)}...${head.slice(0, 7)}` });
  return { files, complete: files.length < COMPARE_FILES_LIMIT };
}
