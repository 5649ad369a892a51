// Merged pull requests as the audit needs them: the PR at its merge, the base branch just before
// the merge, the recently merged PRs of a repository, and the merged PRs a commit belongs to.
import { GatherFailed, type GitHubSession } from "./client.js";
import type { PullRequestLike } from "./facts.js";

/** A pull request with what its audit record cites about the merge. */
export interface MergedPull extends PullRequestLike {
  title: string;
  /** The description; null when it has none (or a list left it out). */
  body?: string | null;
  html_url?: string;
  merged: boolean;
  /** ISO 8601; null when not merged. */
  merged_at: string | null;
  /** The merge commit (merge), the squashed commit (squash) or the last replayed commit (rebase). */
  merge_commit_sha: string | null;
  /** Null when GitHub does not say (a deleted account, or a list that omits it). */
  merged_by: string | null;
  labels: { name: string }[];
  /** The base branch's commit GitHub last compared the pull request with, when given. */
  base_sha?: string;
}

interface ApiPull {
  number?: unknown;
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

/** A webhook's or the REST API's pull request, checked: a record is never built on a guessed field. */
export function mergedPullOf(data: unknown): MergedPull {
  const api = (data ?? {}) as ApiPull;
  const number = api.number;
  const head = str(api.head?.sha);
  const base = str(api.base?.ref);
  if (typeof number !== "number" || head === null || base === null) {
    throw new GatherFailed(`GitHub returned a pull request without its number, head commit or base branch`);
  }
  const mergedAt = str(api.merged_at);
  const login = str(api.user?.login);
  const defaultBranch = str(api.base?.repo?.default_branch);
  return {
    number,
    title: str(api.title) ?? "",
    body: str(api.body),
    ...(str(api.html_url) !== null ? { html_url: str(api.html_url) as string } : {}),
    // The list endpoints leave out `merged`; merged_at says the same.
    merged: api.merged === true || mergedAt !== null,
    merged_at: mergedAt,
    merge_commit_sha: str(api.merge_commit_sha),
    merged_by: str(api.merged_by?.login),
    user: login !== null ? { login } : null,
    head: { sha: head },
    base: { ref: base, repo: defaultBranch !== null ? { default_branch: defaultBranch } : {} },
    labels: (api.labels ?? []).flatMap((label) => (typeof label.name === "string" ? [{ name: label.name }] : [])),
    ...(typeof api.changed_files === "number" ? { changed_files: api.changed_files } : {}),
    ...(typeof api.commits === "number" ? { commits: api.commits } : {}),
    ...(typeof api.base?.sha === "string" ? { base_sha: api.base.sha } : {}),
  };
}

/** The pull request as GitHub has it now (with merged_by and the counts, which lists leave out). */
export async function readMergedPull(gh: GitHubSession, owner: string, repo: string, number: number): Promise<MergedPull> {
  const response = await gh.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo, pull_number: number }, `reading #${number}`);
  return mergedPullOf(response.data);
}

interface GitCommit {
  sha?: string;
  message?: string;
  author?: { email?: string; date?: string } | null;
  parents?: { sha?: string }[];
}

interface ListedCommit {
  sha: string;
  parents?: { sha?: string }[];
  commit: { message?: string; author?: { email?: string; date?: string } | null };
}

/** Whether two commits are one replayed by a rebase: git keeps the message, author and author date. */
function sameChange(a: { message?: string; author?: { email?: string; date?: string } | null }, b: ListedCommit["commit"]): boolean {
  return (
    a.message !== undefined &&
    a.message === b.message &&
    a.author?.email !== undefined &&
    a.author.email === b.author?.email &&
    a.author.date !== undefined &&
    Date.parse(a.author.date) === Date.parse(b.author?.date ?? "")
  );
}

/** A squash commit is authored when the PR is merged; a replayed commit keeps its original date. */
const SQUASH_SLACK_MS = 120_000;

/** Where the base branch was just before a merge, and how that was found (for logs). */
export interface BaseBeforeMerge {
  commit: string;
  how: "merge commit" | "squash" | "single commit" | "rebase";
  note?: string;
}

/**
 * The base branch's commit just before the PR merged: the policies that judged the merge were
 * there. For a merge commit or a squash, its first parent. For a rebase merge of n commits,
 * `merge_commit_sha` is the last of n replayed commits, and its first parent already holds the
 * PR's first n-1 commits — possibly a weakened policy — so the chain is walked back n commits,
 * each matched to the PR's own commits by message, author and author date (what a rebase keeps).
 */
