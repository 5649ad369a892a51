// The one in-memory GitHub of the tests: a repository's policies, pull requests, check runs,
// comments, issues, rulesets, history and deployments, answered as GitHub's REST API answers them —
// every GET with an ETag and a 304 for a matching If-None-Match, lists paged (per_page, page, Link:
// rel="next"), a log of every answer with its status. Served two ways: over a loopback HTTP server
// (github-server.ts: the end-to-end test and the request benchmark) and through nock
// (github-nock.ts: the adapters' tests), so both read the same GitHub.
import { createHash } from "node:crypto";

export interface FakeFile {
  filename: string;
  status: string;
  previous_filename?: string;
}

export interface FakeReview {
  id: number;
  user: string;
  state: string;
  commit_id: string;
  submitted_at: string;
}

export interface PostedCheck {
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string;
  title?: string;
  summary?: string;
  external_id?: string;
  /** The output's text: where an audit record (push, deployment, applied) is kept. */
  text?: string;
}

export interface FakePull {
  number: number;
  author: string;
  head: string;
  base: string;
  labels: string[];
  state: "open" | "closed";
  draft?: boolean;
  /**
   * The pull request's `updated_at`. GitHub moves it when anything about the PR changes (a push,
   * a review, a label), and with it the PR's ETag: whoever changes the state should move it too.
   */
  updatedAt?: string;
  /** When it merged (a closed PR), and its merge commit: GitHub lists it for that commit too. */
  mergedAt?: string;
  mergeCommit?: string;
}

/** A pull request with its lists. */
export interface FakePullData {
  pull: FakePull;
  files: FakeFile[];
  reviews: FakeReview[];
  /** Commit shas of the PR, each authored and committed by the author. */
  commits: string[];
}

export interface FakeState {
  owner: string;
  repo: string;
  defaultBranch: string;
  baseTip: string;
  /** Policy files at the base tip (and at every other commit): name -> YAML text. */
  policies: Record<string, string>;
  pull: FakePull;
  files: FakeFile[];
  reviews: FakeReview[];
  /** Commit shas of the PR, each authored and committed by the author. */
  commits: string[];
  teams: Record<string, string[]>;
  /** More pull requests of the repository, besides `pull` (whose lists are `files`, `reviews`, `commits`). */
  otherPulls?: FakePullData[];
  /** The app id check runs are posted under. Default 1. */
  appId?: number;
  /** Repository rulesets, as this app (or a person) wrote them: the fake computes a branch's active rules from them. */
  rulesets?: FakeRuleset[];
  /** Issues of the repository (exception issues), and the comments of issues and pull requests. */
  issues?: FakeIssue[];
  comments?: FakeComment[];
  /** Git commits by sha: their parents (a merge commit's first parent is its base). */
  gitCommits?: Record<string, string[]>;
  /**
   * A merge queue on the base branch: entries stacked one on another from the base tip, each one
   * squash commit of a PR (in `otherPulls` or `pull`), with its gh-readonly-queue ref.
   */
  queue?: { number: number; sha: string; parent: string }[];
  /** The base branch's history, newest first, for GET /commits?sha= and comparisons with the branch. */
  history?: { sha: string; parents: string[] }[];
  /** The files each commit of `history` changed (GET /commits/{sha}). */
  commitFiles?: Record<string, FakeFile[]>;
  /** The answers to deployment protection rules (filled in by the fake). */
  answers?: { run: number; environment_name: string; state: string; comment: string }[];
}

export interface FakeRuleset {
  id: number;
  name: string;
  target: string;
  enforcement: string;
  bypass_actors: unknown[];
  conditions: { ref_name: { include: string[]; exclude: string[] } };
  rules: { type: string; parameters?: { required_status_checks?: { context: string; integration_id?: number }[] } }[];
  updated_at: string;
}

/** An issue of the repository (an exception issue, say); its author is the app unless said. */
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state?: string;
  created_at?: string;
  user?: { login: string; type: string };
}

/** A comment on an issue or pull request (an audit comment, say); its author is the app unless said. */
export interface FakeComment {
  id: number;
  /** The issue or pull request it is on. */
  issue: number;
  body: string;
  created_at?: string;
  user?: { login: string; type: string };
}

