// The population of an audit export (SPEC §4.4, §6.4): every pull request merged in a period with
// the audit records the app left on it, and the direct pushes to gated branches with theirs (a
// `compliance/audit` check run on the push's head, else its exception issue). The reading is the
// ports', what belongs where is audit/population.ts's; this orders the two.
import {
  coveredCommits,
  firstParentChain,
  gatedBranches,
  inPeriod,
  judgingCommitOfMerge,
  mergeChange,
  mergeCommitsByBranch,
  mergedInto,
  pushChange,
  recordsInCheckRuns,
  recordsInComments,
  recordsInExceptionIssues,
  recordsOfCommit,
  recordsOfPull,
  verdictsInExceptionIssues,
  verdictsOf,
  type Findings,
  type FoundChange,
  type ListedCommit,
  type ListedIssue,
} from "../audit/population.js";
import type { KeyObject } from "node:crypto";
import { touchedEnvironments } from "../engine/touched.js";
import type { ChangedFile } from "../engine/types.js";
import { MAX_COMMENT_PAGES } from "../github/audit-comments.js";
import { MAX_PUSH_RECORD_PAGES, type ListedCheckRun } from "../github/check-runs.js";
import { GitHubError, type RequestCount } from "../github/client.js";
import { EXCEPTION_LABEL, MAX_ISSUE_PAGES } from "../github/exception-issues.js";
import { MAX_DEPLOYMENT_PAGES } from "../github/deployments.js";
import { MAX_BRANCH_PAGES, MAX_COMMIT_PAGES, type Listing } from "../github/history.js";
import type { PolicySet } from "../policy/types.js";
import { AUDIT_CHECK } from "../render/check-run.js";
import { mapConcurrently } from "./concurrency.js";
import type { Ports, PullRequest } from "./ports.js";
import { flagEnforcementGaps, recordRun } from "./enforcement-gaps.js";
import { closedPullsOfPeriod } from "./closed-pulls.js";

export interface PopulationRequest {
  owner: string;
  repo: string;
  /** The period, epoch milliseconds: merged (or committed) at or after `since`, before `until`. */
  since: number;
  until: number;
  /**
   * The app's bot login (`compliance-gate[bot]`): only its comments, check runs (app slug
   * `compliance-gate`) and exception issues count as audit records. Without it, any GitHub App's
   * do — a human's never — and a push record says in `problems` which app wrote it.
   */
  appLogin?: string;
  /** The app's public key: enforcement gap records must carry its signature to flag a merge. Without it their digest is checked. */
  publicKey?: KeyObject;
  /** Look for direct pushes to gated branches too (SPEC §4.3). Default true. */
  pushes?: boolean;
  /** Pull requests examined at once. Default 4. */
  concurrency?: number;
  /** The current time, epoch milliseconds (tests pin it). Default `Date.now()`. */
  now?: number;
  /** Called with a line of progress now and then, for long exports. */
  progress?: (message: string) => void;
}

export interface Population {
  /** `owner/name` as GitHub spells it. */
  repository: string;
  defaultBranch: string;
  changes: FoundChange[];
  /** Closed pull requests listed, merged ones in the period, gated branches and commits scanned. */
  stats: { pullsListed: number; mergedInPeriod: number; branches: string[]; commitsScanned: number; pushesScanned: boolean };
  requests: RequestCount;
  /** What the export as a whole noticed: enforcement gap records that could not be used. */
  problems: string[];
}

/** One export's reading: its ports, and what it already read that never changes. */
interface Export {
  ports: Ports;
  request: PopulationRequest;
  repository: string;
  defaultBranch: string;
  /** The push records in each commit's compliance/audit check runs, by commit sha. */
  checkRecords: Map<string, Promise<Findings>>;
  /** The compliance-exception issues updated in the period: listed once, when a push has no check run record. */
  exceptionIssues?: Promise<Listing<ListedIssue>>;
  /** The compliance/audit check runs read, by commit: enforcement gap records are among them too. */
  checkRuns: Map<string, Promise<{ runs: ListedCheckRun[]; complete: boolean }>>;
  /** The base branch of each merged pull request examined, by number: the branch a gap must name. */
  bases: Map<number, string>;
}

/**
 * The policies at a commit, null when there are none: through the one policy source, whose cache
 * and single flight read each commit once. A failure is not caught anywhere: it fails the export.
 */
async function policiesAt(ex: Export, commit: string): Promise<PolicySet | null> {
  const found = await ex.ports.policies.atCommit(commit);
  return found.kind === "none" ? null : found.policies;
}

