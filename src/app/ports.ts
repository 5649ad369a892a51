// The ports: what the use cases ask of GitHub, and of time, as interfaces the use cases own.
// github/ implements them over the REST API (wired in github-ports.ts), test/fakes/ in memory.
// The validated data they carry (a PullRequest, a policy lookup, a listed check run) is defined by
// the decoders in github/, which sit below app/ and so cannot import this file; conformance is
// checked where app/ wires the adapters. Every method throws GitHubError when GitHub cannot be read.
import type { GapRecord } from "../audit/enforcement-gap.js";
import type { ListedCommit } from "../audit/population.js";
import type { LinkedIssue } from "../audit/merge-why.js";
import type { EnforcementChange, FoundEnforcement } from "../engine/enforcement.js";
import type { TeamRef } from "../engine/facts-needed.js";
import type { ChangedFile } from "../engine/types.js";
import type { Permission, PolicySet } from "../policy/types.js";
import type { PlannedCheck } from "../render/check-run.js";
import type { AuditComment, AuditCommentWrite, ListedComment } from "../github/audit-comments.js";
import type { ChangedFiles } from "../github/changed-files.js";
import type { CheckTarget, ListedCheckRun } from "../github/check-runs.js";
import type { RequestCount } from "../github/client.js";
import type { ApiCommit } from "../github/commit-identities.js";
import type { Comparison } from "../github/comparison.js";
import type { DeploymentWrite } from "../github/deployments.js";
import type { ExceptionIssueWrite, ListedIssue } from "../github/exception-issues.js";
import type { Listing } from "../github/history.js";
import type { BaseBeforeMerge } from "../github/merge-base.js";
import type { HistoryCommit } from "../github/history.js";
import type { GroupRange, LandedFile, QueueRef } from "../github/merge-group-commits.js";
import type { PolicyFile } from "../github/policy-files.js";
import type { PolicyLookup } from "../github/policy-source.js";
import type { GatheredFacts } from "../github/pull-facts.js";
import type { ClosedListing, PullRequest } from "../github/pulls.js";
import type { ReviewRequest } from "../github/review-requests.js";

export type { PolicyLookup, PoliciesFound } from "../github/policy-source.js";
export type { PullRequest } from "../github/pulls.js";
export type { CheckTarget, ListedCheckRun } from "../github/check-runs.js";

/**
 * The policies of the repository — the only policy cache: evaluation, compliance/policy, the
 * audit of merges and pushes, and the export read them here.
 */
export interface PolicySource {
  /** The policies at the tip of `branch` (a free 304 when the tip has not moved; no request when these ports read it in the last 10 s: one view of the base per evaluation). */
  atBranchTip(branch: string): Promise<PolicyLookup>;
  /** The policies at `commit` (of `branch`, when known: policies vanishing from a branch are looked at twice). */
  atCommit(commit: string, branch?: string): Promise<PolicyLookup>;
  /** The policy files at a PR's head, for compliance/policy: read, never put in the shared cache. Empty when none. */
  headFiles(commit: string): Promise<PolicyFile[]>;
}

/** The repository's pull requests, all as the one validated PullRequest. */
export interface PullRequests {
  /** The pull request as GitHub has it now (a free 304 when it did not change since this process read it). */
  read(number: number): Promise<PullRequest>;
  /** The open pull requests into `base` (into any branch: undefined) on `maxPages` pages from `firstPage`; `nextPage` is where to go on. */
  openInto(base: string | undefined, pages: { firstPage: number; maxPages: number }): Promise<{ pulls: PullRequest[]; complete: boolean; nextPage: number }>;
  /** The pull requests GitHub associates with a commit (open ones; merged ones on the default branch). */
  ofCommit(sha: string): Promise<PullRequest[]>;
  /** Closed pull requests updated since `since`, most recent first, up to `maxPages` pages. */
  closedSince(options: { since: number; maxPages: number; base?: string; perPage?: number; doing: string | ((page: number) => string); onPage?: (page: number, listed: number) => void }): Promise<ClosedListing>;
  /** A pull request's commits (at most 250); `complete` false when GitHub offered more. */
  commits(number: number): Promise<{ commits: ApiCommit[]; complete: boolean }>;
  /** Asks for reviews on a pull request. */
  requestReviewers(number: number, request: ReviewRequest): Promise<void>;
  /** The issues GitHub says a pull request closes (at most 20) and how many; null when GitHub cannot tell. */
  closingIssues(number: number): Promise<{ issues: LinkedIssue[]; total: number } | null>;
}

