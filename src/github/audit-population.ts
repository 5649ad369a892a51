// What an audit export reads from GitHub (SPEC §6.4), as listed: closed pull requests, a merge
// commit's parent, comments, compliance/audit check runs, exception issues, branches, commits, and
// the pull requests of a commit. Reading only: what belongs in the population is audit/population.ts's.
import type { Author } from "../audit/writer.js";
import type { ListedCheckRun, ListedComment, ListedCommit, ListedIssue } from "../audit/population.js";
import { AUDIT_CHECK } from "./checks.js";
import { GatherFailed, type GitHubSession } from "./client.js";
import { EXCEPTION_LABEL } from "./exception-issues.js";
import { closedPullsOf, type ClosedPull } from "./merged-pulls.js";

/** Pages of closed pull requests (100 each) listed at most: an export past that must use a shorter period. */
const MAX_PULL_PAGES = 500;
/** Pages of a gated branch's commits (100 each) listed at most. */
export const MAX_COMMIT_PAGES = 100;
/** Pages of branches (100 each) listed at most, to find the branches policies gate by pattern. */
export const MAX_BRANCH_PAGES = 10;
/** Pages of a change's comments (100 each) read at most. */
export const MAX_COMMENT_PAGES = 30;
/** Pages of a commit's compliance/audit check runs (100 each) read at most. */
export const MAX_CHECK_RUN_PAGES = 5;
/** Pages of compliance-exception issues (100 each) read at most, once per export. */
export const MAX_EXCEPTION_PAGES = 10;
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

/**
 * Every closed pull request updated since `since`, newest update first. Why this list and not
 * the search API: search answers at most 1,000 results per query and its index lags behind
 * merges, so it can silently leave a merged pull request out; this list is GitHub's own record,
 * and complete. A merge updates a pull request, so once a page reaches one updated before
 * `since`, no later page can hold a pull request merged in the period. Past MAX_PULL_PAGES it
 * throws GatherFailed.
 */
