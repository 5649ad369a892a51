// The evaluation of a pull request, end to end (SPEC §3): its policies and facts, the decision, the
// check plan, the checks posted — and when anything fails, failing checks instead (fail closed,
// SPEC §3.3). Every evaluation job ends here; GitHubError is caught here, once.
//
// Known limitations, left as they are (see the README):
// - GitHub keys check runs by commit and name. PRs that share a head commit share its checks; this
//   process posts the strictest verdict of those it knows (shared-heads.ts), but a PR it never
//   evaluated (another replica's, or from before a restart) is unknown to it, and the last
//   evaluation posted then shows for both.
// - Without REDIS_URL, evaluations are serialised per PR in one process only: two such replicas
//   evaluating one PR at once can post out of order, a slower one's older result last, until the
//   PR's next event. With it, the queue runs one evaluation of a PR at a time on any replica, and a
//   run that lost its lease writes nothing more (queue/fence.ts).
import type { Logger } from "probot";
import { factsNeeded } from "../engine/index.js";
import type { Decision, State } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { GitHubError, isRateLimited } from "../github/client.js";
import { externalIdOf } from "../render/check-run.js";
import { renderFailure } from "../render/failure.js";
import { withSharedHead } from "./check-plan.js";
import { EvaluationMemory, evaluationJob, pullKeyOf, queueKeyOf, type EvaluationRequest, type Plan } from "./evaluation-memory.js";
import { scheduleFreezeEdge } from "./freeze-edge.js";
import { HeadKeptMoving } from "./one-head.js";
import { firstPoliciesCheck } from "./policy-check.js";
import { describeUnexpected, postAll, reportFailure } from "./post-checks.js";
import { RetryLater, type CheckTarget, type Later, type PolicyLookup, type Ports, type PullRequest } from "./ports.js";
import { githubWaitOf, MAX_GITHUB_WAITS, unattributedDelayMs } from "./queue/github-wait.js";
import { LeaseLost, type QueueObserver } from "./queue/jobs.js";
import { retryRefused } from "./evaluation-retry.js";
import { requestSummary } from "./request-tally.js";
import { requestReviews } from "./review-requests.js";
import { supersede } from "./supersede.js";
import { MergeGroupJudge } from "./merge-group.js";
import { judgePull, type Judging } from "./pull-verdict.js";

/** What makes an evaluation fail closed although GitHub answered: said on the failing checks as it is. */
class CannotJudge extends Error {
  override readonly name = "CannotJudge";
}

function groupOfClosedPull(number: number, state: string): string {
  return `#${number} is ${state}: a merge group is approved only while its pull request is open`;
}

export { pullKeyOf, queueKeyOf, type EvaluationRequest } from "./evaluation-memory.js";

/** How an evaluation ended: checks posted from a decision, failing checks for an error, nothing (a closed or ungated PR), or deferred because GitHub asked to wait. */
export type EvaluationOutcome = "decided" | "failed" | "skipped" | "deferred";

/**
 * Whether the commit checks are posted on is new — a merge group's, or a PR's head just pushed —
 * so that no check run of it can be missing from the check store and none needs reading.
 */
function freshCommit(request: EvaluationRequest): boolean {
  return request.mergeGroupSha !== undefined || request.reasons.some((reason) => reason === "pull_request.opened" || reason === "pull_request.synchronize");
}

/** A merge group whose pull request cannot be told from its ref or commit message. */
export type UnattributedMergeGroup = {
  owner: string;
  repo: string;
  mergeGroupSha: string;
  base: string;
  defaultBranch?: string;
  installationId?: number;
  force: boolean;
  message: string;
};

export interface EvaluationOptions {
  later: Later;
  clock: () => number;
  /** Whether this process re-evaluates a PR at its next freeze edge (COMPLIANCE_FREEZE_TIMERS). */
  freezeTimers: boolean;
  /** What enforcement could not make required on a branch (SPEC §5), for compliance/policy to say. */
  notRequired?: (owner: string, repo: string, branch: string) => string[];
  /** Counts an evaluation given up on while its checks may show an older result (the app's metrics). */
  observer?: Pick<QueueObserver, "dropped">;
}

