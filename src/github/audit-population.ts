// What an audit export covers (SPEC §4.4, §6.4), read from GitHub: every pull request merged in a
// period with the audit records the app left on it, and the direct pushes to gated branches with
// theirs (a `compliance/audit` check run on the push's head, else its exception issue).
// Facts only: which environments a change touched is judged by the caller's PopulationJudge.
import { parseAuditComments } from "../audit/comment.js";
import { botLogin, checkRunWriter, recordWriter } from "../audit/writer.js";
import type { ExportedChange } from "../audit/export-row.js";
import type { ChangedFile, Facts, FileStatus } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { AUDIT_CHECK } from "./checks.js";
import { FILES_LIST_LIMIT, listChangedFiles } from "./changed-files.js";
import { GatherFailed, GitHubRequestFailed, GitHubSession, type GitHubClient, type GitHubResponse, type RequestCount } from "./client.js";
import { EXCEPTION_LABEL } from "./exception-issues.js";
import type { PolicyReader } from "./facts.js";
import { LruCache } from "./lru-cache.js";
import { readPolicyFiles } from "./policy-files.js";
import { WEB_FLOW } from "../engine/approvals.js";

/** The policy module and the engine, as the export needs them: github/ holds no policy logic of its own. */
export interface PopulationJudge extends PolicyReader {
  /** The environments a change touched: every environment judging `facts.base` whose state is not not_affected. */
  touchedEnvironments(policies: PolicySet, facts: Facts): string[];
  /** Of `branches`, those a policy of `policies` judges (its scope.branches, or the default branch). */
  gatedBranches(policies: PolicySet, branches: readonly string[], defaultBranch: string): string[];
}

export interface PopulationRequest {
  owner: string;
  repo: string;
  /** The period, epoch milliseconds: merged (or committed) at or after `since`, before `until`. */
  since: number;
  until: number;
  judge: PopulationJudge;
  /**
   * The app's bot login (`compliance-gate[bot]`): only its comments, check runs (app slug
   * `compliance-gate`) and exception issues count as audit records. Without it, any GitHub App's
   * do — a human's never — and a push record says in `problems` which app wrote it.
   */
  appLogin?: string;
  /** Look for direct pushes to gated branches too (SPEC §4.3). Default true. */
  pushes?: boolean;
  /** The policy folder. Default `policies`. */
  policyDir?: string;
  /** Pull requests examined at once. Default 4. */
  concurrency?: number;
  /** The current time, epoch milliseconds (tests pin it). Default `Date.now()`. */
  now?: number;
  /** Called with a line of progress now and then, for long exports. */
  progress?: (message: string) => void;
}

/** An audit record found in a comment, check run or exception issue the app wrote, and where. */
export interface FoundRecord {
  record: Record<string, unknown>;
  /** Where it was found: the comment's (check run's, issue's) web address, else its id. */
  comment: string;
}

/** A change of the period that is (or may be) in the auditor's population. */
export interface FoundChange {
  change: ExportedChange;
  /** The app's audit records that are about this change, in comment order; empty when none was found. */
  records: FoundRecord[];
  /**
   * Without a record: the environments the change touched, judged by the policies at its parent
   * commit (only changes that touched one are listed). Null when it has records.
   */
  environments: string[] | null;
  /** What the export noticed: forged markers ignored, records of other changes, files it could not list. */
  problems: string[];
}

export interface Population {
  /** `owner/name` as GitHub spells it. */
  repository: string;
  defaultBranch: string;
  changes: FoundChange[];
  /** Closed pull requests listed, merged ones in the period, gated branches and commits scanned. */
  stats: { pullsListed: number; mergedInPeriod: number; branches: string[]; commitsScanned: number; pushesScanned: boolean };
  requests: RequestCount;
}

/** Pages of closed pull requests (100 each) listed at most: an export past that must use a shorter period. */
export const MAX_PULL_PAGES = 500;
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

const FILE_STATUSES: readonly FileStatus[] = ["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"];

interface ApiUser {
  login: string;
  type?: string;
}