export async function listClosedPullsSince(
  gh: GitHubSession,
  request: { owner: string; repo: string; repository: string; since: number; started: number; progress?: (message: string) => void },
): Promise<ClosedPull[]> {
  const { owner, repo, repository, since } = request;
  const byNumber = new Map<number, ClosedPull>();
  const route = "GET /repos/{owner}/{repo}/pulls";
  const params = { owner, repo, state: "closed", sort: "updated", direction: "desc" };
  let pages = 0;
  let more = false;
  for await (const { items, page, next } of gh.pages(route, params, (page) => `listing closed pull requests of ${repository} (page ${page})`, {
    maxPages: MAX_PULL_PAGES,
    items: closedPullsOf,
  })) {
    pages = page;
    let older = false;
    for (const pull of items) {
      if (Date.parse(pull.updated_at) < since) {
        older = true;
        break;
      }
      byNumber.set(pull.number, pull);
    }
    if (page % 5 === 0) request.progress?.(`listed ${byNumber.size} closed pull requests…`);
    more = next && !older;
    if (older) break;
  }
  if (more) {
    throw new GatherFailed(`more than ${MAX_PULL_PAGES * 100} pull requests of ${repository} were closed or updated since ${iso(since)}: export a shorter period`);
  }
  // A pull request updated while the pages were read moves to the first page, shifting the rest
  // by one: it could slip past the pages already read. Read the top once more to catch it.
  if (pages > 1) {
    const catchUpFrom = request.started - 5 * 60_000;
    for await (const { items } of gh.pages(route, params, `listing recently updated pull requests of ${repository}`, { maxPages: pages, items: closedPullsOf })) {
      const fresh = items.filter((pull) => Date.parse(pull.updated_at) >= catchUpFrom);
      for (const pull of fresh) byNumber.set(pull.number, pull);
      if (fresh.length < items.length) break;
    }
  }
  return [...byNumber.values()];
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

interface ApiUser {
  login?: string | null;
  type?: string | null;
}

const authorOf = (user: ApiUser | null | undefined): Author | null => user ?? null;

interface ApiComment {
  id: number;
  html_url?: string | null;
  user?: ApiUser | null;
  body?: string | null;
}

/** The comments of pull request #`number`, at most MAX_COMMENT_PAGES pages. */
export async function listPullComments(gh: GitHubSession, owner: string, repo: string, number: number): Promise<Listing<ListedComment>> {
  const listed = await gh.list<ApiComment>(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    { owner, repo, issue_number: number },
    `listing comments of #${number}`,
    { maxPages: MAX_COMMENT_PAGES },
  );
  const items = listed.items.map((c): ListedComment => ({ id: c.id, url: str(c.html_url), author: authorOf(c.user), body: str(c.body) }));
  return { items, complete: listed.complete };
}

interface ApiCheckRun {
  id: number;
  name?: string;
  html_url?: string | null;
  app?: { slug?: string | null } | null;
  output?: { text?: string | null } | null;
  started_at?: string | null;
}

/** Every compliance/audit check run of commit `sha` (not only the latest), at most MAX_CHECK_RUN_PAGES pages. */
export async function listAuditCheckRuns(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<Listing<ListedCheckRun>> {
  const listed = await gh.list<ApiCheckRun>(
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
    { owner, repo, ref: sha, check_name: AUDIT_CHECK, filter: "all" },
    `listing the ${AUDIT_CHECK} check runs of commit ${sha.slice(0, 7)}`,
    { maxPages: MAX_CHECK_RUN_PAGES, items: (data) => (data as { check_runs?: ApiCheckRun[] } | undefined)?.check_runs ?? [] },
  );
  const items = listed.items
    .filter((run) => run.name === undefined || run.name === AUDIT_CHECK)
    .map((run): ListedCheckRun => ({ id: run.id, url: str(run.html_url), app: str(run.app?.slug), text: str(run.output?.text), started_at: str(run.started_at) }));
  return { items, complete: listed.complete };
}

interface ApiIssue {
  number: number;
  html_url?: string | null;
  user?: ApiUser | null;
  body?: string | null;
  created_at?: string | null;
  pull_request?: unknown;
}

/** Pages of the app's own issues (100 each) read at most when looking for enforcement gaps. */
export const MAX_APP_ISSUE_PAGES = 10;

/**
 * The issues `creator` (the app's bot login) opened since `since` (epoch ms), newest first, at
 * most MAX_APP_ISSUE_PAGES pages; `complete` false when more may have been opened since.
 * By author, not by label: anyone who can triage can take a label off, but only the app opens
 * issues as the app, so nobody else's issues can push the app's out of the listing.
 */
export async function listAppIssuesSince(
  gh: GitHubSession,
  request: { owner: string; repo: string; repository: string; creator: string; since: number },
): Promise<Listing<ListedIssue>> {
  const { owner, repo } = request;
  const items: ListedIssue[] = [];
  // `since` filters on the last update, which is never before the creation: the pages end where creations do.
  for await (const page of gh.pages<ApiIssue>(
    "GET /repos/{owner}/{repo}/issues",
    { owner, repo, creator: request.creator, state: "all", sort: "created", direction: "desc", since: iso(request.since) },
    (n) => `listing the issues ${request.creator} opened in ${request.repository} (page ${n})`,
    { maxPages: MAX_APP_ISSUE_PAGES },
  )) {
    for (const issue of page.items) {
      const created = typeof issue.created_at === "string" ? Date.parse(issue.created_at) : Number.NaN;
      if (created < request.since) return { items, complete: true };
      if (issue.pull_request !== undefined) continue;
      items.push({ number: issue.number, url: str(issue.html_url), author: authorOf(issue.user), body: str(issue.body), created_at: str(issue.created_at) });
    }
    if (!page.next) return { items, complete: true };
  }
  return { items, complete: false };
}

/** The compliance-exception issues updated since `since` (pull requests left out), at most MAX_EXCEPTION_PAGES pages. */
export async function listExceptionIssues(
  gh: GitHubSession,
  request: { owner: string; repo: string; repository: string; since: number },
): Promise<Listing<ListedIssue>> {
  const { owner, repo } = request;
  const listed = await gh.list<ApiIssue>(
    "GET /repos/{owner}/{repo}/issues",
    { owner, repo, labels: EXCEPTION_LABEL, state: "all", sort: "created", direction: "asc", since: iso(request.since) },
    `listing the ${EXCEPTION_LABEL} issues of ${request.repository}`,
    { maxPages: MAX_EXCEPTION_PAGES },
  );
  const items = listed.items
    .filter((issue) => issue.pull_request === undefined)
    .map((issue): ListedIssue => ({ number: issue.number, url: str(issue.html_url), author: authorOf(issue.user), body: str(issue.body), created_at: str(issue.created_at) }));
  return { items, complete: listed.complete };
}

interface ApiBranch {
  name: string;
  commit: { sha: string };
}

/** The repository's branches with their tips, at most MAX_BRANCH_PAGES pages. */
export async function listBranchTips(gh: GitHubSession, owner: string, repo: string, repository: string): Promise<Listing<{ name: string; tip: string }>> {
  const listed = await gh.list<ApiBranch>("GET /repos/{owner}/{repo}/branches", { owner, repo }, `listing the branches of ${repository}`, {
    maxPages: MAX_BRANCH_PAGES,
  });
  return { items: listed.items.map((b) => ({ name: b.name, tip: b.commit.sha })), complete: listed.complete };
}

interface ApiCommit {
  sha: string;
  html_url?: string | null;
  parents?: { sha?: unknown }[];
  author?: { login?: unknown } | null;
  committer?: { login?: unknown } | null;
  commit?: { committer?: { date?: unknown } | null } | null;
}

/** The commits reachable from `tip` committed since `since` (GitHub: by committer date), at most MAX_COMMIT_PAGES pages. */
export async function listCommitsSince(
  gh: GitHubSession,
  request: { owner: string; repo: string; branch: string; tip: string; since: number },
): Promise<Listing<ListedCommit>> {
  const { owner, repo, since } = request;
  const listed = await gh.list<ApiCommit>(
    "GET /repos/{owner}/{repo}/commits",
    // GitHub takes whole seconds: rounded down, the caller keeps only what is in the period.
    { owner, repo, sha: request.tip, since: iso(Math.floor(since / 1000) * 1000).replace(/\.000Z$/, "Z") },
    `listing commits of ${request.branch} since ${iso(since)}`,
    { maxPages: MAX_COMMIT_PAGES },
  );
  const items = listed.items.map(
    (c): ListedCommit => ({
      sha: c.sha,
      url: str(c.html_url),
      parents: (c.parents ?? []).flatMap((p) => (typeof p.sha === "string" ? [p.sha] : [])),
      author: str(c.author?.login),
      committer: str(c.committer?.login),
      committed_at: str(c.commit?.committer?.date),
    }),
  );
  return { items, complete: listed.complete };
}

/** The pull requests GitHub associates with commit `sha` (the first page: a commit belongs to few). */
export async function listPullsOfCommit(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<ClosedPull[]> {
  const listed = await gh.list<unknown>(
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    { owner, repo, commit_sha: sha },
    `finding the pull requests of commit ${sha.slice(0, 7)}`,
    { maxPages: 1, items: (data) => (Array.isArray(data) ? data : []) },
  );
  return closedPullsOf(listed.items.map((pull) => ({ updated_at: "", ...(pull as object) })));
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