/** The checks a set of policies expects on a PR into `base`: one per environment judging it (failingChecks adds compliance/policy). */
function expectedChecks(set: PolicySet, owner: string, base: string, defaultBranch: string): string[] {
  return factsNeeded(set, base, defaultBranch, owner).checks;
}

/** Evaluates pull requests and reports the result as check runs; what it remembers lives as long as the process. */
export class Evaluation {
  readonly memory = new EvaluationMemory();
  private readonly groups = new MergeGroupJudge(this.memory.queue);

  constructor(private readonly options: EvaluationOptions) {}

  /** A PR closed: its freeze timers, pending retries and head plan go. */
  closed(owner: string, repo: string, number: number): void {
    const pullKey = pullKeyOf(owner, repo, number);
    this.options.later.cancelTimer(pullKey, true);
    this.options.later.cancelRetry(`retry:${pullKey}`);
    this.options.later.cancelTimer(`retry:${pullKey}`);
    this.memory.heads.drop(`${owner}/${repo}`, number);
  }

  /**
   * A merge group whose pull request cannot be told: fail closed on its head commit, with every
   * check the base branch's policies expect, unless the repository has no policies.
   */
  async failUnattributed(request: UnattributedMergeGroup, ports: Ports, log: Logger): Promise<void> {
    const started = this.options.clock();
    try {
      let found: PolicyLookup | undefined;
      try {
        found = await ports.policies.atBranchTip(request.base);
      } catch (error) {
        if (!(error instanceof GitHubError)) throw error;
      }
      if (found?.kind === "none") return;
      const known = found?.kind === "policies" ? expectedChecks(found.policies, request.owner, request.base, request.defaultBranch ?? request.base) : [];
      const target: CheckTarget = { sha: request.mergeGroupSha, externalId: "merge_group:unknown" };
      await reportFailure(ports.checks, log, target, { known: new Set(known), reported: [] }, request.message, request.force);
    } catch (error) {
      log.error({ err: error }, "could not report on a merge group");
    } finally {
      log.info(
        { repository: `${request.owner}/${request.repo}`, merge_group: request.mergeGroupSha, duration_ms: this.options.clock() - started, requests: requestSummary(ports.requests()) },
        request.message,
      );
    }
  }

