// The audit of a merged pull request (SPEC §4.1–4.3): re-evaluate it as merged — facts as GitHub
// has them now, reviews up to the merge, the policies of the base branch just before the merge,
// the clock at the merge — then record a GitHub deployment per environment that asks for one,
// open the exception issue when there is an exception, and write the one audit comment, last.
//
// The comment is written last because it is what says "done": a redelivery, a retry or a
// reconcile that finds it stops there, so whatever comes before it (the issue, the deployments)
// must have been done — each of those is idempotent on its own, and is simply redone when a
// failure came between.
import type { KeyObject } from "node:crypto";
import type { Logger } from "probot";
import { buildMergeRecord, type AuditRecord } from "../audit/record.js";
import { sealRecord } from "../audit/seal.js";
import { decide } from "../engine/index.js";
import type { AppIdentity } from "../github/app-identity.js";
import { GitHubError } from "../github/client.js";
import { LruCache } from "../github/lru-cache.js";
import { enforcementGapAt } from "./enforcement-gaps.js";
import { exceptionNote, problemNote, renderAuditComment } from "../render/audit-comment.js";
import { auditCheckText, mergeCheckHeadline } from "../render/audit-check.js";
import { deploymentDescription } from "../render/deployment.js";
import { exceptionBody, exceptionTitle } from "../render/exception-issue.js";
import { sizeOf } from "../render/fit.js";
import { MAX_BODY } from "../render/limits.js";
import { auditSettingsOf, exceptionOf, refusedForGood, touchedDecisions } from "./audit-exceptions.js";
import { pullKeyOf } from "./evaluation-memory.js";
import type { Job, Later, Ports, PullRequest } from "./ports.js";
import { requestSummary } from "./request-tally.js";

/** What the audit of merges and pushes shares. */
export interface AuditDependencies {
  identity: AppIdentity;
  /** Absent: records carry their digest only. */
  signingKey?: KeyObject;
  clock: () => number;
  later: Later;
  /** Whether a merge's record says when it landed in an enforcement gap (SPEC §5): two more reads per record (the app's issues, its branch tip's compliance/audit runs). Default true. */
  enforcementGaps?: boolean;
}

/** A merged pull request to record: plain data, so a retry can wait in a queue. */
export type MergeRequest = {
  owner: string;
  repo: string;
  number: number;
  installationId?: number;
  serverUrl?: string;
  /**
   * The webhook's pull_request: the PR as it was when merged (its labels then decide break
   * glass). Absent for a reconcile or retry without one: the PR is read as it is now.
   */
  pull?: PullRequest;
  /** When the PR merged, as a listing said: lets an existing record be found before the PR is read. */
  mergedAt?: string;
  /** Why: the event, `reconcile` or `retry`, for logs. */
  reason: string;
  retryAttempt?: number;
};

/** The job that records a merge. */
export function recordMergeJob(request: MergeRequest, log?: Record<string, string | number>): Job<MergeRequest> {
  return {
    kind: "record-merge",
    key: retryKeyOf(request.owner, request.repo, request.number),
    ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
    payload: request,
    log: log ?? { repository: `${request.owner}/${request.repo}`, pull_request: request.number },
  };
}

/** How a recording ended. `recorded` wrote (or found) everything the policies ask for. */
export type MergeOutcome = "recorded" | "already_recorded" | "not_merged" | "no_policies" | "not_affected";

/** Records remembered as settled, so redeliveries and reconciles cost nothing (bounded). */
const MAX_SETTLED = 20_000;

/** Epoch ms → ISO 8601; the record's times are GitHub's own strings where GitHub gives them. */
const iso = (ms: number): string => new Date(ms).toISOString();

/** Records merged pull requests; one recording per PR at a time in this process. */
export class MergeRecorder {
  private readonly inFlight = new Map<string, Promise<MergeOutcome>>();
  /** PRs whose audit is done (or needs nothing), by pull key. */
  private readonly settled = new LruCache<string, MergeOutcome>({ maxEntries: MAX_SETTLED });

  constructor(private readonly deps: AuditDependencies) {}

  /** Whether this process knows the PR's audit is done, or needs nothing. */
  isSettled(owner: string, repo: string, number: number): boolean {
    return this.settled.get(pullKeyOf(owner, repo, number)) !== undefined;
  }

  /** Whether a retry of the PR's recording is pending. */
  isRetrying(owner: string, repo: string, number: number): boolean {
    return this.deps.later.pendingRetry(retryKeyOf(owner, repo, number)) !== undefined;
  }

