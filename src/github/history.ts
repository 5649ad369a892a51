// The repository as GitHub spells it, its branches, a branch's history since a date, the parent
// of a merge commit, and what was deployed to an environment: what an audit export reads to find
// every change of a period (and enforcement, the commits that landed inside a gap).
import type { ListedCommit } from "../audit/population.js";
import type { GitHubSession } from "./client.js";

/** Pages of a gated branch's commits (100 each) listed at most. */
export const MAX_COMMIT_PAGES = 100;
/** Pages of branches (100 each) listed at most, to find the branches policies gate by pattern. */
export const MAX_BRANCH_PAGES = 10;
/** Pages of an environment's deployments (100 each) read at most. */
export const MAX_DEPLOYMENT_PAGES = 20;

/** A listing, and whether it is whole (false when its page limit cut it). */
export interface Listing<T> {
  items: T[];
  complete: boolean;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

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
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
    { owner, repo, commit_sha: sha },
    `reading the merge commit ${sha.slice(0, 7)} of #${pull.number}`,
    { accept: [404, 422] },
  );
  const parent = (response.data as { parents?: { sha?: unknown }[] } | undefined)?.parents?.[0]?.sha;
  return response.status < 300 && typeof parent === "string" ? parent : null;
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

interface ApiCommit {
  sha?: unknown;
  html_url?: string | null;
  parents?: { sha?: unknown }[];
  author?: { login?: unknown } | null;
  committer?: { login?: unknown } | null;
  commit?: { message?: unknown; committer?: { date?: unknown } | null } | null;
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
  const listed = await gh.list<ApiCommit>(
    "GET /repos/{owner}/{repo}/commits",
    { owner, repo, sha: request.tip, since: wholeSeconds(since, Math.floor), ...(until !== undefined ? { until: wholeSeconds(until, Math.ceil) } : {}) },
    `listing commits of ${request.branch} since ${iso(since)}${until !== undefined ? ` until ${iso(until)}` : ""}`,
    { maxPages: request.maxPages ?? MAX_COMMIT_PAGES },
  );
  const items = listed.items.flatMap((c): HistoryEntry[] =>
    typeof c.sha === "string"
      ? [
          {
            sha: c.sha,
            url: str(c.html_url),
            parents: (c.parents ?? []).flatMap((p) => (typeof p.sha === "string" ? [p.sha] : [])),
            author: str(c.author?.login),
            committer: str(c.committer?.login),
            committed_at: str(c.commit?.committer?.date),
            title: (typeof c.commit?.message === "string" ? c.commit.message : "").split("\n", 1)[0]?.slice(0, 200) ?? "",
          },
        ]
      : [],
  );
  return { items, complete: listed.complete };
}

interface ApiDeployment {
  sha?: unknown;
  created_at?: unknown;
}

/** The commits GitHub deployed to `environment` since `since`, newest first (GitHub lists deployments newest first), at most MAX_DEPLOYMENT_PAGES pages. */
export async function listDeploymentShasSince(
  gh: GitHubSession,
  request: { owner: string; repo: string; environment: string; since: number },
): Promise<Listing<string>> {
  const shas: string[] = [];
  for await (const page of gh.pages<ApiDeployment>(
    "GET /repos/{owner}/{repo}/deployments",
    { owner: request.owner, repo: request.repo, environment: request.environment },
    `listing the deployments to ${request.environment}`,
    { maxPages: MAX_DEPLOYMENT_PAGES },
  )) {
    for (const d of page.items) {
      const at = typeof d.created_at === "string" ? Date.parse(d.created_at) : Number.NaN;
      if (at < request.since) return { items: shas, complete: true };
      if (typeof d.sha === "string") shas.push(d.sha);
    }
    if (!page.next) return { items: shas, complete: true };
  }
  return { items: shas, complete: false };
}