interface ApiPull {
  number: number;
  title: string;
  html_url?: string;
  user: ApiUser | null;
  updated_at: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
  head: { sha: string };
  base: { ref: string; sha?: string };
  /** Only on a single pull request, not in lists. */
  merged_by?: ApiUser | null;
  changed_files?: number;
}

interface ApiComment {
  id: number;
  html_url?: string;
  user: ApiUser | null;
  body?: string | null;
}

interface ApiCheckRun {
  id: number;
  name?: string;
  html_url?: string | null;
  external_id?: string | null;
  app?: { slug?: string | null } | null;
  output?: { text?: string | null } | null;
}

interface ApiIssue {
  number: number;
  html_url?: string;
  user: ApiUser | null;
  body?: string | null;
  pull_request?: unknown;
}

interface GitDate {
  date?: string;
}

interface ApiCommit {
  sha: string;
  html_url?: string;
  parents: { sha: string }[];
  author: ApiUser | null;
  committer: ApiUser | null;
  commit: { author: GitDate | null; committer: GitDate | null };
}

interface ApiFile {
  filename: string;
  status: string;
  previous_filename?: string;
}

interface ApiBranch {
  name: string;
  commit: { sha: string };
}

/** One export's reading: a session, and the policies already read by commit. */
interface Reader {
  gh: GitHubSession;
  request: PopulationRequest;
  repository: string;
  defaultBranch: string;
  policyDir: string;
  /** Parsed policy sets by commit sha; null for "no policies there". A commit never changes. */
  policies: Map<string, Promise<PolicySet | null>>;
  blobs: LruCache<string, string>;
  /** The push records in each commit's compliance/audit check runs, by commit sha. */
  checkRecords: Map<string, Promise<{ records: FoundRecord[]; problems: string[] }>>;
  /** The compliance-exception issues updated in the period: listed once, when a push has no check run record. */
  exceptionIssues?: Promise<{ items: ApiIssue[]; complete: boolean }>;
}

