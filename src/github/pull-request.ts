// Reads a pull request fresh from GitHub, conditionally: an unchanged pull request costs a free 304.
import type { PullRequestLike } from "./facts.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { LruCache } from "./lru-cache.js";

/** What the app reads of a pull request: what the facts gatherer needs, and whether it is still open. */
export interface PullRequest extends PullRequestLike {
  state: string;
  draft: boolean;
  head: { sha: string };
  labels: { name: string }[];
  /** GitHub moves it on every push, review, label or edit: two reads with the same one saw the same PR. */
  updated_at?: string;
}

interface ApiPullRequest {
  number?: unknown;
  state?: unknown;
  draft?: unknown;
  user?: { login?: unknown } | null;
  head?: { sha?: unknown };
  base?: { ref?: unknown; repo?: { default_branch?: unknown } };
  labels?: { name?: unknown }[];
  changed_files?: unknown;
  commits?: unknown;
  updated_at?: unknown;
}

/** Only the fields the app uses, so a cached entry stays small (a full pull request is ~20 KB). */
function trim(data: unknown, number: number): PullRequest {
  const api = (data ?? {}) as ApiPullRequest;
  const head = api.head?.sha;
  const base = api.base?.ref;
  if (typeof head !== "string" || typeof base !== "string") {
    throw new GitHubError(`GitHub returned #${number} without its head commit or base branch`);
  }
  const login = api.user?.login;
  const defaultBranch = api.base?.repo?.default_branch;
  return {
    number,
    state: typeof api.state === "string" ? api.state : "open",
    draft: api.draft === true,
    user: typeof login === "string" ? { login } : null,
    head: { sha: head },
    base: { ref: base, repo: typeof defaultBranch === "string" ? { default_branch: defaultBranch } : {} },
    labels: (api.labels ?? []).flatMap((label) => (typeof label.name === "string" ? [{ name: label.name }] : [])),
    ...(typeof api.changed_files === "number" ? { changed_files: api.changed_files } : {}),
    ...(typeof api.commits === "number" ? { commits: api.commits } : {}),
    ...(typeof api.updated_at === "string" ? { updated_at: api.updated_at } : {}),
  };
}

/** Reads pull requests with their ETags remembered (bounded), so re-reading an unchanged one is free. */
export class PullRequestReader {
  private readonly known: LruCache<string, { etag: string; pull: PullRequest }>;

  constructor(options: { maxEntries?: number } = {}) {
    this.known = new LruCache({ maxEntries: options.maxEntries ?? 1000 });
  }

  /**
   * The pull request as GitHub has it now. Webhook payloads are not used for this: deliveries
   * arrive out of order, and a stale payload's labels or base branch would judge the wrong PR.
   */
  async read(gh: GitHubSession, owner: string, repo: string, number: number): Promise<PullRequest> {
    const key = `${owner}/${repo}#${number}`.toLowerCase();
    const known = this.known.get(key);
    const response = await gh.request(
      "GET /repos/{owner}/{repo}/pulls/{pull_number}",
      { owner, repo, pull_number: number, ...(known ? { headers: { "if-none-match": known.etag } } : {}) },
      `reading #${number}`,
      { accept: known ? [304] : [] },
    );
    if (response.status === 304 && known) return structuredClone(known.pull);
    const pull = trim(response.data, number);
    const etag = response.headers["etag"];
    if (typeof etag === "string") this.known.set(key, { etag, pull: structuredClone(pull) });
    else this.known.delete(key);
    return pull;
  }
}

/** An open pull request as a list shows it: enough to start its evaluation. */
export interface ListedPull {
  number: number;
  head: string;
  base: string;
}

function listed(data: unknown): ListedPull[] {
  if (!Array.isArray(data)) return [];
  return (data as ApiPullRequest[]).flatMap((pull) =>
    typeof pull.number === "number" && typeof pull.head?.sha === "string" && typeof pull.base?.ref === "string" && pull.state !== "closed"
      ? [{ number: pull.number, head: pull.head.sha, base: pull.base.ref }]
      : [],
  );
}

/** The open pull requests whose head is `sha` (a re-run of a check whose payload names no PR, as for forks). */
export async function openPullsWithHead(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<ListedPull[]> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    { owner, repo, commit_sha: sha, per_page: 100 },
    `finding the pull requests of ${sha.slice(0, 7)}`,
  );
  return listed(response.data).filter((pull) => pull.head === sha);
}

/**
 * The open pull requests into `base` on `maxPages` pages from `firstPage` (a policy push
 * re-evaluates them all). `nextPage` is where to go on when there were more.
 */
export async function openPullsInto(
  gh: GitHubSession,
  owner: string,
  repo: string,
  base: string,
  options: { firstPage?: number; maxPages?: number } = {},
): Promise<{ pulls: ListedPull[]; complete: boolean; nextPage: number }> {
  const firstPage = options.firstPage ?? 1;
  const maxPages = options.maxPages ?? 30;
  const result = await gh.list<unknown>(
    "GET /repos/{owner}/{repo}/pulls",
    { owner, repo, base, state: "open" },
    `listing the open pull requests into ${base}`,
    { maxPages, firstPage, items: (data) => (Array.isArray(data) ? data : []) },
  );
  return { pulls: listed(result.items), complete: result.complete, nextPage: firstPage + maxPages };
}
