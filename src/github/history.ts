// The repository as GitHub spells it, its branches and their tips, a branch's history (since a
// date, or along first parents) and the parent of a merge commit: what an audit export reads to find
// every change of a period, enforcement the commits that landed inside a gap, and the deployment
// gate where a deployed commit is. The one reader of a branch's tip and of a commit history.
import type { ListedCommit } from "../audit/population.js";
import { collect, GitHubError, type GitHubSession, type Page } from "./client.js";
import { readComparison } from "./comparison.js";
import { decodeCommits, type ListedGitCommit } from "./git-listings.js";
import { readGitCommit } from "./git-objects.js";

/** Pages of a gated branch's commits (100 each) listed at most. */
export const MAX_COMMIT_PAGES = 100;
/** Pages of branches (100 each) listed at most, to find the branches policies gate by pattern. */
export const MAX_BRANCH_PAGES = 10;
/** Pages of history listed at most for one first-parent walk (1,000 commits: a merge's own commits are listed too). */
const MAX_HISTORY_PAGES = 10;
/** First-parent commits behind a branch's tip looked at, at most, to find a deployed commit there. */
const MAX_FIRST_PARENT_DEPTH = 1_000;

/** A listing, and whether it is whole (false when its page limit cut it). */
export interface Listing<T> {
  items: T[];
  complete: boolean;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The repository as GitHub spells it (`owner/name`), and its default branch. */
export async function readRepository(gh: GitHubSession, owner: string, repo: string): Promise<{ repository: string; defaultBranch: string }> {
  const response = await gh.request("GET /repos/{owner}/{repo}", { owner, repo }, `reading ${owner}/${repo}`);
  const data = response.data as { full_name?: unknown; default_branch?: unknown };
  return {
    repository: typeof data.full_name === "string" ? data.full_name : `${owner}/${repo}`,
    defaultBranch: typeof data.default_branch === "string" ? data.default_branch : "main",
  };
}

/** The first parent of a merge commit; null when GitHub cannot say (404, 422: the commit is gone). */
export async function mergeCommitParent(gh: GitHubSession, owner: string, repo: string, pull: { number: number; merge_commit_sha: string }): Promise<string | null> {
  const sha = pull.merge_commit_sha;
  const commit = await readGitCommit(gh, owner, repo, sha, { doing: `reading the merge commit ${sha.slice(0, 7)} of #${pull.number}`, missing: "null" });
  return commit?.parents[0] ?? null;
}

/** A branch's tip as last read, with GitHub's ETag of it, for the next read to ask "changed since?". */
export interface BranchTip {
  sha: string;
  etag?: string;
}

/**
 * The commit at the tip of `branch` (GET git/ref/heads/{branch}). Asked with `known` (the tip as
 * last read), conditionally: "unchanged" is GitHub's free 304. With `missing: "null"`, a branch
 * GitHub does not have is null; otherwise its 404 throws GitHubError, as any failure does.
 */
export async function readBranchTip(
  gh: GitHubSession,
  owner: string,
  repo: string,
  branch: string,
  options: { doing: string; known?: { etag: string }; missing?: "null" },
): Promise<BranchTip | "unchanged" | null> {
  const { known } = options;
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/git/ref/{ref}",
    { owner, repo, ref: `heads/${branch}`, ...(known ? { headers: { "if-none-match": known.etag } } : {}) },
    options.doing,
    { accept: [...(known ? [304] : []), ...(options.missing === "null" ? [404] : [])] },
  );
  if (response.status === 304) return "unchanged";
  if (response.status === 404) return null;
  const sha = (response.data as { object?: { sha?: unknown } } | undefined)?.object?.sha;
  if (typeof sha !== "string") throw new GitHubError(`GitHub returned no commit while ${options.doing}`);
  const etag = response.headers["etag"];
  return typeof etag === "string" ? { sha, etag } : { sha };
}

interface ApiBranch {
  name?: unknown;
  commit?: { sha?: unknown };
}

/** The repository's branches with their tips, at most MAX_BRANCH_PAGES pages. */
export async function listBranchTips(gh: GitHubSession, owner: string, repo: string, repository: string): Promise<Listing<{ name: string; tip: string }>> {
  const listed = await gh.list<ApiBranch>("GET /repos/{owner}/{repo}/branches", { owner, repo }, `listing the branches of ${repository}`, {
    maxPages: MAX_BRANCH_PAGES,
  });
  const items = listed.items.flatMap((b) => (typeof b.name === "string" && typeof b.commit?.sha === "string" ? [{ name: b.name, tip: b.commit.sha }] : []));
  return { items, complete: listed.complete };
}

/** A commit of a branch's history, with the first line of its message (at most 200 characters). */
export type HistoryEntry = ListedCommit & { title: string };

/** GitHub takes whole seconds: `since` rounded down, `until` up, so the bounds are never narrowed. */
function wholeSeconds(ms: number, round: (seconds: number) => number): string {
  return iso(round(ms / 1000) * 1000).replace(/\.000Z$/, "Z");
}