function hasNextPage(headers: GitHubResponse["headers"]): boolean {
  const link = headers["link"];
  return typeof link === "string" && /<[^>]*>\s*;\s*rel="next"/.test(link);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function inPeriod(at: string | null | undefined, request: PopulationRequest): boolean {
  if (typeof at !== "string") return false;
  const ms = Date.parse(at);
  return ms >= request.since && ms < request.until;
}

/** Calls `fn` on every item, `limit` at a time, keeping the order of `items` in the result; the first failure stops it. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Reads the population of an audit export: each pull request merged in [since, until) with its
 * audit records, or — when it has none — with the environments it touched (and left out when it
 * touched none); then each direct push to a gated branch in the period. A GitHub failure throws
 * GatherFailed (GitHubRequestFailed for a failed request): an export is whole or not at all.
 */
export async function readAuditPopulation(client: GitHubClient, request: PopulationRequest): Promise<Population> {
  const gh = new GitHubSession(client);
  const { owner, repo } = request;
  const repoResponse = await gh.request("GET /repos/{owner}/{repo}", { owner, repo }, `reading ${owner}/${repo}`);
  const repoData = repoResponse.data as { full_name?: unknown; default_branch?: unknown };
  const reader: Reader = {
    gh,
    request,
    repository: typeof repoData.full_name === "string" ? repoData.full_name : `${owner}/${repo}`,
    defaultBranch: typeof repoData.default_branch === "string" ? repoData.default_branch : "main",
    policyDir: request.policyDir ?? "policies",
    policies: new Map(),
    blobs: new LruCache({ maxEntries: 500 }),
    checkRecords: new Map(),
  };

  const listed = await listClosedPulls(reader);
  const merged = listed.filter((pull) => inPeriod(pull.merged_at, request));
  let examined = 0;
  const found = await mapLimit(merged, request.concurrency ?? 4, async (pull) => {
    const result = await examinePull(reader, pull);
    examined += 1;
    if (examined % 25 === 0 && examined < merged.length) request.progress?.(`checked ${examined} of ${merged.length} merged pull requests…`);
    return result;
  });
  const changes = found.filter((c): c is FoundChange => c !== null);

  let branches: string[] = [];
  let commitsScanned = 0;
  if (request.pushes !== false) {
    const pushes = await scanDirectPushes(reader, listed);
    branches = pushes.branches;
    commitsScanned = pushes.commitsScanned;
    changes.push(...pushes.changes);
  }
  return {
    repository: reader.repository,
    defaultBranch: reader.defaultBranch,
    changes,
    stats: { pullsListed: listed.length, mergedInPeriod: merged.length, branches, commitsScanned, pushesScanned: request.pushes !== false },
    requests: gh.count,
  };
}

/**
 * Every closed pull request updated since `since`, newest update first. Why this list and not
 * the search API: search answers at most 1,000 results per query and its index lags behind
 * merges, so it can silently leave a merged pull request out; this list is GitHub's own record,
 * and complete. A merge updates a pull request, so once a page reaches one updated before
 * `since`, no later page can hold a pull request merged in the period.
 */
async function listClosedPulls(reader: Reader): Promise<ApiPull[]> {
  const { gh, request } = reader;
  const { owner, repo, since } = request;
  const byNumber = new Map<number, ApiPull>();
  const started = request.now ?? Date.now();
  const route = "GET /repos/{owner}/{repo}/pulls";
  const params = { owner, repo, state: "closed", sort: "updated", direction: "desc", per_page: 100 };
  let pages: number;
  for (let page = 1; ; page += 1) {
    if (page > MAX_PULL_PAGES) {
      throw new GatherFailed(
        `more than ${MAX_PULL_PAGES * 100} pull requests of ${reader.repository} were closed or updated since ${iso(since)}: export a shorter period`,
      );
    }
    const response = await gh.request(route, { ...params, page }, `listing closed pull requests of ${reader.repository} (page ${page})`);
    pages = page;
    const items = Array.isArray(response.data) ? (response.data as ApiPull[]) : [];
    let older = false;
    for (const pull of items) {
      if (Date.parse(pull.updated_at) < since) {
        older = true;
        break;
      }
      byNumber.set(pull.number, pull);
    }
    if (page % 5 === 0) request.progress?.(`listed ${byNumber.size} closed pull requests…`);
    if (older || !hasNextPage(response.headers)) break;
  }
  // A pull request updated while the pages were read moves to the first page, shifting the rest
  // by one: it could slip past the pages already read. Read the top once more to catch it.
  if (pages > 1) {
    const catchUpFrom = started - 5 * 60_000;
    for (let page = 1; page <= pages; page += 1) {
      const response = await gh.request(route, { ...params, page }, `listing recently updated pull requests of ${reader.repository}`);
      const items = Array.isArray(response.data) ? (response.data as ApiPull[]) : [];
      const fresh = items.filter((pull) => Date.parse(pull.updated_at) >= catchUpFrom);
      for (const pull of fresh) byNumber.set(pull.number, pull);
      if (fresh.length < items.length || !hasNextPage(response.headers)) break;
    }
  }
  return [...byNumber.values()];
}

/**
 * The audit records in the comments at `route`: only those written by the app. A marker in
 * anybody else's comment is a forgery or a quotation, ignored and said so in `problems`.
 */
async function auditRecords(
  reader: Reader,
  route: string,
  params: Record<string, unknown>,
  what: string,
): Promise<{ records: FoundRecord[]; problems: string[] }> {
  const listed = await reader.gh.list<ApiComment>(route, params, `listing comments of ${what}`, { maxPages: MAX_COMMENT_PAGES });
  const records: FoundRecord[] = [];
  const problems: string[] = [];
  if (!listed.complete) problems.push(`only the first ${MAX_COMMENT_PAGES * 100} comments could be read`);
  for (const comment of listed.items) {
    if (typeof comment.body !== "string" || !comment.body.includes("compliance-gate:audit")) continue;
    const parsed = parseAuditComments(comment.body);
    if (parsed.length === 0) continue;
    const where = comment.html_url ?? `comment ${comment.id}`;
    const writer = recordWriter(comment.user, reader.request.appLogin);
    if (!writer.ok) {
      problems.push(`ignored an audit marker in ${where}: ${writer.why}`);
      continue;
    }
    for (const result of parsed) {
      if (result.ok) records.push({ record: result.record, comment: where });
      else problems.push(`unreadable audit record in ${where}: ${result.message}`);
    }
  }
  return { records, problems };
}

/**
 * The audit records in the `compliance/audit` check runs of commit `sha` (every run, not only the
 * latest: a branch forced back to a commit has a record per push) whose output text is an audit
 * comment body or a record block alone; only those the app wrote. Read once per commit.
 */
function checkRunRecords(reader: Reader, sha: string): Promise<{ records: FoundRecord[]; problems: string[] }> {
  let pending = reader.checkRecords.get(sha);
  if (pending === undefined) {
    pending = readCheckRunRecords(reader, sha);
    reader.checkRecords.set(sha, pending);
  }
  return pending;
}

async function readCheckRunRecords(reader: Reader, sha: string): Promise<{ records: FoundRecord[]; problems: string[] }> {
  const { owner, repo, appLogin } = reader.request;
  const listed = await reader.gh.list<ApiCheckRun>(
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
    { owner, repo, ref: sha, check_name: AUDIT_CHECK, filter: "all" },
    `listing the ${AUDIT_CHECK} check runs of commit ${short(sha)}`,
    { maxPages: MAX_CHECK_RUN_PAGES, items: (data) => (data as { check_runs?: ApiCheckRun[] } | undefined)?.check_runs ?? [] },
  );
  const records: FoundRecord[] = [];
  const problems: string[] = [];
  if (!listed.complete) problems.push(`only the first ${MAX_CHECK_RUN_PAGES * 100} ${AUDIT_CHECK} check runs of commit ${short(sha)} could be read`);
  for (const run of listed.items) {
    const text = run.output?.text;
    if ((run.name !== undefined && run.name !== AUDIT_CHECK) || typeof text !== "string" || !text.includes("compliance-gate:audit")) continue;
    const parsed = parseAuditComments(text);
    if (parsed.length === 0) continue;
    const where = run.html_url ?? `check run ${run.id}`;
    const writer = checkRunWriter(run.app?.slug, appLogin);
    if (!writer.ok) {
      problems.push(`ignored an audit marker in ${where}: ${writer.why}`);
      continue;
    }
    if (appLogin === undefined) problems.push(`${where} was written by @${botLogin(run.app?.slug as string)} (pass --app-login to accept only the app's records)`);
    for (const result of parsed) {
      if (result.ok) records.push({ record: result.record, comment: where });
      else problems.push(`unreadable audit record in ${where}: ${result.message}`);
    }
  }
  return { records, problems };
}

/**
 * A second copy of a non-compliant push's record: in the app's exception issue (labelled
 * compliance-exception, with the hidden marker `<!-- compliance-gate:exception
 * owner/name@<before>..<after> -->`), for a push whose check run was never written. The issues
 * updated in the period are listed once per export, and only when a push row needs them.
 */
async function exceptionIssueRecords(reader: Reader, sha: string): Promise<{ records: FoundRecord[]; problems: string[] }> {
  const { owner, repo, since, appLogin } = reader.request;
  reader.exceptionIssues ??= reader.gh.list<ApiIssue>(
    "GET /repos/{owner}/{repo}/issues",
    { owner, repo, labels: EXCEPTION_LABEL, state: "all", sort: "created", direction: "asc", since: iso(since) },
    `listing the ${EXCEPTION_LABEL} issues of ${reader.repository}`,
    { maxPages: MAX_EXCEPTION_PAGES },
  );
  const listed = await reader.exceptionIssues;
  const records: FoundRecord[] = [];
  const problems: string[] = [];
  for (const issue of listed.items) {
    if (issue.pull_request !== undefined || typeof issue.body !== "string" || !issue.body.includes("compliance-gate:audit")) continue;
    const lines = issue.body.split(/\r\n|\r|\n/).map((line) => line.trim().toLowerCase());
    const where = issue.html_url ?? `issue #${issue.number}`;
    for (const result of parseAuditComments(issue.body)) {
      if (!result.ok || !pushRecordCovers(result.record, reader.repository, sha)) continue;
      const { before, after } = result.record;
      // Its marker must name the push its record is about (`owner/name` as the app was told it).
      const names = [`${owner}/${repo}`, reader.repository].map((name) => `<!-- compliance-gate:exception ${name}@${String(before)}..${String(after)} -->`.toLowerCase());
      if (!names.some((marker) => lines.includes(marker))) continue;
      const writer = recordWriter(issue.user, appLogin);
      if (!writer.ok) {
        problems.push(`ignored an audit marker in ${where}: ${writer.why}`);
        continue;
      }
      records.push({ record: result.record, comment: where });
    }
  }
  if (records.length > 0) problems.push(`no ${AUDIT_CHECK} check run holds its record: exported the copy in its exception issue`);
  else if (!listed.complete) problems.push(`only the first ${MAX_EXCEPTION_PAGES * 100} ${EXCEPTION_LABEL} issues could be searched for its record`);
  return { records, problems };
}

/** The parsed policies at a commit; null when it has none (the app leaves such changes alone). */
function policiesAt(reader: Reader, commit: string): Promise<PolicySet | null> {
  let pending = reader.policies.get(commit);
  if (pending === undefined) {
    const { owner, repo, judge } = reader.request;
    pending = readPolicyFiles(reader.gh, {
      owner,
      repo,
      commit,
      dir: reader.policyDir,
      isPolicyFile: (path, dir) => judge.isPolicyFile(path, dir),
      blobs: reader.blobs,
    }).then((files) => (files === null || files.length === 0 ? null : judge.loadPolicySet(files.map(({ path, text }) => ({ path, text })))));
    reader.policies.set(commit, pending);
  }
  return pending;
}

/** A request GitHub answered "not here" (404, 409, 422): about one change, not the export as a whole. */
function isAboutOneChange(error: unknown): error is GatherFailed {
  if (error instanceof GitHubRequestFailed) return error.status === 404 || error.status === 409 || error.status === 422;
  return error instanceof GatherFailed;
}

/** The first parent of a pull request's merge commit: its base as it was when it merged. */
async function baseAtMerge(reader: Reader, pull: ApiPull, problems: string[]): Promise<string | null> {
  const { owner, repo } = reader.request;
  if (pull.merge_commit_sha) {
    const response = await reader.gh.request(
      "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
      { owner, repo, commit_sha: pull.merge_commit_sha },
      `reading the merge commit ${short(pull.merge_commit_sha)} of #${pull.number}`,
      { accept: [404, 422] },
    );
    const parent = (response.data as { parents?: { sha?: unknown }[] } | undefined)?.parents?.[0]?.sha;
    if (response.status < 300 && typeof parent === "string") return parent;
    problems.push(`merge commit ${short(pull.merge_commit_sha)} could not be read: judged by the policies at the pull request's last base commit`);
  } else {
    problems.push("GitHub gives no merge commit: judged by the policies at the pull request's last base commit");
  }
  return pull.base.sha ?? null;
}

/** One merged pull request: its audit records, or the environments it touched; null when it is not in the population. */
async function examinePull(reader: Reader, listed: ApiPull): Promise<FoundChange | null> {
  const { gh, request } = reader;
  const { owner, repo } = request;
  const n = listed.number;
  // The list leaves out who merged and how many files changed.
  const pull = (await gh.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo, pull_number: n }, `reading #${n}`)).data as ApiPull;
  const change: ExportedChange = {
    repository: reader.repository,
    kind: "merge",
    pull_request: n,
    title: pull.title,
    merged_at: pull.merged_at ?? (listed.merged_at as string),
    merged_by: pull.merged_by?.login ?? null,
    merge_commit_sha: pull.merge_commit_sha ?? "",
    url: pull.html_url ?? null,
  };
  const found = await auditRecords(reader, "GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: n }, `#${n}`);
  const problems = [...found.problems];
  const label = `${reader.repository}#${n}`.toLowerCase();
  const records = found.records.filter((f) => {
    const r = f.record;
    const own = typeof r.repository === "string" && typeof r.pull_request === "number" ? `${r.repository}#${r.pull_request}` : null;
    if (own !== null && own.toLowerCase() === label) return true;
    problems.push(`${f.comment} holds the record of ${own ?? "no pull request"}, not of #${n}: ignored`);
    return false;
  });
  if (records.length > 0) return { change, records, environments: null, problems };

  // No record: did the pull request touch an environment? Judge it as the app would have on merge.
  const base = await baseAtMerge(reader, pull, problems);
  if (base === null) {
    problems.push("its base commit is unknown: listed as missing a record, since it may have touched an environment");
    return { change, records: [], environments: [], problems };
  }
  const policies = await policiesAt(reader, base);
  if (policies === null) return null;
  let files: ChangedFile[] = [];
  let truncated: boolean;
  try {
    const changed = await listChangedFiles(gh, {
      owner,
      repo,
      pull_number: n,
      head: pull.head.sha,
      baseCommit: base,
      ...(typeof pull.changed_files === "number" ? { changedFiles: pull.changed_files } : {}),
    });
    files = changed.files;
    truncated = changed.truncated;
  } catch (error) {
    if (!isAboutOneChange(error)) throw error;
    problems.push(`its changed files could not be listed (${error.message})`);
    truncated = true;
  }
  // Not every file seen: the judge's environments fail closed (state error), so it is listed.
  if (truncated) problems.push("files truncated");
  const author = pull.user?.login ?? "ghost";
  const environments = request.judge.touchedEnvironments(policies, {
    repository: reader.repository,
    base: pull.base.ref,
    default_branch: reader.defaultBranch,
    head: pull.head.sha,
    author,
    contributors: [author],
    // Which environments a change touched depends on its files alone: who wrote it is not read.
    unlinked: [],
    labels: [],
    files,
    files_truncated: truncated,
    reviews: [],
    teams: {},
    permissions: {},
    now: Date.parse(change.merged_at),
  });
  if (environments.length === 0) return null;
  return { change, records: [], environments, problems };
}