/** The facts of a pull request (SPEC §2), and the team and permission directory behind them (with its TTL). */
export interface FactsSource {
  /** The facts of `pull` at its head, for `policies` (read at `policyCommit`) at `now`. */
  gather(pull: PullRequest, judging: { policies: PolicySet; policyCommit: string; now: number }): Promise<GatheredFacts>;
  /** A PR's changed files alone (past GitHub's 3,000, through the trees of `baseCommit` and its head). */
  changedFiles(pull: PullRequest, baseCommit: string): Promise<ChangedFiles>;
}

/** Where verdicts go: this app's check runs. */
export interface CheckSink {
  /** This app's id, once known. */
  readonly appId: number | undefined;
  /**
   * Posts a check run, unless what it shows is what this app last wrote there (`force` posts
   * anyway). Throws GitHubError when it cannot be written; with `rateLimit` set, GitHub asked to wait.
   */
  post(target: CheckTarget, check: PlannedCheck, options?: { force?: boolean }): Promise<"posted" | "unchanged">;
  /** The latest compliance check run of each name on a commit, this app's when its id is known. */
  ours(sha: string): Promise<ListedCheckRun[]>;
}

/** The commits of the repository and what they change: for merge groups, pushes and merges. */
export interface Commits {
  /** Where the base branch was just before `pull` merged. */
  baseBeforeMerge(pull: PullRequest): Promise<BaseBeforeMerge>;
  /** The commits of `base...head`, at most `maxCommits` (more throws). */
  range(base: string, head: string, maxCommits: number): Promise<GroupRange>;
  /** The merge queue's refs of a base branch. */
  queueRefs(base: string): Promise<{ refs: QueueRef[]; complete: boolean }>;
  /** What the commits from `base` to `head` change, each file with the blob it leaves. */
  filesBetween(base: string, head: string): Promise<{ files: LandedFile[]; complete: boolean }>;
  /** A PR's changed files with the blob each leaves at its head. */
  pullFileBlobs(number: number, maxFiles: number): Promise<{ files: LandedFile[]; complete: boolean }>;
  /** What `base...head` changed: its first 100 commits and 300 files. */
  compare(base: string, head: string): Promise<Comparison>;
  /** The files one commit changed, at most 3,000; `truncated` when there may be more. */
  files(sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }>;
  /** The first parent of a PR's merge commit; null when GitHub cannot say (the commit is gone). */
  mergeParent(pull: { number: number; merge_commit_sha: string }): Promise<string | null>;
  /** The commits of `branch` reachable from `tip` committed since `since` (epoch ms). */
  history(branch: string, tip: string, since: number): Promise<Listing<ListedCommit>>;
}

/** The repository itself. */
export interface RepositorySource {
  /** Its name as GitHub spells it (`owner/name`), and its default branch. */
  read(): Promise<{ repository: string; defaultBranch: string }>;
  /** Its branches, with their tips. */
  branches(repository: string): Promise<Listing<{ name: string; tip: string }>>;
  /** The commits GitHub deployed to `environment` since `since` (epoch ms), newest first. */
  deployedSince(environment: string, since: number): Promise<Listing<string>>;
}

