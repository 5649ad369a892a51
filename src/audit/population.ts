// An audit export's population (SPEC §4.4, §6.4), decided over what was listed from GitHub: which
// changes of a period are in it, which listed records belong to which change, and what to report.
// Pure: the reading, and the order of it, is the export's (app/audit-export.ts).
import { WEB_FLOW } from "../engine/approvals.js";
import { environmentsFor } from "../engine/environments.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { PolicySet } from "../policy/types.js";
import { parseAuditComments, type ParsedAuditComment } from "./comment.js";
import { exceptionMarker } from "./exception-marker.js";
import { shortSha } from "./short-sha.js";
import type { ExportedChange } from "./export-row.js";
import { botLogin, checkRunWriter, recordWriter, type Author, type WriterVerdict } from "./writer.js";

/** An export's period, epoch milliseconds: what merged (or was committed) at or after `since`, before `until`. */
export interface Period {
  since: number;
  until: number;
}

/** An audit record found in a comment, check run or exception issue the app wrote, and where. */
export interface FoundRecord {
  record: Record<string, unknown>;
  /** Where it was found: the comment's (check run's, issue's) web address, else its id. */
  comment: string;
}

/** Records found, and what was noticed finding them (forged markers ignored, unreadable records). */
export interface Findings {
  records: FoundRecord[];
  problems: string[];
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

/** A comment on a pull request, as listed. */
export interface ListedComment {
  id: number;
  url: string | null;
  author: Author | null;
  body: string | null;
}

/** A `compliance/audit` check run of a commit, as listed. */
export interface ListedCheckRun {
  id: number;
  url: string | null;
  /** The slug of the app that wrote it, as GitHub names it. */
  app: string | null;
  /** Its output text. */
  text: string | null;
  /** ISO 8601, when GitHub says. */
  started_at?: string | null;
}

/** An exception issue (not a pull request), as listed. */
export interface ListedIssue {
  number: number;
  url: string | null;
  author: Author | null;
  body: string | null;
  /** ISO 8601, when GitHub says. */
  created_at?: string | null;
}

/** A commit of a branch's history, as listed. */
export interface ListedCommit {
  sha: string;
  url: string | null;
  /** Parent shas, first parent first. */
  parents: string[];
  /** The logins GitHub links to its author and committer, when it links them. */
  author: string | null;
  committer: string | null;
  /** Its committer date (ISO 8601), when given. */
  committed_at: string | null;
}

/** A pull request as a list shows it: enough to tell where and when it merged. */
export interface ListedPull {
  merged_at: string | null;
  merge_commit_sha: string | null;
  /** The branch it was (or would be) merged into. */
  base: { ref: string };
}

/** The marker that tells a body may hold a record: cheaper than parsing every comment. */
const MARKER = "compliance-gate:audit";

/** Whether `at` (ISO 8601) falls in the period. */
export function inPeriod(at: string | null | undefined, period: Period): boolean {
  if (typeof at !== "string") return false;
  const ms = Date.parse(at);
  return ms >= period.since && ms < period.until;
}

/** The records parsed from a body at `where`, when its writer may write them: a marker in anybody else's is a forgery or a quotation, said so. */
function recordsIn(parsed: ParsedAuditComment[], where: string, writer: WriterVerdict, into: Findings): void {
  if (!writer.ok) {
    into.problems.push(`ignored an audit marker in ${where}: ${writer.why}`);
    return;
  }
  for (const result of parsed) {
    if (result.ok) into.records.push({ record: result.record, comment: where });
    else into.problems.push(`unreadable audit record in ${where}: ${result.message}`);
  }
}

/** The audit records in a pull request's comments: only those the app (`app`, a bot login; any app when not given) wrote. */
export function recordsInComments(comments: readonly ListedComment[], app?: string): Findings {
  const found: Findings = { records: [], problems: [] };
  for (const comment of comments) {
    if (typeof comment.body !== "string" || !comment.body.includes(MARKER)) continue;
    const parsed = parseAuditComments(comment.body);
    if (parsed.length > 0) recordsIn(parsed, comment.url ?? `comment ${comment.id}`, recordWriter(comment.author, app), found);
  }
  return found;
}

/**
 * The audit records in a commit's check runs (output text: an audit comment's body, or a record
 * block alone): only those the app wrote. With no app pinned any app's count, and each says which.
 */
export function recordsInCheckRuns(runs: readonly ListedCheckRun[], app?: string): Findings {
  const found: Findings = { records: [], problems: [] };
  for (const run of runs) {
    if (typeof run.text !== "string" || !run.text.includes(MARKER)) continue;
    const parsed = parseAuditComments(run.text);
    if (parsed.length === 0) continue;
    const where = run.url ?? `check run ${run.id}`;
    const writer = checkRunWriter(run.app, app);
    if (writer.ok && app === undefined) found.problems.push(`${where} was written by @${botLogin(run.app as string)} (pass --app-login to accept only the app's records)`);
    recordsIn(parsed, where, writer, found);
  }
  return found;
}

/**
 * The copies of the record of a push covering `sha` in exception issues: only under the issue's
 * marker of that very push (`owner/name@<before>..<after>`, by any of the repository's `names`:
 * as the app was told it, as GitHub spells it), and only in the app's issues.
 */
export function recordsInExceptionIssues(
  issues: readonly ListedIssue[],
  about: { repository: string; names: readonly string[]; sha: string },
  app?: string,
): Findings {
  const found: Findings = { records: [], problems: [] };
  for (const issue of issues) {
    if (typeof issue.body !== "string" || !issue.body.includes(MARKER)) continue;
    const lines = issue.body.split(/\r\n|\r|\n/).map((line) => line.trim().toLowerCase());
    const where = issue.url ?? `issue #${issue.number}`;
    for (const result of parseAuditComments(issue.body)) {
      if (!result.ok || !pushRecordCovers(result.record, about.repository, about.sha)) continue;
      const { before, after } = result.record;
      const markers = about.names.map((name) => exceptionMarker(`${name}@${String(before)}..${String(after)}`).toLowerCase());
      if (!markers.some((marker) => lines.includes(marker))) continue;
      const writer = recordWriter(issue.author, app);
      if (!writer.ok) {
        found.problems.push(`ignored an audit marker in ${where}: ${writer.why}`);
        continue;
      }
      found.records.push({ record: result.record, comment: where });
    }
  }
  return found;
}

/**
 * The verdict records (SPEC §8) in the app's exception issues: an unapproved revision's issue holds
 * its applied record whole — for a revision on no gated branch, the one place the export finds it.
 */
export function verdictsInExceptionIssues(issues: readonly ListedIssue[], app?: string): Findings {
  const found: Findings = { records: [], problems: [] };
  for (const issue of issues) {
    if (typeof issue.body !== "string" || !issue.body.includes(MARKER)) continue;
    if (!recordWriter(issue.author, app).ok) continue;
    const where = issue.url ?? `issue #${issue.number}`;
    for (const result of parseAuditComments(issue.body)) if (result.ok && isVerdict(result.record)) found.records.push({ record: result.record, comment: where });
  }
  return found;
}

/** Of the records found on pull request #`number`, those about it (`owner/name#n`); any other is reported and ignored. */
export function recordsOfPull(found: Findings, repository: string, number: number): Findings {
  const problems = [...found.problems];
  const label = `${repository}#${number}`.toLowerCase();
  const records = found.records.filter((f) => {
    const r = f.record;
    const own = typeof r.repository === "string" && typeof r.pull_request === "number" ? `${r.repository}#${r.pull_request}` : null;
    if (own !== null && own.toLowerCase() === label) return true;
    problems.push(`${f.comment} holds the record of ${own ?? "no pull request"}, not of #${number}: ignored`);
    return false;
  });
  return { records, problems };
}

/** Whether a record is a verdict of SPEC §8 (a deployment answered, a revision applied): a row of its own, not a push's. */
function isVerdict(record: Record<string, unknown>): boolean {
  return record.kind === "deployment" || record.kind === "applied" || record.kind === "rebaseline";
}

/** Of the records found on commit `sha`, those of a push covering it; any other is reported and ignored (verdicts are rows of their own). */
export function recordsOfCommit(found: Findings, repository: string, sha: string): Findings {
  const problems = [...found.problems];
  const records = found.records.filter((f) => {
    if (pushRecordCovers(f.record, repository, sha)) return true;
    // A verdict is a row of its own; a merge's copy on its merge commit belongs to the merge's row.
    if (isVerdict(f.record) || (f.record.kind === "merge" && f.record.merge_commit_sha === sha)) return false;
    problems.push(`${f.comment} holds a record that is not about commit ${shortSha(sha)}: ignored`);
    return false;
  });
  return { records, problems };
}

/** Whether a push record is about `sha`: it is the push's head or one of its commits. */
export function pushRecordCovers(record: Record<string, unknown>, repository: string, sha: string): boolean {
  if (record.kind !== "push" || typeof record.repository !== "string" || record.repository.toLowerCase() !== repository.toLowerCase()) return false;
  if (record.after === sha) return true;
  return Array.isArray(record.commits) && record.commits.some((c) => (c as { sha?: unknown } | null)?.sha === sha);
}

/** The commits the push records of a row cover (its head, else `sha`, and the commits each lists): they need no row of their own. */
export function coveredCommits(records: readonly FoundRecord[], sha: string): string[] {
  const covered: string[] = [];
  for (const f of records) {
    covered.push(typeof f.record.after === "string" ? f.record.after : sha);
    if (!Array.isArray(f.record.commits)) continue;
    for (const c of f.record.commits) {
      const commit = (c as { sha?: unknown } | null)?.sha;
      if (typeof commit === "string") covered.push(commit);
    }
  }
  return covered;
}

/**
 * Which commit's policies judge a merged pull request that has no record: the first parent of its
 * merge commit (`parent`, its base as it was when it merged), else its last base commit, saying so;
 * when neither is known, the change is listed anyway (it may have touched an environment).
 */
export function judgingCommitOfMerge(pull: { merge_commit_sha: string | null; base_sha?: string }, parent: string | null): { commit: string | null; problems: string[] } {
  const problems: string[] = [];
  if (parent !== null) return { commit: parent, problems };
  if (pull.merge_commit_sha) {
    problems.push(`merge commit ${shortSha(pull.merge_commit_sha)} could not be read: judged by the policies at the pull request's last base commit`);
  } else {
    problems.push("GitHub gives no merge commit: judged by the policies at the pull request's last base commit");
  }
  const commit = pull.base_sha ?? null;
  if (commit === null) problems.push("its base commit is unknown: listed as missing a record, since it may have touched an environment");
  return { commit, problems };
}

/** The commits pull requests merged, by sha: the branches each was merged into. */
export function mergeCommitsByBranch(pulls: readonly ListedPull[]): Map<string, Set<string>> {
  const mergeCommits = new Map<string, Set<string>>();
  for (const pull of pulls) {
    if (pull.merged_at === null || !pull.merge_commit_sha) continue;
    const into = mergeCommits.get(pull.merge_commit_sha) ?? new Set<string>();
    into.add(pull.base.ref);
    mergeCommits.set(pull.merge_commit_sha, into);
  }
  return mergeCommits;
}

/** Whether one of the pull requests GitHub associates with a commit merged it into `branch` (a squash, a rebase, or one of its commits). */
export function mergedInto(pulls: readonly ListedPull[], branch: string): boolean {
  return pulls.some((pull) => pull.merged_at !== null && pull.base.ref === branch);
}

/** Of `branches`, those a policy judges (its scope.branches, or the default branch), sorted; with an invalid policy, whose branches are unknown, the default branch at least. */
export function gatedBranches(policies: PolicySet, branches: readonly string[], defaultBranch: string): string[] {
  return sortByCodePoint(
    branches.filter(
      (branch) =>
        environmentsFor({ policies: policies.policies, invalid: [] }, branch, defaultBranch).policies.length > 0 ||
        (branch === defaultBranch && policies.invalid.length > 0),
    ),
  );
}

/**
 * The first-parent history of a branch from `tip`, committed in the period, newest first: where a
 * push or a merge lands (a merged pull request's own commits hang off its merge commit). The
 * chain stops where the listed commits do.
 */
export function firstParentChain(commits: readonly ListedCommit[], tip: string, period: Period): ListedCommit[] {
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const chain: ListedCommit[] = [];
  const seen = new Set<string>();
  for (let commit = bySha.get(tip); commit !== undefined && !seen.has(commit.sha); commit = bySha.get(commit.parents[0] ?? "")) {
    seen.add(commit.sha);
    if (inPeriod(commit.committed_at, period)) chain.push(commit);
  }
  return chain;
}

/** Who landed a commit, as far as GitHub knows: its committer, or its author when GitHub committed a web edit. */
export function landedBy(commit: ListedCommit): string | null {
  const committer = commit.committer;
  if (committer && committer.toLowerCase() !== WEB_FLOW) return committer;
  return commit.author ?? null;
}

/** The change a merged pull request's row is about. */
export function mergeChange(
  repository: string,
  pull: { number: number; title: string; html_url?: string; merged_at: string | null; merged_by: string | null; merge_commit_sha: string | null },
  listedMergedAt: string,
): ExportedChange {
  return {
    repository,
    kind: "merge",
    pull_request: pull.number,
    title: pull.title,
    merged_at: pull.merged_at ?? listedMergedAt,
    merged_by: pull.merged_by,
    merge_commit_sha: pull.merge_commit_sha ?? "",
    url: pull.html_url ?? null,
  };
}

/** The change a direct push's row is about: named by the push's head, as its record is, else by the commit. */
export function pushChange(repository: string, commit: ListedCommit, records: readonly FoundRecord[]): ExportedChange {
  const head = records.find((f) => typeof f.record.after === "string")?.record.after as string | undefined;
  return {
    repository,
    kind: "push",
    pull_request: null,
    title: null,
    merged_at: commit.committed_at ?? "",
    merged_by: landedBy(commit),
    merge_commit_sha: head ?? commit.sha,
    url: commit.url,
  };
}

/** When a verdict was given: a deployment's answer, or the operator's report of an applied revision. */
function verdictTime(record: Record<string, unknown>): string | null {
  const at = record.kind === "applied" ? record.reported_at : record.evaluated_at;
  return typeof at === "string" ? at : null;
}

/**
 * The verdicts (SPEC §8) among the records found on commit `sha`: those about it, of this
 * repository, given in the period — each a row of its own, once however many commits' check runs
 * were read to find it (`seen`: the digests already exported).
 */
export function verdictsOf(found: Findings, repository: string, sha: string, period: Period, seen: Set<string>): FoundChange[] {
  const out: FoundChange[] = [];
  for (const f of found.records) {
    const r = f.record;
    if (!isVerdict(r) || r.sha !== sha || typeof r.repository !== "string" || r.repository.toLowerCase() !== repository.toLowerCase()) continue;
    if (!inPeriod(verdictTime(r), period) || typeof r.digest !== "string" || seen.has(r.digest)) continue;
    seen.add(r.digest);
    const environment = typeof r.environment === "string" ? r.environment : "?";
    const outcome = r.kind === "deployment" ? String(r.state) : r.kind === "rebaseline" ? "accepted" : r.compliant === true ? "approved" : "unapproved";
    const by = r.kind === "deployment" ? r.requested_by : r.kind === "rebaseline" ? r.accepted_by : (r.reporter as { creator?: unknown } | undefined)?.creator;
    out.push({
      change: {
        repository,
        kind: r.kind as "deployment" | "applied" | "rebaseline",
        pull_request: null,
        title: `${String(r.kind)} ${r.kind === "deployment" ? "to" : r.kind === "rebaseline" ? "of" : "in"} ${environment}: ${outcome}`,
        merged_at: verdictTime(r) ?? "",
        merged_by: typeof by === "string" ? by : null,
        merge_commit_sha: sha,
        url: f.comment.startsWith("http") ? f.comment : null,
        environment,
      },
      records: [f],
      environments: null,
      problems: [],
    });
  }
  return out;
}
