// Pull requests as GitHub gives them, validated into one type: from a webhook payload, read with
// its ETag remembered (an unchanged PR costs a free 304), the open ones into a base, the recently
// closed ones, those of a commit, and a pull request's commits.
import { GitHubError, type GitHubSession } from "./client.js";
import type { ApiCommit } from "./commit-identities.js";
import { LruCache } from "./lru-cache.js";

/** A pull request: what the app, the audit and the export read of one, whichever way it was read. */
export interface PullRequest {
  number: number;
  state: string;
  draft: boolean;
  title: string;
  /** The description (up to 65,536 characters, anyone's who can open a PR); null when it has none. */
  body: string | null;
  html_url?: string;
  user: { login: string } | null;
  head: { sha: string };
  /** `sha`: the base branch's commit GitHub last compared the pull request with, when given. */
  base: { ref: string; sha?: string; repo: { default_branch?: string } };
  labels: { name: string }[];
  /** Absent from review payloads and from lists. */
  changed_files?: number;
  /** Absent from review payloads and from lists. */
  commits?: number;
  /** GitHub moves it on every push, review, label or edit: two reads with the same one saw the same PR. */
  updated_at?: string;
  /** Lists leave `merged` out; `merged_at` says the same. */
  merged: boolean;
  /** ISO 8601; null when not merged. */
  merged_at: string | null;
  /** The merge commit (merge), the squashed commit (squash) or the last replayed commit (rebase). */
  merge_commit_sha: string | null;
  /** Null when GitHub does not say (a deleted account, or a list that omits it). */
  merged_by: string | null;
}

interface ApiPull {
  number?: unknown;
  state?: unknown;
  draft?: unknown;
  title?: unknown;
  body?: unknown;
  html_url?: unknown;
  merged?: unknown;
  merged_at?: unknown;
  merge_commit_sha?: unknown;
  merged_by?: { login?: unknown } | null;
  user?: { login?: unknown } | null;
  head?: { sha?: unknown };
  base?: { ref?: unknown; sha?: unknown; repo?: { default_branch?: unknown } };
  labels?: { name?: unknown }[];
  changed_files?: unknown;
  commits?: unknown;
  updated_at?: unknown;
}

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** The fields read, so that a remembered pull request stays small (a full one is ~20 KB); null when one the app needs is missing. */
function decode(data: unknown, number: number | undefined): PullRequest | null {
  const api = (data ?? {}) as ApiPull;
  const n = number ?? api.number;
  const head = str(api.head?.sha);
  const base = str(api.base?.ref);
  if (typeof n !== "number" || head === null || base === null) return null;
  const login = str(api.user?.login);
  const defaultBranch = str(api.base?.repo?.default_branch);
  const mergedAt = str(api.merged_at);
  const baseSha = str(api.base?.sha);
  return {
    number: n,
    state: str(api.state) ?? "open",
    draft: api.draft === true,
    title: str(api.title) ?? "",
    body: str(api.body),
    ...(str(api.html_url) !== null ? { html_url: str(api.html_url) as string } : {}),
    user: login !== null ? { login } : null,
    head: { sha: head },
    base: { ref: base, ...(baseSha !== null ? { sha: baseSha } : {}), repo: defaultBranch !== null ? { default_branch: defaultBranch } : {} },
    labels: (Array.isArray(api.labels) ? api.labels : []).flatMap((label) => (typeof label?.name === "string" ? [{ name: label.name }] : [])),
    ...(typeof api.changed_files === "number" ? { changed_files: api.changed_files } : {}),
    ...(typeof api.commits === "number" ? { commits: api.commits } : {}),
    ...(typeof api.updated_at === "string" ? { updated_at: api.updated_at } : {}),
    merged: api.merged === true || mergedAt !== null,
    merged_at: mergedAt,
    merge_commit_sha: str(api.merge_commit_sha),
    merged_by: str(api.merged_by?.login),
  };
}

/** A webhook's or the REST API's pull request, checked: nothing is judged or recorded on a guessed field. */
export function pullRequestOf(data: unknown): PullRequest {
  const pull = decode(data, undefined);
  if (pull === null) throw new GitHubError("GitHub returned a pull request without its number, head commit or base branch");
  return pull;
}

/** The pull requests of a list page; those GitHub gives without a number, head or base are left out. */
function listed(data: unknown): PullRequest[] {
  return (Array.isArray(data) ? data : []).flatMap((item) => decode(item, undefined) ?? []);
}

/**
 * Pull requests by `owner/repo#n` with their ETags, so that re-reading an unchanged one is free.
 * Process-wide, bounded: 1,000 at most, and 16 MiB of titles and descriptions together (a
 * description may hold 65,536 characters).
 */
export class PullMemory {
  readonly known: LruCache<string, { etag: string; pull: PullRequest }>;