/** What the audit trail writes on GitHub (SPEC §4), each write idempotent, and finds again. */
export interface AuditTrail {
  /** This app's audit comments on a PR since `since`, earliest first. */
  comments(number: number, login: string, since: string | undefined): Promise<AuditComment[]>;
  /** Deletes every audit comment but the earliest. */
  keepEarliest(comments: AuditComment[]): Promise<number[]>;
  /** Writes the PR's audit comment unless this app already did (`listed` saves listing again). */
  writeComment(request: { number: number; login: string; since?: string; body: string }, listed?: AuditComment[]): Promise<AuditCommentWrite>;
  /** Opens the exception issue about `key` unless this app already did. */
  openExceptionIssue(request: { key: string; login: string; since?: string; title: string; body: string }): Promise<ExceptionIssueWrite>;
  /** Records a deployment of `sha` to an environment with a success status, unless this app already did. */
  recordDeployment(request: { sha: string; environment: string; description: string; payload: Record<string, unknown>; login: string }): Promise<DeploymentWrite>;
  /** Whether this app already recorded the push `before`→`sha` in a compliance/audit check run. */
  hasPushRecord(request: { sha: string; before: string; login: string }): Promise<boolean>;
  /** Posts a record (a push's; a verdict names itself with `externalId`) as a compliance/audit check run on its commit. */
  postRecord(request: { sha: string; compliant: boolean; title: string; summary: string; text: string; externalId?: string }): Promise<number | undefined>;
  /** Every comment of a PR, anyone's (the export judges who wrote each). */
  allComments(number: number): Promise<Listing<ListedComment>>;
  /** Every compliance/audit check run of a commit, not only the latest, anyone's. */
  pushRecordRuns(sha: string): Promise<{ runs: ListedCheckRun[]; complete: boolean }>;
  /** The compliance-exception issues updated since `since` (ISO 8601), anyone's. */
  exceptionIssues(since: string, repository: string): Promise<Listing<ListedIssue>>;
  /** The issues `creator` (the app's bot login) opened since `since` (epoch ms), newest first: where enforcement gap records are. */
  issuesOpenedBy(creator: string, since: number, repository: string): Promise<Listing<ListedIssue>>;
}

/** Everything a use case reads and writes of one repository, through one installation's client. */
export interface Ports {
  owner: string;
  repo: string;
  policies: PolicySource;
  pulls: PullRequests;
  facts: FactsSource;
  checks: CheckSink;
  commits: Commits;
  audit: AuditTrail;
  repository: RepositorySource;
  /** The requests made through these ports so far, for the log line of the use case. */
  requests(): RequestCount;
  /** Rejects (LeaseLost) when the run these ports serve no longer holds its key (queue/fence.ts); absent outside a queue's run. */
  held?(): Promise<void>;
}

/**
 * Work to do now or later, as plain data — no client, no logger, no closure — so that a durable
 * queue can store it: the runner builds a fresh installation client when the job runs.
 */
export interface Job<P = unknown> {
  /** Which use case runs it (the runner's table). The payload is plain data: it survives JSON.stringify and JSON.parse. */
  kind: string;
  /** Jobs of one key never run at once, on any replica; a job that arrives while one runs is folded into one more run. */
  key: string;
  installationId?: number;
  payload: P;
  /** Bindings of the job's log lines (the delivery, the repository). */
  log?: Record<string, string | number>;
  /**
   * Interactive work (a person's review, push or label: someone is waiting for the check) runs
   * ahead of bulk work (re-evaluating every open PR after a policy push, reconciles, sweeps),
   * which runs in fewer slots of its own. Default interactive.
   */
  priority?: JobPriority;
}

/** Which line a job waits in. */
export type JobPriority = "interactive" | "bulk";

/**
 * Later: coalescing per key, bounded retries with backoff, and jobs at an instant (freeze edges).
 * One interface, two implementations: in this process (app/later.ts) and, with REDIS_URL, durable
 * in Redis and shared by every replica (app/queue/redis-later.ts).
 */