  /**
   * Records the merge; a failure is logged and tried again later (10 s, 1 min, 5 min), after
   * which the reconcile takes over (SPEC §4.4). Never rejects.
   */
  async onMerged(request: MergeRequest, ports: Ports, log: Logger): Promise<MergeOutcome | "failed"> {
    const key = retryKeyOf(request.owner, request.repo, request.number);
    try {
      const outcome = await this.record(request, ports, log);
      this.deps.later.cancelRetry(key);
      return outcome;
    } catch (error) {
      const message = error instanceof GitHubError ? error.message : error instanceof Error ? `unexpected error: ${error.message}` : String(error);
      const attempt = (request.retryAttempt ?? 0) + 1;
      const scheduled = this.deps.later.retry(key, recordMergeJob({ ...request, reason: "retry", retryAttempt: attempt }), attempt);
      log.error(
        { repository: `${request.owner}/${request.repo}`, pull_request: request.number, reason: request.reason, error: message, ...(scheduled ? { retry: attempt } : {}) },
        scheduled
          ? "the audit record of a merge could not be written: trying again later"
          : "the audit record of a merge could not be written, and no retry is left: the reconcile of recent merges will try again on a later event in the repository",
      );
      return "failed";
    }
  }

  /** Records the merge unless this process already did or is doing it; throws when GitHub fails. */
  record(request: MergeRequest, ports: Ports, log: Logger): Promise<MergeOutcome> {
    const key = pullKeyOf(request.owner, request.repo, request.number);
    const settled = this.settled.get(key);
    if (settled !== undefined) return Promise.resolve(settled);
    const running = this.inFlight.get(key);
    if (running) return running;
    const run = this.recordNow(request, ports, log).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }

  private settle(request: MergeRequest, outcome: MergeOutcome): MergeOutcome {
    this.settled.set(pullKeyOf(request.owner, request.repo, request.number), outcome);
    return outcome;
  }