  constructor(maxEntries = 1000) {
    this.known = new LruCache({ maxEntries, maxWeight: 16 * 1024 * 1024, weigh: ({ pull }) => 512 + pull.title.length + (pull.body?.length ?? 0) });
  }
}

/**
 * The pull request as GitHub has it now, asked conditionally. Webhook payloads are not used for
 * this: deliveries arrive out of order, and a stale payload's labels or base branch would judge the wrong PR.
 */
export async function readPull(gh: GitHubSession, memory: PullMemory, owner: string, repo: string, number: number): Promise<PullRequest> {
  const key = `${owner}/${repo}#${number}`.toLowerCase();
  const known = memory.known.get(key);
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}",
    { owner, repo, pull_number: number, ...(known ? { headers: { "if-none-match": known.etag } } : {}) },
    `reading #${number}`,
    { accept: known ? [304] : [] },
  );
  if (response.status === 304 && known) return structuredClone(known.pull);
  const pull = decode(response.data, number);
  if (pull === null) throw new GitHubError(`GitHub returned #${number} without its head commit or base branch`);
  const etag = response.headers["etag"];
  if (typeof etag === "string") memory.known.set(key, { etag, pull: structuredClone(pull) });
  else memory.known.delete(key);
  return pull;
}

/**
 * The open pull requests into `base` on `maxPages` pages from `firstPage` (a policy push
 * re-evaluates them all). `nextPage` is where to go on when there were more.
 */
export async function openPullsInto(
  gh: GitHubSession,
  owner: string,
  repo: string,
  base: string | undefined,
  options: { firstPage?: number; maxPages?: number } = {},
): Promise<{ pulls: PullRequest[]; complete: boolean; nextPage: number }> {
  const firstPage = options.firstPage ?? 1;
  const maxPages = options.maxPages ?? 30;
  const result = await gh.list<PullRequest>(
    "GET /repos/{owner}/{repo}/pulls",
    { owner, repo, ...(base !== undefined ? { base } : {}), state: "open" },
    base !== undefined ? `listing the open pull requests into ${base}` : "listing the open pull requests",
    { maxPages, firstPage, items: listed },
  );
  return { pulls: result.items.filter((pull) => pull.state !== "closed"), complete: result.complete, nextPage: firstPage + maxPages };
}

/**
 * The pull requests GitHub associates with a commit (the first 100: a commit belongs to few). GitHub
 * lists merged ones only for commits on the default branch; elsewhere only open ones come back.
 */
export async function pullsOfCommit(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<PullRequest[]> {
  const found = await gh.list<PullRequest>(
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    { owner, repo, commit_sha: sha },
    `finding the pull requests of ${sha.slice(0, 7)}`,
    { maxPages: 1, items: listed },
  );
  return found.items;
}

/** How a listing of closed pull requests ended. */
export interface ClosedListing {
  pulls: PullRequest[];
  /** False when `maxPages` ran out before a pull request updated before `since`. */
  complete: boolean;
  /** Pages read. */
  pages: number;
}

/**
 * Closed pull requests updated at or after `since` (epoch ms), most recently updated first, page by
 * page until one reaches past `since` (a PR merged since then was updated since then too). Those
 * listed without an update time are left out.
 */
export async function closedPullsSince(
  gh: GitHubSession,
  owner: string,
  repo: string,
  options: { since: number; maxPages: number; base?: string; perPage?: number; doing: string | ((page: number) => string); onPage?: (page: number, listed: number) => void },
): Promise<ClosedListing> {
  const pulls: PullRequest[] = [];
  let pages = 0;
  const params = { owner, repo, state: "closed", sort: "updated", direction: "desc", ...(options.base !== undefined ? { base: options.base } : {}) };
  for await (const { items, page, next } of gh.pages("GET /repos/{owner}/{repo}/pulls", params, options.doing, {
    maxPages: options.maxPages,
    perPage: options.perPage ?? 100,
    items: (data) => listed(data).filter((pull) => pull.updated_at !== undefined),
  })) {
    pages = page;
    let older = false;
    for (const pull of items) {
      if (Date.parse(pull.updated_at as string) < options.since) {
        older = true;
        break;
      }
      pulls.push(pull);
    }
    options.onPage?.(page, pulls.length);
    if (older || !next) return { pulls, complete: true, pages };
  }
  return { pulls, complete: false, pages };
}

/** GitHub's pull request commits endpoint lists at most this many commits. */
export const COMMITS_LIST_LIMIT = 250;

/** A pull request's commits as GitHub lists them, at most COMMITS_LIST_LIMIT; `complete` false when GitHub offered another page. */
export async function pullCommits(gh: GitHubSession, owner: string, repo: string, number: number): Promise<{ commits: ApiCommit[]; complete: boolean }> {
  const found = await gh.list<ApiCommit>(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
    { owner, repo, pull_number: number },
    `listing commits of #${number}`,
    { maxPages: Math.ceil(COMMITS_LIST_LIMIT / 100) },
  );
  return { commits: found.items, complete: found.complete };
}
