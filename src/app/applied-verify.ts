// Pull-based deployments (SPEC §8.2): Flux and Argo CD report the revision they applied, as a commit
// status or a GitHub deployment's status. On a successful report from a reporter a policy names
// (`verify.statuses`, `verify.deployments`), the revision's approval chain is checked: an `applied`
// record either way, and for an unapproved revision one compliance-exception issue per revision and
// environment. The record's check run is written last: it is what says "done" to a redelivery.
import type { KeyObject } from "node:crypto";
import type { Logger } from "probot";
import { judgeApplied } from "../audit/chain.js";
import { chainSummary, type AppliedRecord, type AppliedRecordBody, type AppliedReporter } from "../audit/verdict-record.js";
import { compileGlob } from "../engine/globs.js";
import type { Policy } from "../policy/types.js";
import { problemNote, exceptionNote } from "../render/audit-comment.js";
import { appliedException, appliedExceptionKey, brokenLinkException, brokenLinkKey, unverifiableChainException, unverifiableChainKey } from "../render/deployment-verdict.js";
import { refusedForGood } from "./audit-exceptions.js";
import { ChainReads } from "./chain-reads.js";
import { locateAndWalk, openException, publicKeyOf, sealVerdict, writeVerdict, type VerdictDependencies } from "./deployment-verdicts.js";
import type { DeploymentPorts, Job } from "./ports.js";

/** A report that a revision was applied: plain data, so a retry can wait in a queue. */
export type AppliedReport = {
  owner: string;
  repo: string;
  defaultBranch: string;
  sha: string;
  reporter: AppliedReporter;
  /** ISO 8601. */
  reportedAt: string;
  /** The installation whose client checks it; without one, no retry can be made. */
  installationId?: number;
  retryAttempt?: number;
  /** Retries made past Later's own (LATE_RETRY_MS). */
  lateRetries?: number;
  /** How many times the check waited for a record that may still be written. */
  deferrals?: number;
};

/** The job that checks a report of an applied revision. */
export function appliedJob(report: AppliedReport, log?: Record<string, string | number>): Job<AppliedReport> {
  return {
    kind: "verify-applied",
    key: `applied:${report.owner}/${report.repo}@${report.sha}`.toLowerCase(),
    ...(report.installationId !== undefined ? { installationId: report.installationId } : {}),
    payload: report,
    log: log ?? { repository: `${report.owner}/${report.repo}`, sha: report.sha },
  };
}

export type AppliedOutcome = "recorded" | "already_recorded" | "deferred" | "not_named" | "no_policies" | "failed";

/**
 * After Later's retries (10 s, 1 min, 5 min), the check of a report tries again at these delays:
 * Flux does not post the same status again, so a report whose check keeps failing for GitHub's
 * sake would otherwise have no applied record. In this process's timers unless Later is durable.
 */
const LATE_RETRY_MS: readonly number[] = [15 * 60_000, 60 * 60_000, 4 * 60 * 60_000];

/**
 * A report of a revision whose chain misses a record is checked again for this long after it was
 * reported, every RECHECK_MS, before the revision is recorded as a violation: the operator may
 * apply a merge before its record is written (the recorder's retries, the reconcile).
 */
const RECORD_GRACE_MS = 15 * 60_000;
const RECHECK_MS = 2 * 60_000;
/** Re-checks at most, whatever the report's time says (a status's time is its poster's). */
const MAX_DEFERRALS = 10;

/** Whether a policy names the reporter: a status context matching one of its globs, or one of its deployment environments. */
function namesReporter(policy: Policy, reporter: AppliedReporter): boolean {
  if (reporter.type === "status") return policy.verify.statuses.some((glob) => compileGlob(glob).match(reporter.context));
  return policy.verify.deployments.some((name) => name.toLowerCase() === reporter.environment.toLowerCase());
}

/** Exception issues opened at most for one report: the newest breaks (accepting the newest accepts all before it). */
const MAX_ISSUES_PER_REPORT = 5;

/**
 * The exception issues of an unapproved revision: one per change that breaks its chain (however
 * many revisions carry it: a redelivery, a later revision or another reporter finds it open), one
 * per environment and branch for a chain the walk could not finish, and one per revision for a
 * revision on no gated branch. The newest first, at most MAX_ISSUES_PER_REPORT.
 */
function exceptionsOf(record: AppliedRecord, repository: string): { key: string; title: string; body: string }[] {
  const { environment, branch, sha } = record;
  if (branch === null) {
    const key = appliedExceptionKey(repository, sha, environment);
    return [{ key, ...appliedException(record, key) }];
  }
  const out = record.chain.links
    .filter((l) => l.status === "violation" || l.status === "missing" || l.status === "unverified")
    .map((link) => {
      const key = brokenLinkKey(repository, link.sha, environment, branch);
      return { key, ...brokenLinkException(record, link, key) };
    });
  if (record.chain.end === "bound" || out.length === 0) {
    const key = unverifiableChainKey(repository, environment, branch);
    out.push({ key, ...unverifiableChainException(record, key) });
  }
  return out.slice(0, MAX_ISSUES_PER_REPORT);
}

/** Verifies applied revisions; a failure is logged and tried again later. */
export class AppliedVerifier {
  private readonly publicKey: KeyObject | undefined;

  constructor(private readonly deps: VerdictDependencies) {
    this.publicKey = publicKeyOf(deps.signingKey);
  }