function toChangedFile(file: ApiFile): ChangedFile {
  const status = (FILE_STATUSES as readonly string[]).includes(file.status) ? (file.status as FileStatus) : "changed";
  return file.previous_filename !== undefined && file.previous_filename !== file.filename
    ? { path: file.filename, status, previous_path: file.previous_filename }
    : { path: file.filename, status };
}

/** Who landed a commit, as far as GitHub knows: its committer, or its author when GitHub committed a web edit. */
function landedBy(commit: ApiCommit): string | null {
  const committer = commit.committer?.login;
  if (committer && committer.toLowerCase() !== WEB_FLOW) return committer;
  return commit.author?.login ?? null;
}

/** Whether a push record is about `sha`: it is the push's head or one of its commits. */
function pushRecordCovers(record: Record<string, unknown>, repository: string, sha: string): boolean {
  if (record.kind !== "push" || typeof record.repository !== "string" || record.repository.toLowerCase() !== repository.toLowerCase()) return false;
  if (record.after === sha) return true;
  return Array.isArray(record.commits) && record.commits.some((c) => (c as { sha?: unknown } | null)?.sha === sha);
}

/**
 * Direct pushes (SPEC §4.3) in the period: on every gated branch, the commits of its first-parent
 * history — where a push or a merge lands; a merged pull request's own commits hang off its merge
 * commit — that are neither the merge commit of a pull request merged into that branch nor
 * associated with one, and that changed a path in an environment's scope by the policies at
 * their parent. Newest first, so a push record (in a check run on the push's head) covers the
 * older commits of its push; an older commit whose push's head changed no environment's path
 * (and so was passed over) finds its record there when it has none of its own.
 */