/**
 * The commits reachable from `tip` (a sha, or a branch name) committed since `since` (GitHub: by
 * committer date), and before `until` when given, at most `maxPages` pages (default
 * MAX_COMMIT_PAGES). The caller keeps only what is in its period.
 */
export async function listCommitsSince(
  gh: GitHubSession,
  request: { owner: string; repo: string; branch: string; tip: string; since: number; until?: number; maxPages?: number },
): Promise<Listing<HistoryEntry>> {
  const { owner, repo, since, until } = request;
  const listed = await collect(
    commitHistory(gh, {
      owner,
      repo,
      from: request.tip,
      since: wholeSeconds(since, Math.floor),
      ...(until !== undefined ? { until: wholeSeconds(until, Math.ceil) } : {}),
      maxPages: request.maxPages ?? MAX_COMMIT_PAGES,
      doing: `listing commits of ${request.branch} since ${iso(since)}${until !== undefined ? ` until ${iso(until)}` : ""}`,
    }),
  );
  const items = listed.items.map(
    (c): HistoryEntry => ({
      sha: c.sha,
      url: c.url,
      parents: c.parents,
      author: c.author?.login ?? null,
      committer: c.committer?.login ?? null,
      committed_at: c.commit.committer?.date ?? null,
      title: (c.commit.message ?? "").split("\n", 1)[0]?.slice(0, 200) ?? "",
    }),
  );
  return { items, complete: listed.complete };
}

/**
 * The commits reachable from `from` (a sha, or a branch name), newest first (GET commits), page by
 * page, at most `maxPages` pages of `perPage` (default 100): the one reader of a commit history.
 * `since` and `until` (ISO 8601, whole seconds) bound them by committer date.
 */
export function commitHistory(
  gh: GitHubSession,
  request: { owner: string; repo: string; from: string; since?: string; until?: string; perPage?: number; maxPages: number; doing: string },
): AsyncGenerator<Page<ListedGitCommit>, void, undefined> {
  const { owner, repo, since, until } = request;
  return gh.pages(
    "GET /repos/{owner}/{repo}/commits",
    { owner, repo, sha: request.from, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) },
    request.doing,
    { maxPages: request.maxPages, items: decodeCommits, ...(request.perPage !== undefined ? { perPage: request.perPage } : {}) },
  );
}

/** A commit of a branch's history, with its parents (first parent first). */
export interface HistoryCommit {
  sha: string;
  parents: string[];
}

/**
 * The first-parent history from `sha`, newest first, at most `max` commits; `exhausted` when it
 * reached the first commit. Listed page by page (at most MAX_HISTORY_PAGES) only as far as needed.
 */
export async function firstParents(gh: GitHubSession, owner: string, repo: string, sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }> {
  const bySha = new Map<string, HistoryCommit>();
  const commits: HistoryCommit[] = [];
  let next: string | undefined = sha;
  for await (const page of commitHistory(gh, { owner, repo, from: sha, maxPages: MAX_HISTORY_PAGES, doing: `listing the history of ${sha.slice(0, 7)}` })) {
    for (const c of page.items) bySha.set(c.sha, { sha: c.sha, parents: c.parents });
    // Follow first parents as far as the listing goes; list on only when it runs out.
    for (;;) {
      const commit: HistoryCommit | undefined = next === undefined ? undefined : bySha.get(next);
      if (commit === undefined) break;
      commits.push(commit);
      next = commit.parents[0];
      if (commits.length >= max) return { commits, exhausted: false };
      if (next === undefined) return { commits, exhausted: true };
    }
    if (!page.next) break;
  }
  if (commits.length === 0) throw new GitHubError(`GitHub lists no commit ${sha.slice(0, 7)}`);
  return { commits, exhausted: next === undefined };
}

/**
 * Whether `sha` is on `branch`'s first-parent line (its tip, or a commit the tip reaches through
 * first parents): "unknown" when it is an ancestor further back than the history can be listed.
 * One request when `sha` is the tip; else a comparison (is it an ancestor at all?) and the tip's
 * first-parent history, listed until `sha` shows up.
 */
export async function isOnBranch(gh: GitHubSession, owner: string, repo: string, sha: string, branch: string): Promise<boolean | "unknown"> {
  const tip = await readBranchTip(gh, owner, repo, branch, { doing: `reading the tip of ${branch}`, missing: "null" });
  if (tip === null || tip === "unchanged") return false;
  if (tip.sha === sha) return true;
  const compared = await readComparison(gh, { owner, repo, base: sha, head: tip.sha, perPage: 1, doing: `comparing ${sha.slice(0, 7)} with ${branch}`, missing: "null" });
  // `ahead`: the tip has everything of sha and more — sha is an ancestor, maybe off the first-parent line.
  if (compared?.status !== "ahead") return false;
  const { commits, exhausted } = await firstParents(gh, owner, repo, tip.sha, MAX_FIRST_PARENT_DEPTH);
  if (commits.some((c) => c.sha === sha)) return true;
  return exhausted ? false : "unknown";
}