/** A request GitHub answered "not here" (404, 409, 422): about one change, not the export as a whole. */
function isAboutOneChange(error: unknown): error is GitHubError {
  if (!(error instanceof GitHubError)) return false;
  // A request that failed is about this change only when GitHub said "not here"; a list that cannot be read whole always is.
  return error.request === undefined || error.status === 404 || error.status === 409 || error.status === 422;
}

/** Files a change's problems: one that could not be listed, or not whole, fails closed in touchedEnvironments. */
function fileProblems(error: GitHubError | null, truncated: boolean): string[] {
  return [...(error ? [`its changed files could not be listed (${error.message})`] : []), ...(truncated ? ["files truncated"] : [])];
}

/**
 * Reads the population of an audit export: each pull request merged in [since, until) with its
 * audit records, or — when it has none — with the environments it touched (and left out when it
 * touched none); then each direct push to a gated branch in the period. A GitHub failure throws
 * GitHubError: an export is whole or not at all.
 */
export async function readAuditPopulation(ports: Ports, request: PopulationRequest): Promise<Population> {
  const { repository, defaultBranch } = await ports.repository.read();
  const ex: Export = {
    ports,
    request,
    repository,
    defaultBranch,
    checkRecords: new Map(),
    checkRuns: new Map(),
    bases: new Map(),
  };

  const listed = await closedPullsOfPeriod(ports, repository, request);
  const merged = listed.filter((pull) => inPeriod(pull.merged_at, request));
  let examined = 0;
  const found = await mapConcurrently(merged, request.concurrency ?? 4, async (pull) => {
    const result = await examinePull(ex, pull.number, pull.merged_at as string);
    examined += 1;
    if (examined % 25 === 0 && examined < merged.length) request.progress?.(`checked ${examined} of ${merged.length} merged pull requests…`);
    return result;
  });
  const changes = found.filter((c): c is FoundChange => c !== null);

  let branches: string[] = [];
  let commitsScanned = 0;
  if (request.pushes !== false) {
    const pushes = await scanDirectPushes(ex, listed);
    branches = pushes.branches;
    commitsScanned = pushes.commitsScanned;
    changes.push(...pushes.changes, ...(await scanVerdicts(ex, pushes.scanned, pushes.policies)));
  }
  const problems = await flagEnforcementGaps(
    {
      ports,
      repository,
      since: request.since,
      ...(request.appLogin !== undefined ? { appLogin: request.appLogin } : {}),
      ...(request.publicKey !== undefined ? { publicKey: request.publicKey } : {}),
      exceptionIssues: () => exceptionIssuesOf(ex),
      checkRuns: async () => (await Promise.all(ex.checkRuns.values())).flatMap((listed) => listed.runs),
      bases: ex.bases,
    },
    changes,
  );
  return {
    repository,
    defaultBranch,
    changes,
    stats: { pullsListed: listed.length, mergedInPeriod: merged.length, branches, commitsScanned, pushesScanned: request.pushes !== false },
    requests: ports.requests(),
    problems,
  };
}

/** One merged pull request: its audit records, or the environments it touched; null when it is not in the population. */
async function examinePull(ex: Export, n: number, listedMergedAt: string): Promise<FoundChange | null> {
  const { ports, request, repository } = ex;
  // The list leaves out who merged and how many files changed.
  const pull = await ports.pulls.read(n);
  const change = mergeChange(repository, pull, listedMergedAt);
  ex.bases.set(n, pull.base.ref);
  const comments = await ports.audit.allComments(n);
  const inComments = recordsInComments(comments.items, request.appLogin);
  if (!comments.complete) inComments.problems.unshift(`only the first ${MAX_COMMENT_PAGES * 100} comments could be read`);
  const { records, problems } = recordsOfPull(inComments, repository, n);
  if (records.length > 0) return { change, records, environments: null, problems };

  // No record: did the pull request touch an environment? Judge it as the app would have on merge.
  const parent = pull.merge_commit_sha ? await ports.commits.mergeParent({ number: n, merge_commit_sha: pull.merge_commit_sha }) : null;
  const judging = judgingCommitOfMerge({ merge_commit_sha: pull.merge_commit_sha, ...(pull.base.sha !== undefined ? { base_sha: pull.base.sha } : {}) }, parent);
  problems.push(...judging.problems);
  if (judging.commit === null) return { change, records: [], environments: [], problems };
  const policies = await policiesAt(ex, judging.commit);
  if (policies === null) return null;
  let files: ChangedFile[] = [];
  let truncated = true;
  let unlisted: GitHubError | null = null;
  try {
    const changed = await ports.facts.changedFiles(pull, judging.commit);
    files = changed.files;
    truncated = changed.truncated;
  } catch (error) {
    if (!isAboutOneChange(error)) throw error;
    unlisted = error;
  }
  problems.push(...fileProblems(unlisted, truncated));
  const environments = touchedEnvironments(policies, { base: pull.base.ref, default_branch: ex.defaultBranch, files, files_truncated: truncated });
  if (environments.length === 0) return null;
  return { change, records: [], environments, problems };
}