async function scanDirectPushes(
  reader: Reader,
  pulls: readonly ApiPull[],
): Promise<{ changes: FoundChange[]; branches: string[]; commitsScanned: number }> {
  const { gh, request } = reader;
  const { owner, repo } = request;
  const listedBranches = await gh.list<ApiBranch>(
    "GET /repos/{owner}/{repo}/branches",
    { owner, repo },
    `listing the branches of ${reader.repository}`,
    { maxPages: MAX_BRANCH_PAGES },
  );
  if (!listedBranches.complete) {
    throw new GatherFailed(`${reader.repository} has more than ${MAX_BRANCH_PAGES * 100} branches: its gated branches cannot all be found (run with --skip-pushes)`);
  }
  const tips = new Map(listedBranches.items.map((b) => [b.name, b.commit.sha]));
  const defaultTip = tips.get(reader.defaultBranch);
  if (defaultTip === undefined) return { changes: [], branches: [], commitsScanned: 0 };
  const policies = await policiesAt(reader, defaultTip);
  if (policies === null) return { changes: [], branches: [], commitsScanned: 0 };
  const branches = request.judge.gatedBranches(policies, [...tips.keys()], reader.defaultBranch).sort();

  // The commits pull requests merged: by sha, the branches they were merged into.
  const mergeCommits = new Map<string, Set<string>>();
  for (const pull of pulls) {
    if (pull.merged_at === null || !pull.merge_commit_sha) continue;
    const into = mergeCommits.get(pull.merge_commit_sha) ?? new Set<string>();
    into.add(pull.base.ref);
    mergeCommits.set(pull.merge_commit_sha, into);
  }

  const changes: FoundChange[] = [];
  let commitsScanned = 0;
  for (const branch of branches) {
    const chain = await firstParentHistory(reader, branch, tips.get(branch) as string);
    const covered = new Set<string>();
    // Direct commits passed over (no environment's path changed), newest first: a push's head may be one.
    const passed: string[] = [];
    for (const commit of chain) {
      commitsScanned += 1;
      if (commitsScanned % 100 === 0) request.progress?.(`checked ${commitsScanned} commits for direct pushes…`);
      if (covered.has(commit.sha) || mergeCommits.get(commit.sha)?.has(branch)) continue;
      if (await mergedThroughPull(reader, commit.sha, branch)) continue;
      const push = await examinePush(reader, branch, commit, passed);
      if (push === null) {
        passed.push(commit.sha);
        continue;
      }
      for (const f of push.records) {
        covered.add(typeof f.record.after === "string" ? f.record.after : commit.sha);
        if (Array.isArray(f.record.commits)) {
          for (const c of f.record.commits) {
            const sha = (c as { sha?: unknown } | null)?.sha;
            if (typeof sha === "string") covered.add(sha);
          }
        }
      }
      changes.push(push);
    }
  }
  return { changes, branches, commitsScanned };
}