export interface Later {
  /**
   * Accepts the job: it runs when a worker is free and no run of its key is under way anywhere,
   * folded with the jobs of its key that arrived meanwhile into one run (by its kind's merge).
   * Resolves once the job is accepted (stored, with Redis) — not when it has run; rejects with
   * QueueUnavailable when the queue cannot take it (Redis unreachable, the in-process queue full).
   */
  enqueue(job: Job): Promise<void>;
  /**
   * Runs the job again after the backoff of retry `attempt` (1-based), as the retry `key` (one
   * pending per key: a newer one replaces it). False, scheduling nothing, when the attempts are
   * used up or too many retries are pending.
   */
  retry(key: string, job: Job, attempt: number): boolean;
  /** Cancels the pending retry `key`. */
  cancelRetry(key: string): void;
  /** The attempt the pending retry `key` will make, or undefined (a hint, with Redis: the retries this replica set). */
  pendingRetry(key: string): number | undefined;
  /**
   * Runs the job at `at` (epoch ms), as the timer `key` (one per key: a newer one replaces it),
   * fired by one replica. False when too many timers are set and `key` had none.
   */
  at(key: string, job: Job, at: number): boolean;
  /** Cancels the timer `key`, and with `under` those of the keys under it (`key@…`). */
  cancelTimer(key: string, under?: boolean): void;
  /** Resolves once no job is running or waiting to run now (fired retries and timers included). */
  idle(): Promise<void>;
  /**
   * Whether a run of `key` waits or has begun since this queue started (in Redis: since it found
   * Redis had lost data). The start-up sweep skips such a PR: that run reads GitHub after the
   * start, so whatever a delivery lost before the start is in what it reads.
   */
  coveredSinceStart?(key: string): boolean | Promise<boolean>;
  /**
   * Whether a job of `key` waits or runs (a queue in Redis): the sweep then queues its job without
   * reading the PR's checks — it folds into a run of the key, and gives the key a ticket of its own
   * should Redis have kept the job but lost its ticket.
   */
  hasWork?(key: string): boolean | Promise<boolean>;
}

/** The queue cannot take a job now: the delivery is answered 503 so that GitHub records it as failed. */
export class QueueUnavailable extends Error {
  override readonly name = "QueueUnavailable";
}

/**
 * Thrown by a job's run: run the job again after `afterMs` instead of reporting a failure (GitHub
 * asked to wait, with retry-after or a secondary rate limit; or the failure had no commit to be
 * reported on). `job` replaces the job that threw, when given (say, with an attempt counted).
 */
export class RetryLater extends Error {
  override readonly name = "RetryLater";