/** One request as the fake answered it. */
export interface AnsweredRequest {
  method: string;
  /** After /api/v3, without the query. */
  path: string;
  query: string;
  status: number;
}

export interface FakeGitHub {
  url: string;
  /** GHE_HOST for Probot: host:port. */
  host: string;
  state: FakeState;
  checks: PostedCheck[];
  /** Every request as `METHOD /path` (after /api/v3), in order. */
  requests: string[];
  /** Every request with the status it was answered with (304s included), in order. */
  answered: AnsweredRequest[];
  /** Requests no route answered. */
  unexpected: string[];
  close(): Promise<void>;
}

/** The git blob sha of a text, as GitHub names the blob: changing a file changes its sha. */
export function blobSha(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function pullJson(state: FakeState, pull: FakePull, url: string) {
  const repo = {
    id: 1,
    name: state.repo,
    full_name: `${state.owner}/${state.repo}`,
    owner: { login: state.owner, type: "Organization" },
    default_branch: state.defaultBranch,
  };
  const data = pullData(state, pull.number);
  return {
    id: 1000 + pull.number,
    number: pull.number,
    state: pull.state,
    draft: pull.draft ?? false,
    title: "Bump api",
    html_url: `${url}/${state.owner}/${state.repo}/pull/${pull.number}`,
    updated_at: pull.updatedAt ?? "2026-11-27T09:00:00Z",
    user: { login: pull.author, type: "User" },
    labels: pull.labels.map((name, i) => ({ id: i, name })),
    head: { ref: `feature-${pull.number}`, sha: pull.head, repo },
    base: { ref: pull.base, sha: state.baseTip, repo },
    changed_files: data?.files.length ?? 0,
    commits: data?.commits.length ?? 0,
    merged: pull.mergedAt !== undefined,
    merged_at: pull.mergedAt ?? null,
    merge_commit_sha: pull.mergeCommit ?? null,
  };
}

/** Every pull request of the repository with its lists. */
function allPulls(state: FakeState): FakePullData[] {
  return [{ pull: state.pull, files: state.files, reviews: state.reviews, commits: state.commits }, ...(state.otherPulls ?? [])];
}

function pullData(state: FakeState, number: number): FakePullData | undefined {
  return allPulls(state).find((data) => data.pull.number === number);
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const answer = (status: number, body: unknown): Answer => ({ status, body });

/** One page of a list as GitHub pages it: `per_page` (default 30, at most 100) from `page`, with a Link to the next. */
function paged(items: unknown[], query: URLSearchParams, url: string, path: string): Answer {
  const perPage = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  if (page * perPage >= items.length) return { status: 200, body: slice };
  const next = new URL(`/api/v3${path}`, url);
  for (const [key, value] of query) next.searchParams.set(key, value);
  next.searchParams.set("page", String(page + 1));
  next.searchParams.set("per_page", String(perPage));
  return { status: 200, body: slice, headers: { link: `<${next.href}>; rel="next"` } };
}

/** This app's slug: its comments and issues are written as `compliance-gate[bot]`. */
export const APP_SLUG = "compliance-gate";
const BOT = { login: `${APP_SLUG}[bot]`, type: "Bot" };
const iso = (at: string | undefined): string => at ?? new Date().toISOString();

/** The routes of SPEC §8: history, comparisons with the branch, comments, issues, the answers to deployment protection rules. */
function deploymentRoute(state: FakeState, method: string, path: string, query: URLSearchParams, body: unknown, url: string): Answer | undefined {
  const repo = `/repos/${state.owner}/${state.repo}`;
  const history = state.history ?? [];
  if (method === "GET" && path === `${repo}/commits` && query.get("sha") !== null) {
    const from = history.findIndex((c) => c.sha === query.get("sha"));
    const listed = from === -1 ? [] : history.slice(from).map((c) => ({ sha: c.sha, parents: c.parents.map((p) => ({ sha: p })) }));
    return paged(listed, query, url, path);
  }
  const onBranch = path.match(new RegExp(`^${repo}/compare/([0-9a-f]{40})\\.\\.\\.${state.pull.base}$`));
  if (method === "GET" && onBranch) {
    const at = history.findIndex((c) => c.sha === onBranch[1]);
    if (at === -1) return answer(404, { message: "Not Found" });
    return answer(200, { status: at === 0 ? "identical" : "ahead", ahead_by: at, total_commits: at, commits: [], files: [] });
  }
  const commit = path.match(new RegExp(`^${repo}/commits/([0-9a-f]{40})$`));
  if (method === "GET" && commit) {
    const files = state.commitFiles?.[commit[1] ?? ""];
    if (files === undefined) return answer(404, { message: "No commit found" });
    return answer(200, { sha: commit[1], files: files.map((f) => ({ sha: "0".repeat(40), additions: 1, deletions: 0, changes: 1, ...f })) });
  }
  const run = path.match(new RegExp(`^${repo}/actions/runs/(\\d+)/deployment_protection_rule$`));
  if (method === "POST" && run) {
    const b = body as { environment_name: string; state: string; comment: string };
    (state.answers ??= []).push({ run: Number(run[1]), environment_name: b.environment_name, state: b.state, comment: b.comment });
    return answer(204, "");
  }
  return undefined;
}

function route(state: FakeState, method: string, path: string, query: URLSearchParams, body: unknown, url: string, checks: PostedCheck[]): Answer | undefined {
  const repo = `/repos/${state.owner}/${state.repo}`;
  const appId = state.appId ?? 1;
  // GitHub Enterprise Server serves GraphQL at /api/graphql, beside REST's /api/v3: the issues a merged PR closes.
  if (method === "POST" && path === "/api/graphql") {
    return answer(200, { data: { repository: { pullRequest: { closingIssuesReferences: { totalCount: 0, nodes: [] } } } } });
  }
  const deployment = deploymentRoute(state, method, path, query, body, url);
  if (deployment !== undefined) return deployment;
  if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
    return answer(201, { token: "ghs_fake", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: "all" });
  }
  if (method === "GET" && path === `${repo}/git/ref/heads/${state.pull.base}`) {
    return answer(200, { ref: `refs/heads/${state.pull.base}`, object: { sha: state.baseTip, type: "commit" } });
  }
  if (method === "GET" && path === `${repo}/contents/policies`) {
    return answer(
      200,
      Object.entries(state.policies).map(([name, text]) => ({ name, path: `policies/${name}`, sha: blobSha(text), type: "file", size: text.length })),
    );
  }
  const blob = path.match(new RegExp(`^${repo}/git/blobs/([0-9a-f]{40})$`));
  if (method === "GET" && blob) {
    const text = Object.values(state.policies).find((t) => blobSha(t) === blob[1]);
    if (text === undefined) return answer(404, { message: "Not Found" });
    return answer(200, { sha: blob[1], encoding: "base64", content: Buffer.from(text).toString("base64") });
  }

  const pullMatch = path.match(new RegExp(`^${repo}/pulls/(\\d+)(/[a-z_]+)?$`));
  const data = pullMatch ? pullData(state, Number(pullMatch[1])) : undefined;
  if (pullMatch && data) {
    const pull = data.pull;
    const rest = pullMatch[2] ?? "";
    if (method === "GET" && rest === "") return answer(200, pullJson(state, pull, url));
    if (method === "GET" && rest === "/files") {
      return paged(data.files.map((f) => ({ sha: "0".repeat(40), additions: 1, deletions: 0, changes: 1, ...f })), query, url, path);
    }
    if (method === "GET" && rest === "/reviews") {
      const reviews = data.reviews.map((r) => ({ id: r.id, user: { login: r.user, type: "User" }, state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at, body: "" }));
      return paged(reviews, query, url, path);
    }
    if (method === "GET" && rest === "/commits") {
      const person = { login: pull.author, type: "User" };
      const identity = { name: "c", email: "c@example.com" };
      return paged(data.commits.map((sha) => ({ sha, author: person, committer: person, commit: { author: identity, committer: identity } })), query, url, path);
    }
    if (method === "POST" && rest === "/requested_reviewers") return answer(201, pullJson(state, pull, url));
  }

  const team = path.match(new RegExp(`^/orgs/${state.owner}/teams/([^/]+)/members$`));
  if (method === "GET" && team) {
    const members = state.teams[team[1] ?? ""];
    if (!members) return answer(404, { message: "Not Found" });
    return paged(members.map((login, i) => ({ login, id: i + 1, type: "User" })), query, url, path);
  }
  if (method === "GET" && path === `${repo}/pulls`) {
    const wanted = query.get("state") ?? "open";
    const base = query.get("base");
    const pulls = allPulls(state)
      .map((d) => d.pull)
      .filter((p) => (wanted === "all" || p.state === wanted) && (base === null || p.base === base))
      .map((p) => pullJson(state, p, url));
    return paged(pulls, query, url, path);
  }
  const commitPulls = path.match(new RegExp(`^${repo}/commits/([0-9a-f]{40})/pulls$`));
  if (method === "GET" && commitPulls) {
    const pulls = allPulls(state)
      .filter((d) => d.pull.head === commitPulls[1] || d.commits.includes(commitPulls[1] ?? "") || d.pull.mergeCommit === commitPulls[1])
      .map((d) => pullJson(state, d.pull, url));
    return paged(pulls, query, url, path);
  }
  const matchingRefs = path.match(new RegExp(`^${repo}/git/matching-refs/heads/gh-readonly-queue/([^/]+)/$`));
  if (method === "GET" && matchingRefs) {
    const refs = (state.queue ?? []).map((e) => ({
      ref: `refs/heads/gh-readonly-queue/${matchingRefs[1]}/pr-${e.number}-${e.parent}`,
      object: { sha: e.sha, type: "commit" },
    }));
    return answer(200, matchingRefs[1] === state.pull.base ? refs : []);
  }
  const compare = path.match(new RegExp(`^${repo}/compare/([0-9a-f]{40})\\.\\.\\.([0-9a-f]{40})$`));
  if (method === "GET" && compare && state.queue) {
    // The queue's squash commits from `base` up to `head`, each changing its PR's files.
    const [, base, head] = compare;
    const upTo = state.queue.findIndex((e) => e.sha === head);
    const from = state.queue.findIndex((e) => e.sha === base);
    if (upTo === -1 || (from === -1 && base !== state.baseTip)) return answer(404, { message: "Not Found" });
    const entries = state.queue.slice(from + 1, upTo + 1);
    const person = { login: state.pull.author, type: "User" };
    const identity = { name: "c", email: "c@example.com" };
    const commits = entries.map((e) => ({ sha: e.sha, parents: [{ sha: e.parent }], author: person, committer: { login: "web-flow", type: "User" }, commit: { author: identity, committer: identity, message: "squash" } }));
    const files = entries.flatMap((e) => (pullData(state, e.number)?.files ?? []).map((f) => ({ sha: "0".repeat(40), ...f })));
    return answer(200, { status: "ahead", total_commits: commits.length, merge_base_commit: { sha: base }, commits, files });
  }
  // The check runs of a branch's tip by name (`heads/main`), where enforcement keeps a gap's record.
  const byBranch = path.match(new RegExp(`^${repo}/commits/heads/([^/]+)/check-runs$`));
  const tipOf = byBranch && byBranch[1] === state.pull.base ? state.baseTip : undefined;
  const commitChecks = byBranch ? ([path, tipOf ?? ""] as const) : path.match(new RegExp(`^${repo}/commits/([0-9a-f]{40})/check-runs$`));
  if (method === "GET" && commitChecks) {
    // GitHub lists the latest run of each name on the commit (every run with filter=all), of one name with check_name.
    const latest = new Map<string, { id: number; check: PostedCheck }>();
    checks.forEach((check, i) => {
      if (check.head_sha !== commitChecks[1] || (query.get("check_name") !== null && check.name !== query.get("check_name"))) return;
      latest.set(query.get("filter") === "all" ? String(i) : check.name, { id: i + 1, check });
    });
    const perPage = Math.min(100, Number(query.get("per_page") ?? 30) || 30);
    const runs = [...latest.values()].slice(0, perPage).map(({ id, check }) => {
      const { text, title, summary, ...rest } = check;
      return { id, conclusion: null, ...rest, output: { title: title ?? null, summary: summary ?? null, text: text ?? null }, app: { id: appId, slug: APP_SLUG } };
    });
    return answer(200, { total_count: latest.size, check_runs: runs });
  }
  if (method === "POST" && path === `${repo}/check-runs`) {
    const b = body as { name: string; head_sha: string; status?: string; conclusion?: string; external_id?: string; output?: { title?: string; summary?: string; text?: string } };
    const check: PostedCheck = { name: b.name, head_sha: b.head_sha, status: b.status ?? (b.conclusion ? "completed" : "queued") };
    if (b.conclusion !== undefined) check.conclusion = b.conclusion;
    if (b.output?.title !== undefined) check.title = b.output.title;
    if (b.output?.summary !== undefined) check.summary = b.output.summary;
    if (b.output?.text !== undefined) check.text = b.output.text;
    if (b.external_id !== undefined) check.external_id = b.external_id;
    checks.push(check);
    return answer(201, { id: checks.length, ...b, app: { id: appId } });
  }
  const enforcement = enforcementRoute(state, method, path, query, body, url);
  if (enforcement) return enforcement;
  return undefined;
}

/** Rulesets, branch rules and protection, issues, comments and commits: what enforcement and the audit of a merge read and write. */
function enforcementRoute(state: FakeState, method: string, path: string, query: URLSearchParams, body: unknown, url: string): Answer | undefined {
  const repo = `/repos/${state.owner}/${state.repo}`;
  const now = new Date().toISOString();
  if (method === "GET" && path === "/app") return answer(200, { id: state.appId ?? 1, slug: APP_SLUG, name: APP_SLUG });
  if (method === "GET" && path === repo) return answer(200, { id: 1, name: state.repo, full_name: `${state.owner}/${state.repo}`, default_branch: state.defaultBranch, owner: { login: state.owner } });
  const rulesets = (state.rulesets ??= []);
  if (method === "GET" && path === `${repo}/rulesets`) {
    return paged(rulesets.map((r) => ({ id: r.id, name: r.name, source_type: "Repository", source: `${state.owner}/${state.repo}`, enforcement: r.enforcement })), query, url, path);
  }
  const one = path.match(new RegExp(`^${repo}/rulesets/(\\d+)$`));
  const found = one ? rulesets.find((r) => r.id === Number(one[1])) : undefined;
  if (one && method === "GET") return found ? answer(200, { ...found, source_type: "Repository", source: `${state.owner}/${state.repo}` }) : answer(404, { message: "Not Found" });
  if (one && method === "PUT" && found) {
    Object.assign(found, body as object, { updated_at: now });
    return answer(200, found);
  }
  if (one && method === "DELETE") {
    state.rulesets = rulesets.filter((r) => r !== found);
    return answer(found ? 204 : 404, found ? "" : { message: "Not Found" });
  }
  if (method === "POST" && path === `${repo}/rulesets`) {
    const created = { ...(body as Omit<FakeRuleset, "id" | "updated_at">), id: 100 + rulesets.length + 1, updated_at: now } as FakeRuleset;
    rulesets.push(created);
    return answer(201, created);
  }
  const branchRules = path.match(new RegExp(`^${repo}/rules/branches/(.+)$`));
  if (method === "GET" && branchRules) {
    const ref = `refs/heads/${branchRules[1]}`;
    const active = rulesets.filter((r) => r.enforcement === "active" && r.conditions.ref_name.include.includes(ref));
    return paged(active.flatMap((r) => r.rules.map((rule) => ({ ...rule, ruleset_source_type: "Repository", ruleset_source: `${state.owner}/${state.repo}`, ruleset_id: r.id }))), query, url, path);
  }
  if (method === "GET" && /\/branches\/[^/]+\/protection$/.test(path)) return answer(404, { message: "Branch not protected" });

  const issues = (state.issues ??= []);
  const comments = (state.comments ??= []);
  if (method === "POST" && path === `${repo}/labels`) return answer(201, { name: (body as { name: string }).name });
  if (method === "GET" && path === `${repo}/issues`) {
    const label = query.get("labels");
    return paged(issues.filter((i) => label === null || i.labels.includes(label)).map((i) => ({ state: "open", user: BOT, ...i, created_at: iso(i.created_at), html_url: `${url}/${state.owner}/${state.repo}/issues/${i.number}`, updated_at: iso(i.created_at) })), query, url, path);
  }
  if (method === "POST" && path === `${repo}/issues`) {
    const b = body as { title: string; body: string; labels?: string[] };
    const issue: FakeIssue = { number: 500 + issues.length, title: b.title, body: b.body, labels: b.labels ?? [], state: "open", created_at: now };
    issues.push(issue);
    return answer(201, { ...issue, user: BOT, html_url: `${url}/${state.owner}/${state.repo}/issues/${issue.number}` });
  }
  const issueComments = path.match(new RegExp(`^${repo}/issues/(\\d+)/comments$`));
  if (issueComments && method === "GET") {
    return paged(comments.filter((c) => c.issue === Number(issueComments[1])).map((c) => ({ user: BOT, ...c, created_at: iso(c.created_at), html_url: `${url}/c/${c.id}` })), query, url, path);
  }
  if (issueComments && method === "POST") {
    const comment: FakeComment = { id: 900 + comments.length, issue: Number(issueComments[1]), body: (body as { body: string }).body, created_at: now };
    comments.push(comment);
    return answer(201, { ...comment, user: BOT, html_url: `${url}/c/${comment.id}` });
  }
  const gitCommit = path.match(new RegExp(`^${repo}/git/commits/([0-9a-f]{40})$`));
  if (method === "GET" && gitCommit) {
    const parents = state.gitCommits?.[gitCommit[1] ?? ""];
    if (!parents) return answer(404, { message: "Not Found" });
    return answer(200, { sha: gitCommit[1], message: "Merge", author: { email: "noreply@github.com", date: now }, parents: parents.map((sha) => ({ sha })) });
  }
  return undefined;
}

/** A strong or weak ETag for a GET answer's body. */
function etagOf(text: string): string {
  return `W/"${createHash("sha1").update(text).digest("hex")}"`;
}

/** Whether an If-None-Match header names `etag` (weak comparison, as for GET). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = (tag: string): string => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}

/** A request as a serving hands it to the model: its path is after /api/v3, its body parsed. */
export interface ModelRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  ifNoneMatch: string | undefined;
  /** The query as sent (`?a=1`), for the log; default: `query` written out. */
  search?: string;
}