  private async recordNow(request: MergeRequest, ports: Ports, log: Logger): Promise<MergeOutcome> {
    const { owner, repo, number } = request;
    const repository = `${owner}/${repo}`;
    const started = this.deps.clock();
    const login = await this.deps.identity.botLogin();

    // The cheapest question first: a redelivery, a retry or a reconcile finds the comment and stops.
    const since = request.pull?.merged_at ?? request.mergedAt ?? undefined;
    const existing = since !== undefined ? await ports.audit.comments(number, login, since) : undefined;
    if (existing !== undefined && existing.length > 0) {
      // Two comments a race left (see audit-comments.ts) are made one again: the earliest stays.
      if (existing.length > 1) await ports.audit.keepEarliest(existing);
      log.debug({ repository, pull_request: number, comment: existing[0]?.url, requests: requestSummary(ports.requests()) }, "already recorded");
      return this.settle(request, "already_recorded");
    }

    const pull = request.pull ?? (await ports.pulls.read(number));
    if (!pull.merged || pull.merged_at === null || pull.merge_commit_sha === null) return this.settle(request, "not_merged");
    const mergedAt = Date.parse(pull.merged_at);
    if (!Number.isFinite(mergedAt)) throw new GitHubError(`GitHub gives #${number} an unreadable merge time "${pull.merged_at}"`);
    const comments = existing ?? (await ports.audit.comments(number, login, pull.merged_at));
    if (comments.length > 0) return this.settle(request, "already_recorded");

    // The policies of the base branch as it was just before the merge: the tip now holds the PR's own changes.
    const base = await ports.commits.baseBeforeMerge(pull);
    const found = await ports.policies.atCommit(base.commit, pull.base.ref);
    if (found.kind === "none") {
      log.debug({ repository, pull_request: number, policy_commit: base.commit, requests: requestSummary(ports.requests()) }, "merged into a branch without policies: nothing to record");
      return this.settle(request, "no_policies");
    }
    const gathered = await ports.facts.gather(pull, { policies: found.policies, policyCommit: found.commit, now: mergedAt });

    // Reviews given after the merge approved nothing that was merged.
    const facts = { ...gathered.facts, reviews: gathered.facts.reviews.filter((r) => r.submitted_at === undefined || Date.parse(r.submitted_at) <= mergedAt) };
    const decision = decide(found.policies, facts);
    const touched = touchedDecisions(decision);
    if (touched.length === 0) {
      log.debug({ repository, pull_request: number, requests: requestSummary(ports.requests()) }, "the merge touched no environment: nothing to record");
      return this.settle(request, "not_affected");
    }

    // A gap's exception issue is opened when the gap ends: one that covers this merge is found when the record is written after it.
    const gapLookup =
      this.deps.enforcementGaps === false
        ? { flag: null, problems: [] }
        : await enforcementGapAt(ports, { login, branch: pull.base.ref, at: mergedAt, ...(this.deps.signingKey ? { publicKey: this.deps.signingKey } : {}) });
    const enforcementGap = gapLookup.flag;
    // Why: the issues GitHub says it closes (the description comes with the pull request).
    const linkedIssues = await ports.pulls.closingIssues(number);
    const sealed = sealRecord(
      buildMergeRecord({
        repository,
        pull: {
          number,
          title: pull.title,
          body: pull.body,
          author: facts.author,
          head_sha: pull.head.sha,
          merge_commit_sha: pull.merge_commit_sha,
          merged_by: pull.merged_by,
          merged_at: pull.merged_at,
          base: pull.base.ref,
        },
        contributors: facts.contributors,
        unlinked: facts.unlinked,
        linkedIssues,
        decision,
        policy: { commit: found.commit, files: found.blobs },
        evaluated_at: iso(this.deps.clock()),
        enforcementGap,
      }),
      this.deps.signingKey,
    );
    if (!sealed.ok) throw new Error(`cannot seal the audit record: ${sealed.message}`);
    const record = sealed.record;
    const policies = found.policies;
    const pullUrl = request.serverUrl !== undefined ? `${request.serverUrl}/${owner}/${repo}/pull/${number}` : (pull.html_url ?? null);

    // What GitHub refuses for good (a permission not granted yet, issues turned off) is said in
    // the comment and logged; it never holds the record back.
    // A gap record that does not verify (edited), or gaps that could not all be read, are said too.
    const problems: string[] = [...gapLookup.problems];
    if (gapLookup.problems.length > 0) log.error({ repository, pull_request: number, problems: gapLookup.problems }, "enforcement gap records that cannot be used");
    const refused = (what: string, error: unknown): void => {
      if (!refusedForGood(error)) throw error;
      problems.push(`${what}: ${error.message}`);
      log.error({ repository, pull_request: number, error: error.message }, `${what}: the audit record is written without it`);
    };

    const deployments: Record<string, number> = {};
    for (const env of touched.filter((e) => auditSettingsOf(policies, e.environment).deployment)) {
      try {
        const written = await ports.audit.recordDeployment({
          sha: pull.merge_commit_sha,
          environment: env.environment,
          description: deploymentDescription(number, record),
          payload: { pull_request: number, digest: record.digest },
          login,
        });
        deployments[env.environment] = written.id;
      } catch (error) {
        refused(`the deployment to ${env.environment} could not be recorded`, error);
      }
    }

    const exception = exceptionOf(record, decision, policies, { key: `${repository}#${number}`, owner, changeUrl: pullUrl, recordUrl: pullUrl });
    let issue: { number: number; url: string | null } | undefined;
    if (exception) {
      try {
        const opened = await ports.audit.openExceptionIssue({
          key: exception.key,
          login,
          since: pull.merged_at,
          title: exceptionTitle(exception),
          body: exceptionBody(exception),
        });
        issue = opened.issue;
      } catch (error) {
        refused("the exception issue could not be opened", error);
      }
    }

    // A copy of the record where only this app can write: a compliance/audit check run on the merge
    // commit. Any writer can edit the comment below; the approval chain of a deployment (SPEC §8)
    // reads this copy first. Posted before the comment, which says "done"; a retry after a failure in
    // between posts a second, equal copy (the chain takes the strictest of equal records).
    const copy = auditCheckText(record, { ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}), notes: [] });
    if (copy !== null && record.kind === "merge") {
      try {
        await ports.audit.postRecord({ sha: pull.merge_commit_sha, compliant: record.compliant, ...mergeCheckHeadline(record), text: copy, externalId: `merge:${number}` });
      } catch (error) {
        refused("the copy of the record in a compliance/audit check run could not be written", error);
      }
    }

    let comment: string | null | undefined;
    if (touched.some((env) => auditSettingsOf(policies, env.environment).comment)) {
      const body = commentBody(record, request.serverUrl, issue, problems);
      const written = await ports.audit.writeComment({ number, login, since: pull.merged_at, body }, comments);
      comment = written.comment.url;
    }

    log.info(
      {
        repository,
        pull_request: number,
        digest: record.digest,
        compliant: record.compliant,
        signed: record.signature !== undefined,
        environments: Object.fromEntries(touched.map((env) => [env.environment, env.break_glass ? "break_glass" : env.state])),
        policy_commit: base.commit,
        merge_method: base.how,
        ...(base.note !== undefined ? { note: base.note } : {}),
        ...(comment !== undefined ? { comment } : {}),
        ...(issue !== undefined ? { issue: issue.number } : {}),
        ...(Object.keys(deployments).length > 0 ? { deployments } : {}),
        ...(problems.length > 0 ? { problems } : {}),
        reason: request.reason,
        duration_ms: this.deps.clock() - started,
        requests: requestSummary(ports.requests()),
      },
      `audit record of ${repository}#${number} written`,
    );
    return this.settle(request, "recorded");
  }
}

/** The key of a PR's pending audit retry. */
function retryKeyOf(owner: string, repo: string, number: number): string {
  return `audit:${pullKeyOf(owner, repo, number)}`;
}

/** The audit comment, which must fit whole: a record cut short would not verify. */
function commentBody(record: AuditRecord, serverUrl: string | undefined, issue: { number: number } | undefined, problems: string[]): string {
  const notes = [...(issue !== undefined ? [exceptionNote(issue.number)] : []), ...problems.map(problemNote)];
  const body = renderAuditComment(record, { ...(serverUrl !== undefined ? { serverUrl } : {}), notes });
  if (sizeOf(body) > MAX_BODY) throw new GitHubError(`the audit record of #${record.kind === "merge" ? record.pull_request : "?"} is larger than a GitHub comment can hold`);
  return body;
}