  /**
   * Evaluates the PR and posts its checks; says how it ended, for metrics. Throws only RetryLater:
   * when GitHub asked to wait (the evaluation runs again after the wait instead of posting GitHub's
   * refusal as failing checks, a few times), and when a failure has no commit to be reported on (it
   * runs again until it has). The gate counts a RetryLater as a deferred evaluation.
   */
  async evaluate(request: EvaluationRequest, ports: Ports, log: Logger): Promise<EvaluationOutcome> {
    const { owner, repo, number } = request;
    const { clock } = this.options;
    const started = clock();
    const pullKey = pullKeyOf(owner, repo, number);
    const queueKey = queueKeyOf(request);
    const repository = `${owner}/${repo}`;
    const mergeGroup = request.mergeGroupSha !== undefined;
    /** Check names we know the PR expects, for reporting a failure on all of them. */
    const known = new Set<string>();
    /** Check runs GitHub refused: the evaluation is tried again later (see retryLater). */
    const refused = { count: 0 };
    let sha = request.mergeGroupSha ?? request.head;
    const where = (): Record<string, unknown> => ({
      repository,
      pull_request: number,
      ...(mergeGroup ? { merge_group: request.mergeGroupSha } : {}),
      sha,
      reasons: request.reasons,
    });
    const expect = (found: PolicyLookup, base: string): void => {
      if (found.kind === "policies") for (const name of expectedChecks(found.policies, owner, base, request.defaultBranch ?? base)) known.add(name);
    };

    try {
      if (request.mergeGroupSha !== undefined && request.mergeGroupBase !== undefined) {
        this.memory.queue.remember(owner, repo, request.mergeGroupSha, { number, base: request.mergeGroupBase });
      }
      let pull: PullRequest | undefined;
      let found: PolicyLookup | undefined;
      let probed = request.base;
      if (probed !== undefined) {
        found = await ports.policies.atBranchTip(probed);
        if (found.kind === "none") {
          // "No policies" silences the app, so it is never concluded from a delivery's base, which
          // may be from before the PR was retargeted: the PR is read (a free 304 when unchanged).
          pull = await ports.pulls.read(number);
          sha = request.mergeGroupSha ?? pull.head.sha;
          if (pull.base.ref !== probed && !mergeGroup) {
            probed = pull.base.ref;
            found = await ports.policies.atBranchTip(probed);
          }
        }
        expect(found, probed);
      }

      pull ??= await ports.pulls.read(number);
      sha = request.mergeGroupSha ?? pull.head.sha;
      if (pull.state !== "open") {
        this.closed(owner, repo, number);
        // A merge group waits for its checks: silence would stall the queue until its timeout.
        if (mergeGroup) throw new CannotJudge(groupOfClosedPull(number, pull.state));
        log.debug({ ...where(), state: pull.state }, "pull request is not open: not evaluated");
        return "skipped";
      }
      // A merge group is judged by its own base branch's policies (a re-run does not say which: the PR's).
      if (mergeGroup && found === undefined) {
        probed = pull.base.ref;
        found = await ports.policies.atBranchTip(probed);
        expect(found, probed);
      }

      const now = clock();
      const plan =
        found?.kind === "none"
          ? await this.leftAlone(ports, request, pull)
          : request.mergeGroupSha !== undefined && found?.kind === "policies"
            ? await this.planGroup(ports, request, pull, { base: probed ?? pull.base.ref, tip: found.commit, policies: found.policies, head: request.mergeGroupSha, now })
            : await this.planPull(ports, request, pull, now);
      pull = plan.pull;
      const reportOn = request.mergeGroupSha ?? pull.head.sha;
      sha = reportOn;
      if (pull.state !== "open") {
        this.closed(owner, repo, number);
        if (mergeGroup) throw new CannotJudge(groupOfClosedPull(number, pull.state));
        log.debug({ ...where(), state: pull.state }, "pull request closed while it was read: not evaluated");
        return "skipped";
      }
      const target: CheckTarget = { sha: reportOn, externalId: externalIdOf(number, mergeGroup), ...(freshCommit(request) ? { fresh: true } : {}) };
      const judged = plan.judged;
      if (judged) for (const name of expectedChecks(judged.policies, owner, judged.facts.base, judged.facts.default_branch)) known.add(name);
      const planned = mergeGroup || !judged ? plan.checks : await this.withSharedHead(ports, log, reportOn, number, plan.base, plan.checks);

      const posted = await postAll(ports.checks, log, target, planned, request.force);
      refused.count += posted.failed;
      const names = planned.map((check) => check.name);
      const superseded = await supersede(ports, log, this.memory, request, target, { base: plan.base, planned: names, noPolicies: !judged }, refused);
      this.memory.remember(queueKey, { sha: reportOn, base: plan.base, names: [...names, ...superseded.unposted] });
      this.retryLater(request, refused.count, log);

      if (!judged) {
        // Left alone, but for the first policies a PR adds; checks posted for an earlier base are superseded.
        if (!mergeGroup) this.memory.heads.drop(repository, number);
        log.debug({ ...where(), checks: posted, superseded: superseded.names, requests: requestSummary(ports.requests()) }, "no policies on the base branch: left alone");
        return "skipped";
      }
      const { decisions, policies, facts, warnings } = judged;
      const decision: Decision = { environments: decisions.flatMap((d) => d.environments) };
      if (!mergeGroup && !pull.draft) {
        await requestReviews(ports.pulls, this.memory.reviewRequests, log, { key: pullKey, owner, number, author: facts.author }, decision, policies);
      }
      if (this.options.freezeTimers) {
        scheduleFreezeEdge(this.options.later, log, request, { decision, policies, now }, { head: facts.head, base: facts.base, defaultBranch: facts.default_branch });
      }

      log.info(
        {
          ...where(),
          environments: Object.fromEntries(decision.environments.map((env): [string, State] => [env.environment, env.state])),
          ...(plan.group ? { pull_requests: plan.group } : {}),
          checks: posted,
          ...(superseded.names.length > 0 ? { superseded: superseded.names } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
          duration_ms: clock() - started,
          requests: requestSummary(ports.requests()),
        },
        `evaluated ${owner}/${repo}#${number}`,
      );
      return posted.rateLimit !== undefined ? "deferred" : "decided";
    } catch (error) {
      // The run no longer holds its PR (a newer run may be under way): it reports nothing, records nothing.
      if (error instanceof LeaseLost) throw error;
      const expected = error instanceof GitHubError || error instanceof CannotJudge;
      const message = expected ? error.message : describeUnexpected(error);
      const wait = githubWaitOf(error);
      const waited = request.githubWaits ?? 0;
      if (wait !== undefined && waited < MAX_GITHUB_WAITS) {
        log.warn({ ...where(), error: message, wait_ms: wait, waits: waited + 1 }, "GitHub asked to wait: evaluating again after the wait, reporting nothing meanwhile");
        throw new RetryLater(message, wait, evaluationJob({ ...request, githubWaits: waited + 1 }));
      }
      // The newest head read is where a PR that kept moving is failed, until its own event evaluates it.
      if (error instanceof HeadKeptMoving && !mergeGroup) sha = error.head;
      if (expected) log.warn({ ...where(), error: message }, "cannot evaluate: reporting failing checks");
      else log.error({ ...where(), err: error }, "evaluation failed unexpectedly: reporting failing checks");
      if (sha === undefined) {
        // Silence where a check is expected is not an answer (SPEC §3.3): tried again until a commit is known.
        const attempt = (request.unattributed ?? 0) + 1;
        const delay = unattributedDelayMs(attempt);
        if (delay !== undefined) {
          log.error({ ...where(), attempt, retry_in_ms: delay }, "no commit is known to report the failure on: evaluating again later");
          throw new RetryLater(message, delay, evaluationJob({ ...request, unattributed: attempt }));
        }
        log.error({ ...where(), attempts: attempt - 1 }, "no commit is known to report the failure on after a day of tries: left to the PR's next event");
        return "failed";
      }
      const target: CheckTarget = { sha, externalId: externalIdOf(number, mergeGroup) };
      try {
        const reported = [this.memory.reported.get(queueKey), this.memory.reported.get(pullKey)].flatMap((r) => r?.names ?? []);
        const names = await reportFailure(ports.checks, log, target, { known, reported }, message, request.force, refused);
        this.memory.remember(queueKey, { sha, base: undefined, names });
        // A PR that cannot be judged fails on its head, for every PR that shares it too.
        if (!mergeGroup) {
          const output = renderFailure(message);
          this.memory.heads.record(repository, sha, { number, base: undefined, checks: names.map((name) => ({ name, verdict: "failure", output })) });
        }
      } catch (reportError) {
        if (reportError instanceof LeaseLost) throw reportError;
        log.error({ ...where(), err: reportError }, "could not report the failure");
      }
      this.retryLater(request, refused.count, log);
      log.info({ ...where(), environments: {}, failed: message, duration_ms: clock() - started, requests: requestSummary(ports.requests()) }, `evaluated ${owner}/${repo}#${number}: failed`);
      return isRateLimited(error) ? "deferred" : "failed";
    }
  }

  private judging(request: EvaluationRequest, now: number): Judging {
    return {
      now,
      ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}),
      ...(this.options.notRequired ? { notRequired: this.options.notRequired } : {}),
    };
  }

  /** A PR judged at its head: its own checks. */
  private async planPull(ports: Ports, request: EvaluationRequest, pull: PullRequest, now: number): Promise<Plan> {
    const judged = await judgePull(ports, pull, this.judging(request, now));
    if (judged.kind === "closed") return { pull: judged.pull, base: judged.pull.base.ref, checks: [] };
    if (judged.kind === "no_policies") return this.leftAlone(ports, request, judged.pull);
    return {
      pull: judged.pull,
      base: judged.facts.base,
      checks: judged.checks,
      judged: { decisions: [judged.decision], policies: judged.policies, facts: judged.facts, warnings: judged.warnings },
    };
  }

  /** A merge group: the strictest of every PR it holds (merge-group.ts). */
  private async planGroup(
    ports: Ports,
    request: EvaluationRequest,
    pull: PullRequest,
    group: { base: string; tip: string; policies: PolicySet; head: string; now: number },
  ): Promise<Plan> {
    const planned = await this.groups.plan(ports, {
      ...group,
      defaultBranch: request.defaultBranch ?? pull.base.repo.default_branch ?? group.base,
      pull,
      judging: this.judging(request, group.now),
    });
    const own = planned.own;
    return {
      pull: own.pull,
      base: group.base,
      checks: planned.checks,
      judged: { decisions: planned.decisions, policies: own.policies, facts: own.facts, warnings: own.warnings },
      group: planned.pulls,
    };
  }

  /**
   * No policies judge the PR's base branch: it is left alone, unless its head (or the merge
   * group's) adds the first policy files — then compliance/policy validates them (SPEC §3.2).
   */
  private async leftAlone(ports: Ports, request: EvaluationRequest, pull: PullRequest): Promise<Plan> {
    const first = await firstPoliciesCheck(ports.policies, request.mergeGroupSha ?? pull.head.sha);
    return { pull, base: pull.base.ref, checks: first ? [first] : [] };
  }

  /**
   * The PR's own checks made the strictest of theirs and those of the other open PRs this process
   * knows with the same head commit (check-plan.ts). A known sibling is re-read first —
   * conditionally, a free 304 when unchanged — and forgotten once closed or moved; the usual PR
   * has none, and costs nothing more.
   */
  private async withSharedHead(ports: Ports, log: Logger, sha: string, number: number, base: string, own: Plan["checks"]): Promise<Plan["checks"]> {
    const repository = `${ports.owner}/${ports.repo}`;
    const heads = this.memory.heads;
    // A run that lost its PR must not leave its older plan for the PRs sharing the head to follow.
    await ports.held?.();
    heads.record(repository, sha, { number, base, checks: own });
    const siblings = [];
    for (const plan of heads.others(repository, sha, number)) {
      try {
        const sibling = await ports.pulls.read(plan.number);
        if (sibling.state !== "open" || sibling.head.sha !== sha || (plan.base !== undefined && sibling.base.ref !== plan.base)) {
          // Its plan no longer describes this commit; its own next evaluation will say what does.
          heads.drop(repository, plan.number);
          continue;
        }
      } catch (error) {
        // Kept: not knowing whether it still applies, the stricter answer stands.
        log.warn({ pull_request: plan.number, error: error instanceof Error ? error.message : String(error) }, "cannot re-read a pull request sharing this head commit");
      }
      siblings.push(plan);
    }
    return withSharedHead({ number, base, checks: own }, siblings);
  }

  /** A refused check run makes the evaluation run again later, for a day (evaluation-retry.ts). */
  private retryLater(request: EvaluationRequest, refused: number, log: Logger): void {
    retryRefused(this.options.later, this.options.clock, request, refused, log, this.options.observer);
  }
}