  constructor(
    message: string,
    readonly afterMs: number,
    readonly job?: Job,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Enforcement (SPEC §5): app/enforce.ts asks these of one repository; enforcement-github.ts wires them.

/** The policies of a branch: its policy set at its tip, none, or a branch that does not exist (yet). */
export type BranchPolicyLookup = { kind: "policies"; policies: PolicySet; commit: string } | { kind: "no_policies"; commit: string } | { kind: "no_branch" };

/** Where the policies come from: read at a branch's tip, through the app's one policy cache. */
export interface EnforcementPolicies {
  /** The repository's default branch, whose policies name the branches to enforce. */
  defaultBranch(): Promise<string>;
  /** Throws GitHubError when GitHub cannot be read. */
  policiesOn(branch: string): Promise<BranchPolicyLookup>;
}

/** What GitHub enforces, and the writes that change it. Reads and writes throw GitHubError. */
export interface RequiredChecksGateway {
  /** The rulesets (this app's in full) and, for each literal branch, its active rules and classic protection. */
  find(literalBranches: readonly string[], appId: number): Promise<FoundEnforcement>;
  apply(change: EnforcementChange, appId: number): Promise<void>;
}

/** The exception issues of enforcement gaps (and of protection removed, of drift held back): opened once per key. */
export interface GapIssues {
  /** Opens the issue about `key` unless this app already did; returns its number and address. Throws GitHubError (410 when issues are turned off). */
  open(request: { key: string; title: string; body: string; since: string }): Promise<{ number: number; url: string | null }>;
}

/** A commit that landed on a branch. */
export interface LandedCommit {
  sha: string;
  /** The first line of its message. */
  title: string;
  /** ISO 8601, as its committer dates it. */
  at: string | null;
}

/**
 * The copy of a gap's record only the app can write — a compliance/audit check run, which nobody
 * can edit or delete — and the commits that landed in a gap. Throws GitHubError.
 */
export interface GapEvidence {
  /**
   * Posts the record (`text`, with `title`) as a compliance/audit check run on the tip of each
   * of `branches` that exists (external id `enforcement:<branch>:<from>`), or on the default
   * branch's when none does. Returns the commits it went on.
   */
  keep(request: { gap: GapRecord; branches: string[]; title: string; text: string }): Promise<string[]>;
  /** The commits that landed on `branch` between `from` and `until` (ISO 8601), newest first, at most 100. */
  landed(branch: string, from: string, until: string): Promise<{ commits: LandedCommit[]; complete: boolean }>;
}

/** Everything enforcement needs of one repository, through one client. */
export interface EnforcementPorts {
  repository: { owner: string; repo: string };
  policies: EnforcementPolicies;
  rules: RequiredChecksGateway;
  issues: GapIssues;
  evidence: GapEvidence;
  /** Requests made so far, for logs. */
  requests(): number;
}

// ---------------------------------------------------------------------------------------------
// Deployments (SPEC §8): the deployment gate, the applied-revision check, re-baselines and the trace
// read the repository through Ports, and ask these few things besides; github-ports.ts wires them.

export type { HistoryCommit } from "../github/history.js";

/** What the deployment use cases ask of GitHub beyond Ports. Every method throws GitHubError when GitHub cannot be read. */
export interface DeploymentGitHub {
  /** The first-parent history from `sha`, newest first, at most `max` commits; `exhausted` when it reached the first commit. */
  firstParents(sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }>;
  /**
   * Whether `sha` is on `branch`'s first-parent line (its tip, or a commit the tip reaches through
   * first parents): a state the branch was in, never a commit merged in from elsewhere. `unknown`
   * when it is an ancestor further back than the history can be listed.
   */
  isOnBranch(sha: string, branch: string): Promise<boolean | "unknown">;
  /** The tip of a branch, or null when there is no such branch. */
  branchTip(branch: string): Promise<string | null>;
  /** The commit and branch of a workflow run (`actions: read`); null when GitHub has no such run. */
  workflowRun(runId: number): Promise<{ sha: string; branch: string | null } | null>;
  /** Answers a workflow run waiting on this app as a custom deployment protection rule. */
  answerProtectionRule(runId: number, environment: string, state: "approved" | "rejected", comment: string): Promise<void>;
  /** The members of `teams` (by TeamRef key), and — when `permission` asks — `login`'s permission on the repository (null: none, or not asked). */
  directory(teams: readonly TeamRef[], login: string, permission: boolean): Promise<{ teams: Record<string, string[]>; permission: Permission | null }>;
  /** Comments on an issue. */
  commentOnIssue(number: number, body: string): Promise<void>;
}

/** Everything a deployment use case reads and writes of one repository, through one client. */
export interface DeploymentPorts {
  /** The repository's ports; the records they post (`audit.postRecord`) are verdicts. */
  ports: Ports;
  deployments: DeploymentGitHub;
  /**
   * This app's bot login (asked when first needed): only its comments, check runs and issues hold
   * records. Undefined (the CLI without --app-login): any GitHub App's count.
   */
  login(): Promise<string | undefined>;
}