  /** Checks the report; never rejects. A failure is tried again later, with a fresh client. */
  async onReport(report: AppliedReport, github: DeploymentPorts, log: Logger): Promise<AppliedOutcome> {
    const key = appliedJob(report).key;
    try {
      const outcome = await this.verify(report, github, log);
      this.deps.later.cancelRetry(key);
      return outcome;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const attempt = (report.retryAttempt ?? 0) + 1;
      const scheduled =
        report.installationId !== undefined && (this.deps.later.retry(key, appliedJob({ ...report, retryAttempt: attempt }), attempt) || this.lateRetry(key, report, attempt));
      log.error(
        { repository: `${report.owner}/${report.repo}`, sha: report.sha, error: message, ...(scheduled ? { retry: attempt } : {}) },
        scheduled ? "cannot check an applied revision: trying again later" : "cannot check an applied revision, and no retry is left: it has no applied record",
      );
      return "failed";
    }
  }

  /**
   * Whether the check waits for a missing record: while the report is recent (RECORD_GRACE_MS),
   * MAX_DEFERRALS times at most; false (record now) when no timer can be set.
   */
  private defer(report: AppliedReport): boolean {
    const deferrals = report.deferrals ?? 0;
    const now = this.deps.clock();
    const reported = Date.parse(report.reportedAt);
    if (report.installationId === undefined || deferrals >= MAX_DEFERRALS || !Number.isFinite(reported) || now - reported >= RECORD_GRACE_MS) return false;
    return this.deps.later.at(`recheck:${appliedJob(report).key}`, appliedJob({ ...report, deferrals: deferrals + 1 }), now + RECHECK_MS);
  }

  /** A retry past Later's own: the next of LATE_RETRY_MS, as a job at an instant. */
  private lateRetry(key: string, report: AppliedReport, attempt: number): boolean {
    const late = report.lateRetries ?? 0;
    const delay = LATE_RETRY_MS[late];
    if (delay === undefined) return false;
    return this.deps.later.at(`late:${key}`, appliedJob({ ...report, retryAttempt: attempt, lateRetries: late + 1 }), this.deps.clock() + delay);
  }

  private async verify(report: AppliedReport, github: DeploymentPorts, log: Logger): Promise<AppliedOutcome> {
    const { sha } = report;
    const repository = `${report.owner}/${report.repo}`;
    const reads = new ChainReads(github);
    // The reporters are named by the policies of the default branch: where the operator's configuration is governed.
    const found = await github.ports.policies.atBranchTip(report.defaultBranch);
    if (found.kind !== "policies") return "no_policies";
    const named = found.policies.policies.filter((p) => namesReporter(p, report.reporter));
    if (named.length === 0) {
      // An invalid file may have named it: what runs there goes unchecked until the file is fixed, and that is said.
      if (found.policies.invalid.length > 0) {
        log.error({ repository, sha, reporter: report.reporter, invalid: found.policies.invalid.map((p) => p.file) }, "a report of an applied revision that no valid policy names, while some policy files are invalid: it may go unchecked");
      }
      return "not_named";
    }

    const onCommit = await reads.checkRecords(sha);
    const recorded = (environment: string): boolean => onCommit.some((r) => r.kind === "applied" && r.environment === environment && r.sha === sha);
    const todo = named.filter((p) => !recorded(p.environment));
    if (todo.length === 0) return "already_recorded";

    const judged = [];
    for (const policy of todo) {
      const located = await locateAndWalk(reads, {
        repository,
        sha,
        policy,
        hint: report.defaultBranch,
        defaultBranch: report.defaultBranch,
        ...(this.publicKey ? { publicKey: this.publicKey } : {}),
      });
      judged.push({ policy, located, verdict: judgeApplied({ environment: policy.environment, sha, branch: located.branch, branches: located.branches, chain: located.chain }) });
    }
    if (judged.some((j) => !j.verdict.compliant && j.located.chain.links.some((l) => l.status === "missing")) && this.defer(report)) {
      log.info({ repository, sha, reporter: report.reporter, deferrals: (report.deferrals ?? 0) + 1 }, `applied revision ${sha.slice(0, 7)} misses a record that may still be written: checked again in ${RECHECK_MS / 60_000} min`);
      return "deferred";
    }

    for (const { policy, located, verdict } of judged) {
      const body: AppliedRecordBody = {
        version: 1,
        kind: "applied",
        repository,
        pull_request: null,
        environment: policy.environment,
        sha,
        branch: located.branch,
        reporter: report.reporter,
        reported_at: report.reportedAt,
        policy: { commit: found.commit, files: { ...found.blobs } },
        chain: chainSummary(located.chain),
        reasons: verdict.reasons,
        compliant: verdict.compliant,
        evaluated_at: new Date(this.deps.clock()).toISOString(),
      };
      const record = sealVerdict(body, this.deps.signingKey);
      const notes: string[] = [];
      if (!record.compliant && policy.audit.issue_on_exception) {
        for (const { key: issueKey, title, body: text } of exceptionsOf(record, repository)) {
          try {
            notes.push(exceptionNote(await openException(github, issueKey, title, text)));
          } catch (error) {
            if (!refusedForGood(error)) throw error;
            notes.push(problemNote(`the exception issue could not be opened: ${error.message}`));
          }
        }
      }
      await writeVerdict(github, record, `applied:${policy.environment}:${sha}`, notes);
      log.info(
        { repository, sha, environment: policy.environment, compliant: record.compliant, reasons: record.reasons, reporter: report.reporter, digest: record.digest },
        `applied revision ${sha.slice(0, 7)} in ${policy.environment} ${record.compliant ? "approved" : "is a violation"}`,
      );
    }
    return "recorded";
  }
}