/**
 * Direct pushes (SPEC §4.3) in the period: on every gated branch, the commits of its first-parent
 * history that are neither the merge commit of a pull request merged into that branch nor
 * associated with one, and that changed a path in an environment's scope by the policies at
 * their parent. Newest first, so a push record (in a check run on the push's head) covers the
 * older commits of its push; an older commit whose push's head changed no environment's path
 * (and so was passed over) finds its record there when it has none of its own.
 */
async function scanDirectPushes(
  ex: Export,
  pulls: readonly PullRequest[],
): Promise<{ changes: FoundChange[]; branches: string[]; commitsScanned: number; scanned: string[]; policies: PolicySet | null }> {
  const { ports, request, repository, defaultBranch } = ex;
  const listedBranches = await ports.repository.branches(repository);
  if (!listedBranches.complete) {
    throw new GitHubError(`${repository} has more than ${MAX_BRANCH_PAGES * 100} branches: its gated branches cannot all be found (run with --skip-pushes)`);
  }
  const tips = new Map(listedBranches.items.map((b) => [b.name, b.tip]));
  const defaultTip = tips.get(defaultBranch);
  if (defaultTip === undefined) return { changes: [], branches: [], commitsScanned: 0, scanned: [], policies: null };
  const policies = await policiesAt(ex, defaultTip);
  if (policies === null) return { changes: [], branches: [], commitsScanned: 0, scanned: [], policies: null };
  const branches = gatedBranches(policies, [...tips.keys()], defaultBranch);
  const mergeCommits = mergeCommitsByBranch(pulls);

  const changes: FoundChange[] = [];
  const scanned: string[] = [];
  let commitsScanned = 0;
  for (const branch of branches) {
    const listed = await ports.commits.history(branch, tips.get(branch) as string, request.since);
    if (!listed.complete) {
      throw new GitHubError(`${branch} has more than ${MAX_COMMIT_PAGES * 100} commits since ${new Date(request.since).toISOString()}: export a shorter period (or run with --skip-pushes)`);
    }
    const covered = new Set<string>();
    // Direct commits passed over (no environment's path changed), newest first: a push's head may be one.
    const passed: string[] = [];
    for (const commit of firstParentChain(listed.items, tips.get(branch) as string, request)) {
      commitsScanned += 1;
      scanned.push(commit.sha);
      if (commitsScanned % 100 === 0) request.progress?.(`checked ${commitsScanned} commits for direct pushes…`);
      if (covered.has(commit.sha) || mergeCommits.get(commit.sha)?.has(branch)) continue;
      if (mergedInto(await ports.pulls.ofCommit(commit.sha), branch)) continue;
      const push = await examinePush(ex, branch, commit, passed);
      if (push === null) {
        passed.push(commit.sha);
        continue;
      }
      for (const sha of coveredCommits(push.records, commit.sha)) covered.add(sha);
      changes.push(push);
    }
  }
  return { changes, branches, commitsScanned, scanned, policies };
}

/**
 * The verdicts of SPEC §8 given in the period: deployment and applied records, in the
 * compliance/audit check runs of the gated branches' commits scanned for pushes and of the commits
 * GitHub deployed to the environments the policies name (a rejected deployment of a commit on no
 * gated branch is found there). Each once, by digest.
 */
async function scanVerdicts(ex: Export, scanned: readonly string[], policies: PolicySet | null): Promise<FoundChange[]> {
  const { ports, request, repository } = ex;
  const shas = new Set(scanned);
  const environments = new Set((policies?.policies ?? []).flatMap((p) => [...p.deploy.environments, ...p.verify.deployments]));
  for (const environment of environments) {
    const deployed = await ports.repository.deployedSince(environment, request.since);
    if (!deployed.complete) throw new GitHubError(`${repository} has more than ${MAX_DEPLOYMENT_PAGES * 100} deployments to ${environment} since ${new Date(request.since).toISOString()}: export a shorter period`);
    for (const sha of deployed.items) shas.add(sha);
  }
  const seen = new Set<string>();
  const out: FoundChange[] = [];
  for (const sha of shas) out.push(...verdictsOf(await checkRunRecords(ex, sha), repository, sha, request, seen));
  // A revision an operator applied that is on no gated branch: its exception issue holds the record.
  ex.exceptionIssues ??= ports.audit.exceptionIssues(new Date(request.since).toISOString(), repository);
  const inIssues = verdictsInExceptionIssues((await ex.exceptionIssues).items, request.appLogin);
  for (const f of inIssues.records) {
    const sha = typeof f.record.sha === "string" ? f.record.sha : "";
    out.push(...verdictsOf({ records: [f], problems: [] }, repository, sha, request, seen));
  }
  return out;
}