export async function baseBeforeMerge(gh: GitHubSession, owner: string, repo: string, pull: MergedPull): Promise<BaseBeforeMerge> {
  const merge = pull.merge_commit_sha;
  if (merge === null) throw new GatherFailed(`GitHub gives no merge commit for #${pull.number}`);
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
    { owner, repo, commit_sha: merge },
    `reading the merge commit ${merge.slice(0, 7)} of #${pull.number}`,
  );
  const data = response.data as GitCommit;
  const parent = data.parents?.[0]?.sha;
  if (typeof parent !== "string") throw new GatherFailed(`the merge commit ${merge.slice(0, 7)} of #${pull.number} has no parent`);
  if ((data.parents?.length ?? 0) > 1) return { commit: parent, how: "merge commit" };
  const count = pull.commits ?? 1;
  if (count <= 1) return { commit: parent, how: "single commit" };
  const authored = Date.parse(data.author?.date ?? "");
  const merged = Date.parse(pull.merged_at ?? "");
  if (Number.isFinite(authored) && Number.isFinite(merged) && Math.abs(merged - authored) <= SQUASH_SLACK_MS) {
    return { commit: parent, how: "squash" };
  }

  // Squash or rebase: a rebase replays the PR's last commit as the merge commit.
  const own = await gh.list<ListedCommit>(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
    { owner, repo, pull_number: pull.number },
    `listing commits of #${pull.number}`,
    { maxPages: 3 },
  );
  const last = own.items.at(-1);
  if (last === undefined || !sameChange(data, last.commit)) return { commit: parent, how: "squash" };
  if (!own.complete || own.items.length !== count) {
    return { commit: parent, how: "rebase", note: `only ${own.items.length} of #${pull.number}'s ${count} commits could be listed: judged by the policies at the parent of its last commit` };
  }
  const history = await gh.list<ListedCommit>(
    "GET /repos/{owner}/{repo}/commits",
    { owner, repo, sha: merge },
    `listing the commits before ${merge.slice(0, 7)}`,
    { maxPages: Math.ceil((count + 1) / 100), perPage: Math.min(100, count + 1) },
  );
  const bySha = new Map(history.items.map((c) => [c.sha, c]));
  let current = merge;
  let first = data.parents?.[0]?.sha as string;
  for (let i = count - 2; i >= 0; i -= 1) {
    const previous = bySha.get(first);
    const expected = own.items[i];
    if (previous === undefined || expected === undefined || !sameChange(previous.commit, expected.commit)) {
      return { commit: first, how: "rebase", note: `the rebased commits of #${pull.number} could not all be matched before ${current.slice(0, 7)}` };
    }
    current = first;
    const next = previous.parents?.[0]?.sha;
    if (typeof next !== "string") return { commit: first, how: "rebase", note: `${first.slice(0, 7)} has no parent` };
    first = next;
  }
  return { commit: first, how: "rebase" };
}

/** A closed pull request as the list shows it: enough to tell whether it merged recently. */
export interface ClosedPull {
  number: number;
  merged_at: string | null;
  updated_at: string;
  base: string;
  merge_commit_sha: string | null;
}

/** The closed pull requests of a list page (those GitHub gives without a number, update time or base are left out). */
export function closedPullsOf(data: unknown): ClosedPull[] {
  if (!Array.isArray(data)) return [];
  return (data as ApiPull[]).flatMap((pull) =>
    typeof pull.number === "number" && typeof pull.updated_at === "string" && typeof pull.base?.ref === "string"
      ? [{ number: pull.number, merged_at: str(pull.merged_at), updated_at: pull.updated_at, base: pull.base.ref, merge_commit_sha: str(pull.merge_commit_sha) }]
      : [],
  );
}

/**
 * Closed pull requests updated at or after `since` (epoch ms), most recently updated first, page
 * by page until one reaches past `since` (a PR merged since then was updated since then too).
 * `complete` is false when `maxPages` ran out first.
 */
export async function recentlyClosedPulls(
  gh: GitHubSession,
  owner: string,
  repo: string,
  options: { since: number; maxPages: number; base?: string; perPage?: number },
): Promise<{ pulls: ClosedPull[]; complete: boolean }> {
  const pulls: ClosedPull[] = [];
  const perPage = options.perPage ?? 100;
  for (let page = 1; page <= options.maxPages; page += 1) {
    const response = await gh.request(
      "GET /repos/{owner}/{repo}/pulls",
      { owner, repo, state: "closed", sort: "updated", direction: "desc", per_page: perPage, page, ...(options.base !== undefined ? { base: options.base } : {}) },
      "listing recently closed pull requests",
    );
    const listed = closedPullsOf(response.data);
    for (const pull of listed) {
      if (Date.parse(pull.updated_at) < options.since) return { pulls, complete: true };
      pulls.push(pull);
    }
    const link = response.headers["link"];
    if (listed.length < perPage || typeof link !== "string" || !/rel="next"/.test(link)) return { pulls, complete: true };
  }
  return { pulls, complete: false };
}

/**
 * The merged pull requests GitHub associates with a commit (GET commits/{sha}/pulls). GitHub
 * lists merged ones only for commits on the default branch; elsewhere only open ones come back.
 */
export async function mergedPullsOfCommit(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<ClosedPull[]> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    { owner, repo, commit_sha: sha, per_page: 100 },
    `finding the pull requests of ${sha.slice(0, 7)}`,
  );
  const data = Array.isArray(response.data) ? (response.data as ApiPull[]) : [];
  return closedPullsOf(data.map((pull) => ({ ...pull, updated_at: str(pull.updated_at) ?? "" }))).filter((pull) => pull.merged_at !== null);
}

/** The shas of a pull request's commits (at most 250, GitHub's limit); `complete` false when cut. */
export async function pullCommitShas(gh: GitHubSession, owner: string, repo: string, number: number): Promise<{ shas: Set<string>; complete: boolean }> {
  const listed = await gh.list<{ sha?: string }>(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
    { owner, repo, pull_number: number },
    `listing commits of #${number}`,
    { maxPages: 3 },
  );
  return { shas: new Set(listed.items.flatMap((c) => (typeof c.sha === "string" ? [c.sha] : []))), complete: listed.complete && listed.items.length < 250 };
}