/** What the model answers: a status, headers, and the JSON text of the body (none for a 304). */
export interface ModelAnswer {
  status: number;
  headers: Record<string, string>;
  text: string | undefined;
}

/** GitHub in memory: the state, what was posted and asked, and the answer to each request. */
export class GitHubModel {
  readonly checks: PostedCheck[] = [];
  /** Every request as `METHOD /path` (after /api/v3), in order. */
  readonly requests: string[] = [];
  /** Every request with the status it was answered with (304s included), in order. */
  readonly answered: AnsweredRequest[] = [];
  /** Requests no route answered. */
  readonly unexpected: string[] = [];

  /** @param url the web address links in answers point to (the server's, or the API's). */
  constructor(
    readonly state: FakeState,
    private readonly url: () => string,
  ) {}

  /** Answers one request as GitHub would. */
  answer(request: ModelRequest): ModelAnswer {
    const { method, path, query } = request;
    const search = request.search ?? (query.toString() === "" ? "" : `?${query.toString()}`);
    this.requests.push(`${method} ${path}`);
    const routed = route(this.state, method, path, query, request.body, this.url(), this.checks);
    if (!routed) this.unexpected.push(`${method} ${path}${search}`);
    const { status, body: json, headers = {} } = routed ?? answer(404, { message: "Not Found" });
    const text = JSON.stringify(json);
    const record = (code: number): void => void this.answered.push({ method, path, query: search, status: code });
    if (method === "GET" && status === 200) {
      const etag = etagOf(text);
      if (matches(request.ifNoneMatch, etag)) {
        record(304);
        return { status: 304, headers: { etag, ...headers }, text: undefined };
      }
      headers["etag"] = etag;
    }
    record(status);
    return { status, headers: { "content-type": "application/json; charset=utf-8", ...headers }, text };
  }
}