/**
 * The first-parent history of `branch` committed in the period, newest first. GitHub lists every
 * commit reachable from the tip since `since` (by committer date); the chain is walked from the
 * tip through first parents and stops where the listing does.
 */
async function firstParentHistory(reader: Reader, branch: string, tip: string): Promise<ApiCommit[]> {
  const { gh, request } = reader;
  const { owner, repo } = request;
  const listed = await gh.list<ApiCommit>(
    "GET /repos/{owner}/{repo}/commits",
    // GitHub takes whole seconds: rounded down, the chain below keeps only what is in the period.
    { owner, repo, sha: tip, since: iso(Math.floor(request.since / 1000) * 1000).replace(/\.000Z$/, "Z") },
    `listing commits of ${branch} since ${iso(request.since)}`,
    { maxPages: MAX_COMMIT_PAGES },
  );
  if (!listed.complete) {
    throw new GatherFailed(`${branch} has more than ${MAX_COMMIT_PAGES * 100} commits since ${iso(request.since)}: export a shorter period (or run with --skip-pushes)`);
  }
  const bySha = new Map(listed.items.map((c) => [c.sha, c]));
  const chain: ApiCommit[] = [];
  const seen = new Set<string>();
  for (let commit = bySha.get(tip); commit !== undefined && !seen.has(commit.sha); commit = bySha.get(commit.parents[0]?.sha ?? "")) {
    seen.add(commit.sha);
    if (inPeriod(commit.commit.committer?.date, request)) chain.push(commit);
  }
  return chain;
}