/** A commit that reached `branch` outside any pull request: a row when it changed an environment's scope, else null. */
async function examinePush(ex: Export, branch: string, commit: ListedCommit, passed: readonly string[]): Promise<FoundChange | null> {
  const { ports, repository } = ex;
  // Judged by the policies at its parent, as a pull request's merge by its base at the time.
  const policies = await policiesAt(ex, commit.parents[0] ?? commit.sha);
  if (policies === null) return null;
  let files: ChangedFile[] = [];
  let truncated = true;
  let unlisted: GitHubError | null = null;
  try {
    ({ files, truncated } = await ports.commits.files(commit.sha));
  } catch (error) {
    if (!isAboutOneChange(error)) throw error;
    unlisted = error;
  }
  const problems = fileProblems(unlisted, truncated);
  const environments = touchedEnvironments(policies, { base: branch, default_branch: ex.defaultBranch, files, files_truncated: truncated });
  if (environments.length === 0) return null;

  const found = recordsOfCommit(await checkRunRecords(ex, commit.sha), repository, commit.sha);
  problems.push(...found.problems);
  let records = found.records;
  // An older commit of a push whose head was passed over: the record is in the head's check runs.
  for (let i = passed.length - 1; i >= 0 && records.length === 0; i -= 1) {
    const newer = await checkRunRecords(ex, passed[i] as string);
    records = recordsOfCommit(newer, repository, commit.sha).records;
    if (records.length > 0) problems.push(...newer.problems);
  }
  if (records.length === 0) {
    const issued = await exceptionIssueRecords(ex, commit.sha);
    records = issued.records;
    problems.push(...issued.problems);
  }
  return { change: pushChange(repository, commit, records), records, environments: records.length > 0 ? null : environments, problems };
}

/**
 * The audit records in the `compliance/audit` check runs of commit `sha` (every run, not only the
 * latest: a branch forced back to a commit has a record per push); only those the app wrote.
 * Read once per commit.
 */
function checkRunRecords(ex: Export, sha: string): Promise<Findings> {
  let pending = ex.checkRecords.get(sha);
  if (pending === undefined) {
    const listing = ex.ports.audit.pushRecordRuns(sha);
    ex.checkRuns.set(sha, listing);
    pending = listing.then((listed) => {
      const found = recordsInCheckRuns(listed.runs.filter((run) => run.name === AUDIT_CHECK).map(recordRun), ex.request.appLogin);
      if (!listed.complete) found.problems.unshift(`only the first ${MAX_PUSH_RECORD_PAGES * 100} ${AUDIT_CHECK} check runs of commit ${sha.slice(0, 7)} could be read`);
      return found;
    });
    ex.checkRecords.set(sha, pending);
  }
  return pending;
}

/** The compliance-exception issues updated in the period: listed once per export, when needed. */
function exceptionIssuesOf(ex: Export): Promise<Listing<ListedIssue>> {
  ex.exceptionIssues ??= ex.ports.audit.exceptionIssues(new Date(ex.request.since).toISOString(), ex.repository);
  return ex.exceptionIssues;
}

/**
 * A second copy of a non-compliant push's record: in the app's exception issue, for a push whose
 * check run was never written. The issues updated in the period are listed once per export, and
 * only when a push row needs them.
 */
async function exceptionIssueRecords(ex: Export, sha: string): Promise<Findings> {
  const { owner, repo, appLogin } = ex.request;
  const listed = await exceptionIssuesOf(ex);
  // The marker names the repository as the app was told it, or as GitHub spells it.
  const found = recordsInExceptionIssues(listed.items, { repository: ex.repository, names: [`${owner}/${repo}`, ex.repository], sha }, appLogin);
  if (found.records.length > 0) found.problems.push(`no ${AUDIT_CHECK} check run holds its record: exported the copy in its exception issue`);
  else if (!listed.complete) found.problems.push(`only the first ${MAX_ISSUE_PAGES * 100} ${EXCEPTION_LABEL} issues could be searched for its record`);
  return found;
}