/** Whether GitHub associates `sha` with a pull request merged into `branch` (a squash, a rebase, or one of its commits). */
async function mergedThroughPull(reader: Reader, sha: string, branch: string): Promise<boolean> {
  const { owner, repo } = reader.request;
  const listed = await reader.gh.list<ApiPull>(
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    { owner, repo, commit_sha: sha },
    `finding the pull requests of commit ${short(sha)}`,
    { maxPages: 1 },
  );
  return listed.items.some((pull) => pull.merged_at !== null && pull.base.ref === branch);
}

/** A commit that reached `branch` outside any pull request: a row when it changed an environment's scope, else null. */
async function examinePush(reader: Reader, branch: string, commit: ApiCommit, passed: readonly string[]): Promise<FoundChange | null> {
  const { gh, request } = reader;
  const { owner, repo } = request;
  const problems: string[] = [];
  // Judged by the policies at its parent, as a pull request's merge by its base at the time.
  const policies = await policiesAt(reader, commit.parents[0]?.sha ?? commit.sha);
  if (policies === null) return null;
  let files: ChangedFile[] = [];
  let truncated: boolean;
  try {
    const listed = await gh.list<ApiFile>(
      "GET /repos/{owner}/{repo}/commits/{ref}",
      { owner, repo, ref: commit.sha },
      `reading the changed files of commit ${short(commit.sha)}`,
      { maxPages: FILES_LIST_LIMIT / 100, items: (data) => (data as { files?: ApiFile[] } | undefined)?.files ?? [] },
    );
    files = listed.items.map(toChangedFile);
    truncated = !listed.complete || files.length >= FILES_LIST_LIMIT;
  } catch (error) {
    if (!isAboutOneChange(error)) throw error;
    problems.push(`its changed files could not be listed (${error.message})`);
    truncated = true;
  }
  if (truncated) problems.push("files truncated");
  const by = landedBy(commit);
  const environments = request.judge.touchedEnvironments(policies, {
    repository: reader.repository,
    base: branch,
    default_branch: reader.defaultBranch,
    head: commit.sha,
    author: by ?? "ghost",
    contributors: by ? [by] : [],
    unlinked: [],
    labels: [],
    files,
    files_truncated: truncated,
    reviews: [],
    teams: {},
    permissions: {},
    now: Date.parse(commit.commit.committer?.date ?? "") || request.until,
  });
  if (environments.length === 0) return null;

  const found = await checkRunRecords(reader, commit.sha);
  problems.push(...found.problems);
  let records = found.records.filter((f) => {
    if (pushRecordCovers(f.record, reader.repository, commit.sha)) return true;
    problems.push(`${f.comment} holds a record that is not about commit ${short(commit.sha)}: ignored`);
    return false;
  });
  // An older commit of a push whose head was passed over: the record is in the head's check runs.
  for (let i = passed.length - 1; i >= 0 && records.length === 0; i -= 1) {
    const newer = await checkRunRecords(reader, passed[i] as string);
    records = newer.records.filter((f) => pushRecordCovers(f.record, reader.repository, commit.sha));
    if (records.length > 0) problems.push(...newer.problems);
  }
  if (records.length === 0) {
    const issued = await exceptionIssueRecords(reader, commit.sha);
    records = issued.records;
    problems.push(...issued.problems);
  }
  const head = records.find((f) => typeof f.record.after === "string")?.record.after as string | undefined;
  const change: ExportedChange = {
    repository: reader.repository,
    kind: "push",
    pull_request: null,
    title: null,
    merged_at: commit.commit.committer?.date ?? "",
    merged_by: by,
    // A row is named by the push's head, as its record is.
    merge_commit_sha: head ?? commit.sha,
    url: commit.html_url ?? null,
  };
  return { change, records, environments: records.length > 0 ? null : environments, problems };
}
