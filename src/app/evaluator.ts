// One evaluation of a pull request, end to end: gather the facts, decide, report check runs; and
// when anything fails, report failing checks instead (fail closed, SPEC §3.3). Every handler ends here.
//
// Known limitations, left as they are (see the README):
// - GitHub keys check runs by commit and name. PRs that share a head commit share its checks; this
//   process posts the strictest verdict of those it knows (shared-heads.ts), but a PR it never
//   evaluated (another replica's, or from before a restart) is unknown to it, and the last
//   evaluation posted then shows for both.
// - Evaluations are serialised per PR in one process only. Two replicas evaluating one PR at once
//   can post out of order, a slower one's older result last. What each process remembers having
//   posted is only used to skip re-posting a success (checks.ts), so the next evaluation of the PR
//   on any replica corrects a stale success; a stale wait or failure lasts until then too.
import type { Logger } from "probot";
import { factsNeeded, nextFreezeTransition } from "../engine/index.js";
import type { Decision, Facts, State } from "../engine/types.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { PolicySet } from "../policy/types.js";
import { CheckWriter, externalIdOf, postedChecks, type CheckTarget, type PlannedCheck } from "../github/checks.js";
import { GatherFailed, GitHubRequestFailed, GitHubSession, type GitHubClient } from "../github/client.js";
import type { FactsGatherer, PolicyProbe } from "../github/facts.js";
import { LruCache } from "../github/lru-cache.js";
import type { PullRequest, PullRequestReader } from "../github/pull-request.js";
import { requestReviewers } from "../github/review-requests.js";
import { renderFailure } from "../render/failure.js";
import { renderNotEvaluated } from "../render/not-evaluated.js";
import type { FreezeTimers } from "./freeze-timers.js";
import { MergeGroupJudge } from "./merge-group.js";
import { HeadKeptMoving } from "./one-head.js";
import { describeUnexpected, postAll, reportFailure } from "./check-posting.js";
import { FirstPolicies } from "./policy-check.js";
import { PullJudge } from "./pull-verdict.js";
import { PullQueue } from "./pull-queue.js";
import { RequestTally } from "./request-tally.js";
import type { Retries } from "./retries.js";
import { reviewRequestOf, type ReviewRequestMemory } from "./review-requests.js";
import { SharedHeads, strictestOf } from "./shared-heads.js";

/** What to evaluate, and what the event already told us. */
export interface EvaluationRequest {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  number: number;
  /** Report on this merge group's head commit instead of the PR's head (merge queue). */
  mergeGroupSha?: string;
  /** The commit the merge group's entry is stacked on (the event's `base_sha`), when a merge_group event said. */
  mergeGroupBase?: string;
  /**
   * The base branch as the event saw it: a hint, which lets a repository without policies cost a
   * free request or two. Deliveries arrive late and out of order, so it is never trusted to say
   * "no policies": that answer is checked against the PR as GitHub has it now.
   */
  base?: string;
  defaultBranch?: string;
  /** The PR's head as the event saw it (a hint too): where a failure is reported when the PR cannot even be read. */
  head?: string;
  /** The event changed the PR's base branch: checks of the old base on the head must be superseded. */
  baseChanged?: boolean;
  /** Which retry this is, after checks could not be posted (see Retries). */
  retryAttempt?: number;
  /** For re-evaluating later with a fresh token (freeze timers). */
  installationId?: number;
  /** Web URL of the GitHub server, for links in check output. */
  serverUrl?: string;
  /** A person asked for a re-run: post even results that did not change. */
  force: boolean;
  /** Why (event names), for logs; bursts merge theirs. */
  reasons: string[];
  log: Logger;
}

/** A merge group whose pull request cannot be told from its ref or commit message. */
export interface UnattributedMergeGroup {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  mergeGroupSha: string;
  base: string;
  defaultBranch?: string;
  force: boolean;
  log: Logger;
}

export interface EvaluatorOptions {
  gatherer: FactsGatherer;
  pulls: PullRequestReader;
  checks: CheckWriter;
  reviewRequests: ReviewRequestMemory;
  clock: () => number;
  /** Absent when this replica keeps no freeze timers. */
  timers?: FreezeTimers;
  /** Re-evaluations later, when checks could not be posted. */
  retries: Retries;
  /** An installation's client, for evaluations no webhook started (freeze timers). */
  installationClient: (installationId: number) => Promise<GitHubClient>;
  /** The app's logger, for evaluations no webhook started. */
  log: Logger;
  /** What enforcement could not make required on a branch (SPEC §5), for compliance/policy to say. */
  notRequired?: (owner: string, repo: string, branch: string) => string[];
}

/** `owner/repo#n`, lower case: the key of one pull request's evaluations. */
export function pullKeyOf(owner: string, repo: string, number: number): string {
  return `${owner}/${repo}#${number}`.toLowerCase();
}

/** A PR's head and each merge group it is queued in are reported separately, so they serialise separately. */
function queueKeyOf(request: Pick<EvaluationRequest, "owner" | "repo" | "number" | "mergeGroupSha">): string {
  const pull = pullKeyOf(request.owner, request.repo, request.number);
  return request.mergeGroupSha === undefined ? pull : `${pull}@${request.mergeGroupSha}`;
}

/** The checks a set of policies expects on a PR into `base`: one per environment it reports, and compliance/policy. */
function expectedChecks(set: PolicySet, owner: string, base: string, defaultBranch: string): string[] {
  return factsNeeded(set, base, defaultBranch, owner).checks;
}

/** How many times a freeze timer retries when it cannot get an installation token. */
const TIMER_RETRIES = 5;
const TIMER_RETRY_MS = 60_000;

/** What this process last reported for a PR (or a merge group of it). */
interface Reported {
  /** The commit the checks went on. */
  sha: string;
  /** The base branch they were judged for; undefined when a failure left it unknown. */
  base: string | undefined;
  names: string[];
}

/** What one evaluation posts, and — unless nothing judged it — the decisions behind it. */
interface Plan {
  /** The PR as judged: its head may be newer than the one first read (one-head.ts). */
  pull: PullRequest;
  base: string;
  checks: PlannedCheck[];
  judged?: { decisions: Decision[]; policies: PolicySet; facts: Facts; warnings: string[] };
  /** The PRs of a merge group, in queue order. */
  group?: number[];
}

/** Evaluates pull requests, one at a time per PR, and reports the result as check runs. */
export class Evaluator {
  private readonly queue: PullQueue<EvaluationRequest>;
  private readonly judge: PullJudge;
  private readonly groups: MergeGroupJudge;
  private readonly firstPolicies = new FirstPolicies();
  /** What was last reported, by queue key (a PR, or a merge group of it): a later failure must cover it all. */
  private readonly reported = new LruCache<string, Reported>({ maxEntries: 5000 });
  /** The latest plan of each PR on its head commit: PRs sharing a head share its checks. */
  private readonly heads = new SharedHeads();
  /** Re-evaluations freeze timers started and that have not finished (they get a token first). */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly options: EvaluatorOptions) {
    this.judge = new PullJudge(options.gatherer, options.pulls, options.notRequired);
    this.groups = new MergeGroupJudge(this.judge, options.pulls);
    this.queue = new PullQueue(
      (request) => this.evaluate(request),
      (pending, newer) => {
        const merged: EvaluationRequest = {
          ...newer,
          force: pending.force || newer.force,
          baseChanged: (pending.baseChanged ?? false) || (newer.baseChanged ?? false),
          retryAttempt: Math.max(pending.retryAttempt ?? 0, newer.retryAttempt ?? 0),
          reasons: [...new Set([...pending.reasons, ...newer.reasons])].slice(-10),
        };
        // Hints that disagree say the PR changed between the two deliveries, and the one that
        // arrived last need not be the newer: neither is used, the PR is read as GitHub has it.
        if (pending.base !== newer.base) delete merged.base;
        if (pending.head !== newer.head) delete merged.head;
        return merged;
      },
      (error) => options.log.error({ err: error }, "evaluation queue: unexpected error"),
    );
  }

  /** Evaluates the PR (after any evaluation of it in progress); resolves when its result is reported. Never rejects. */
  submit(request: EvaluationRequest): Promise<void> {
    return this.queue.run(queueKeyOf(request), request);
  }

  /** Resolves once no evaluation is in progress, including those freeze timers and retries started. */
  async idle(): Promise<void> {
    while (this.background.size > 0 || this.queue.active > 0 || this.options.retries.active > 0) {
      await Promise.all([...this.background, this.queue.idle(), this.options.retries.idle()]);
    }
  }

  /** A PR closed: its freeze timers, pending retries and head plan go. */
  closed(owner: string, repo: string, number: number): void {
    const pullKey = pullKeyOf(owner, repo, number);
    this.options.timers?.cancelPull(pullKey);
    this.options.retries.cancel(`retry:${pullKey}`);
    this.heads.drop(`${owner}/${repo}`, number);
  }

  /**
   * A merge group whose pull request cannot be told: fail closed on its head commit, with every
   * check the base branch's policies expect, unless the repository has no policies.
   */
  async failUnattributed(request: UnattributedMergeGroup, message: string): Promise<void> {
    const started = this.options.clock();
    const gh = new GitHubSession(request.octokit);
    const tally = new RequestTally();
    try {
      const probe = await this.options.gatherer.probe(request.octokit, { owner: request.owner, repo: request.repo, base: request.base });
      tally.add(probe.requests);
      if (probe.kind === "no_policies") return;
      const known = probe.kind === "policies" ? expectedChecks(probe.policies, request.owner, request.base, request.defaultBranch ?? request.base) : [];
      const target: CheckTarget = { owner: request.owner, repo: request.repo, sha: request.mergeGroupSha, externalId: "merge_group:unknown" };
      await reportFailure(this.options.checks, gh, request.log, target, new Set(known), [], message, request.force);
    } catch (error) {
      request.log.error({ err: error }, "could not report on a merge group");
    } finally {
      tally.add(gh.count);
      request.log.info({ repository: `${request.owner}/${request.repo}`, merge_group: request.mergeGroupSha, duration_ms: this.options.clock() - started, requests: tally.summary() }, message);
    }
  }

  private async evaluate(request: EvaluationRequest): Promise<void> {
    const { owner, repo, number, log } = request;
    const { gatherer, pulls, clock } = this.options;
    const started = clock();
    const gh = new GitHubSession(request.octokit);
    const tally = new RequestTally();
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

    try {
      if (request.mergeGroupSha !== undefined && request.mergeGroupBase !== undefined) {
        this.groups.memory.remember(owner, repo, request.mergeGroupSha, { number, base: request.mergeGroupBase });
      }
      let pull: PullRequest | undefined;
      let probe: PolicyProbe | undefined;
      let probed = request.base;
      if (probed !== undefined) {
        probe = await gatherer.probe(request.octokit, { owner, repo, base: probed });
        tally.add(probe.requests);
        if (probe.kind === "no_policies") {
          // "No policies" silences the app, so it is never concluded from a delivery's base, which
          // may be from before the PR was retargeted: the PR is read (a free 304 when unchanged).
          pull = await pulls.read(gh, owner, repo, number);
          sha = request.mergeGroupSha ?? pull.head.sha;
          if (pull.base.ref !== probed && !mergeGroup) {
            probed = pull.base.ref;
            probe = await gatherer.probe(request.octokit, { owner, repo, base: probed });
            tally.add(probe.requests);
          }
        }
        if (probe.kind === "error") throw new GatherFailed(probe.error);
        if (probe.kind === "policies") for (const name of expectedChecks(probe.policies, owner, probed, request.defaultBranch ?? probed)) known.add(name);
      }

      pull ??= await pulls.read(gh, owner, repo, number);
      sha = request.mergeGroupSha ?? pull.head.sha;
      if (pull.state !== "open") {
        this.closed(owner, repo, number);
        log.debug({ ...where(), state: pull.state }, "pull request is not open: not evaluated");
        return;
      }
      // A merge group is judged by its own base branch's policies (a re-run does not say which: the PR's).
      if (mergeGroup && probe === undefined) {
        probed = pull.base.ref;
        probe = await gatherer.probe(request.octokit, { owner, repo, base: probed });
        tally.add(probe.requests);
        if (probe.kind === "error") throw new GatherFailed(probe.error);
        if (probe.kind === "policies") for (const name of expectedChecks(probe.policies, owner, probed, request.defaultBranch ?? probed)) known.add(name);
      }

      const now = clock();
      const plan =
        probe?.kind === "no_policies"
          ? await this.leftAlone(gh, request, pull)
          : request.mergeGroupSha !== undefined && probe?.kind === "policies"
            ? await this.planGroup(gh, request, pull, { base: probed ?? pull.base.ref, tip: probe.policyCommit, policies: probe.policies, head: request.mergeGroupSha, now }, tally)
            : await this.planPull(gh, request, pull, now, tally);
      pull = plan.pull;
      const reportOn = request.mergeGroupSha ?? pull.head.sha;
      sha = reportOn;
      if (pull.state !== "open") {
        this.closed(owner, repo, number);
        log.debug({ ...where(), state: pull.state }, "pull request closed while it was read: not evaluated");
        return;
      }
      const target: CheckTarget = { owner, repo, sha: reportOn, externalId: externalIdOf(number, mergeGroup) };
      const judged = plan.judged;
      if (judged) for (const name of expectedChecks(judged.policies, owner, judged.facts.base, judged.facts.default_branch)) known.add(name);
      const planned = mergeGroup || !judged ? plan.checks : await this.withSharedHead(gh, log, repository, reportOn, number, plan.base, plan.checks);

      const posted = await postAll(this.options.checks, gh, log, target, planned, request.force);
      refused.count += posted.failed;
      const names = planned.map((check) => check.name);
      const superseded = await this.supersede(gh, log, request, target, plan.base, names, { noPolicies: !judged }, refused);
      this.remember(queueKey, { sha: reportOn, base: plan.base, names: [...names, ...superseded.unposted] });
      this.retryLater(request, refused.count, log);

      if (!judged) {
        // Left alone, but for the first policies a PR adds; checks posted for an earlier base are superseded.
        if (!mergeGroup) this.heads.drop(repository, number);
        tally.add(gh.count);
        log.debug({ ...where(), checks: posted, superseded: superseded.names, requests: tally.summary() }, "no policies on the base branch: left alone");
        return;
      }
      const { decisions, policies, facts, warnings } = judged;
      const decision: Decision = { environments: decisions.flatMap((d) => d.environments) };
      if (!mergeGroup && !pull.draft) await this.requestReviews(gh, log, request, decision, policies, facts.author);
      this.scheduleFreezeEdge(request, decision, policies, now, { head: facts.head, base: facts.base, defaultBranch: facts.default_branch });

      tally.add(gh.count);
      log.info(
        {
          ...where(),
          environments: Object.fromEntries(decision.environments.map((env): [string, State] => [env.environment, env.state])),
          ...(plan.group ? { pull_requests: plan.group } : {}),
          checks: posted,
          ...(superseded.names.length > 0 ? { superseded: superseded.names } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
          duration_ms: clock() - started,
          requests: tally.summary(),
        },
        `evaluated ${owner}/${repo}#${number}`,
      );
    } catch (error) {
      const expected = error instanceof GatherFailed;
      const message = expected ? error.message : describeUnexpected(error);
      // The newest head read is where a PR that kept moving is failed, until its own event evaluates it.
      if (error instanceof HeadKeptMoving && !mergeGroup) sha = error.head;
      if (expected) log.warn({ ...where(), error: message }, "cannot evaluate: reporting failing checks");
      else log.error({ ...where(), err: error }, "evaluation failed unexpectedly: reporting failing checks");
      if (sha === undefined) {
        log.error(where(), "no commit is known to report the failure on");
        return;
      }
      const target: CheckTarget = { owner, repo, sha, externalId: externalIdOf(number, mergeGroup) };
      try {
        const reported = [this.reported.get(queueKey), this.reported.get(pullKey)].flatMap((r) => r?.names ?? []);
        const names = await reportFailure(this.options.checks, gh, log, target, known, reported, message, request.force, refused);
        this.remember(queueKey, { sha, base: undefined, names });
        // A PR that cannot be judged fails on its head, for every PR that shares it too.
        if (!mergeGroup) {
          const output = renderFailure(message);
          this.heads.record(repository, sha, { number, base: undefined, checks: names.map((name) => ({ name, verdict: "failure", output })) });
        }
      } catch (reportError) {
        log.error({ ...where(), err: reportError }, "could not report the failure");
      }
      this.retryLater(request, refused.count, log);
      tally.add(gh.count);
      log.info({ ...where(), environments: {}, failed: message, duration_ms: clock() - started, requests: tally.summary() }, `evaluated ${owner}/${repo}#${number}: failed`);
    }
  }

  /** A PR judged at its head: its own checks. */
  private async planPull(gh: GitHubSession, request: EvaluationRequest, pull: PullRequest, now: number, tally: RequestTally): Promise<Plan> {
    const { owner, repo, number } = request;
    const judged = await this.judge.judge(gh, request.octokit, { owner, repo, number, now, ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}) }, pull, (count) => tally.add(count));
    if (judged.kind === "closed") return { pull: judged.pull, base: judged.pull.base.ref, checks: [] };
    if (judged.kind === "no_policies") return this.leftAlone(gh, request, judged.pull);
    return {
      pull: judged.pull,
      base: judged.facts.base,
      checks: judged.checks,
      judged: { decisions: [judged.decision], policies: judged.policies, facts: judged.facts, warnings: judged.warnings },
    };
  }

  /** A merge group: the strictest of every PR it holds (merge-group.ts). */
  private async planGroup(
    gh: GitHubSession,
    request: EvaluationRequest,
    pull: PullRequest,
    group: { base: string; tip: string; policies: PolicySet; head: string; now: number },
    tally: RequestTally,
  ): Promise<Plan> {
    const { owner, repo } = request;
    const planned = await this.groups.plan(
      gh,
      request.octokit,
      { owner, repo, ...group, defaultBranch: request.defaultBranch ?? pull.base.repo.default_branch ?? group.base, pull, ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}) },
      (count) => tally.add(count),
    );
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
  private async leftAlone(gh: GitHubSession, request: EvaluationRequest, pull: PullRequest): Promise<Plan> {
    const head = request.mergeGroupSha ?? pull.head.sha;
    const first = await this.firstPolicies.check(gh, { owner: request.owner, repo: request.repo, head, blobs: this.judge.headBlobs });
    return { pull, base: pull.base.ref, checks: first ? [first] : [] };
  }

  private remember(queueKey: string, reported: Reported): void {
    this.reported.set(queueKey, { ...reported, names: [...new Set(reported.names)] });
  }

  /**
   * The PR's own checks, each made the strictest of its verdict and those of the other open PRs
   * this process knows with the same head commit (GitHub shows one check per commit and name, so
   * the later evaluation would otherwise decide for both). A known sibling is re-read first —
   * conditionally, a free 304 when unchanged — and forgotten once closed or moved; the usual PR
   * has none, and costs nothing more.
   */
  private async withSharedHead(
    gh: GitHubSession,
    log: Logger,
    repository: string,
    sha: string,
    number: number,
    base: string,
    own: PlannedCheck[],
  ): Promise<PlannedCheck[]> {
    this.heads.record(repository, sha, { number, base, checks: own });
    const [owner = "", repo = ""] = repository.split("/");
    const siblings = [];
    for (const plan of this.heads.others(repository, sha, number)) {
      try {
        const sibling = await this.options.pulls.read(gh, owner, repo, plan.number);
        if (sibling.state !== "open" || sibling.head.sha !== sha || (plan.base !== undefined && sibling.base.ref !== plan.base)) {
          // Its plan no longer describes this commit; its own next evaluation will say what does.
          this.heads.drop(repository, plan.number);
          continue;
        }
      } catch (error) {
        // Kept: not knowing whether it still applies, the stricter answer stands.
        log.warn({ pull_request: plan.number, error: error instanceof Error ? error.message : String(error) }, "cannot re-read a pull request sharing this head commit");
      }
      siblings.push(plan);
    }
    if (siblings.length === 0) return own;
    const candidates = [{ number, base, checks: own }, ...siblings].flatMap((plan) => plan.checks.map((check) => ({ plan, check })));
    return own.map((check) => strictestOf(check.name, candidates) ?? check);
  }

  /**
   * Supersedes checks of names the PR no longer gets (its base branch changed, or has no policies
   * any more): the names this process last posted for it on this commit, and — when the event
   * changed the base — those GitHub shows on the commit with this PR's external id (another replica
   * may have posted them). GitHub cannot delete a check run, so each is posted again:
   *
   * - as another open PR with the same head sees it, when this process knows one that gets it;
   * - otherwise as completed/failure, "Not evaluated: …". Not success: a success from the old base
   *   would satisfy a protection of the new base that requires the check although nothing judged
   *   the PR for it, which is failing open. Not in_progress: that reads as "waiting for approvals"
   *   that will never come. A failure that says why cannot pass by mistake, and blocks only where
   *   the new base's protection requires the check — where blocking is right.
   *
   * Returns the names superseded, and those GitHub refused (to try again).
   */
  private async supersede(
    gh: GitHubSession,
    log: Logger,
    request: EvaluationRequest,
    target: CheckTarget,
    base: string,
    plannedNames: string[],
    why: { noPolicies: boolean },
    refused: { count: number },
  ): Promise<{ names: string[]; unposted: string[] }> {
    if (request.mergeGroupSha !== undefined) return { names: [], unposted: [] };
    const planned = new Set(plannedNames);
    const stale = new Set<string>();
    const before = this.reported.get(queueKeyOf(request));
    if (before?.sha === target.sha) for (const name of before.names) if (!planned.has(name)) stale.add(name);
    if (request.baseChanged) {
      try {
        const ours = externalIdOf(request.number, false);
        for (const check of await postedChecks(gh, target.owner, target.repo, target.sha, this.options.checks.appId)) {
          if (check.externalId === ours && !planned.has(check.name)) stale.add(check.name);
        }
      } catch (error) {
        log.warn({ sha: target.sha, error: error instanceof Error ? error.message : String(error) }, "cannot list the checks of the old base branch on the commit");
      }
    }
    const repository = `${target.owner}/${target.repo}`;
    const siblings = this.heads.others(repository, target.sha, request.number);
    const candidates = siblings.flatMap((plan) => plan.checks.map((check) => ({ plan, check })));
    const unposted: string[] = [];
    for (const name of sortByCodePoint([...stale])) {
      const check = strictestOf(name, candidates) ?? {
        name,
        verdict: "failure" as const,
        output: renderNotEvaluated(name, { base, oldBase: before?.base, noPolicies: why.noPolicies }),
      };
      try {
        await this.options.checks.post(gh, target, check, { force: request.force });
      } catch (error) {
        refused.count += 1;
        unposted.push(name);
        log.error({ check: name, sha: target.sha, error: error instanceof Error ? error.message : String(error) }, "could not supersede a check of the old base branch");
      }
    }
    return { names: sortByCodePoint([...stale]), unposted };
  }

  /**
   * When GitHub refused a check run, the result it would have replaced may keep showing — perhaps
   * a success. Nothing else would come back to it, so the evaluation is tried again later, with
   * backoff and a bound (Retries). An evaluation that posted everything cancels a pending retry.
   */
  private retryLater(request: EvaluationRequest, refused: number, log: Logger): void {
    const retries = this.options.retries;
    const key = `retry:${queueKeyOf(request)}`;
    if (refused === 0) {
      retries.cancel(key);
      return;
    }
    const attempt = (request.retryAttempt ?? 0) + 1;
    const { octokit, log: _log, ...rest } = request;
    const template = { ...rest, force: false, baseChanged: false, retryAttempt: attempt, reasons: ["retry: a check could not be posted"] };
    const scheduled = retries.schedule(key, attempt, async () => {
      const retryLog = this.options.log.child({ repository: `${request.owner}/${request.repo}`, pull_request: request.number });
      try {
        // A fresh token when the installation is known: the webhook's may be near its end.
        const client = request.installationId !== undefined ? await this.options.installationClient(request.installationId) : octokit;
        await this.submit({ ...template, octokit: client, log: retryLog });
      } catch (error) {
        retryLog.error({ err: error, attempt }, "cannot retry an evaluation whose checks could not be posted");
      }
    });
    if (scheduled) log.warn({ pull_request: request.number, refused, attempt }, "checks could not be posted: evaluating again later");
    else log.error({ pull_request: request.number, refused }, "checks could not be posted and no retry is left: they may show an older result until the next event");
  }

  /** Asks for the reviews still missing (policies with request_reviews), each set once per PR; never fails the evaluation. */
  private async requestReviews(
    gh: GitHubSession,
    log: Logger,
    request: EvaluationRequest,
    decision: Decision,
    policies: PolicySet,
    author: string,
  ): Promise<void> {
    const wanted = reviewRequestOf(decision, policies, { owner: request.owner, author });
    if (wanted === null) return;
    const pullKey = pullKeyOf(request.owner, request.repo, request.number);
    if (this.options.reviewRequests.has(pullKey, wanted)) return;
    try {
      await requestReviewers(gh, request.owner, request.repo, request.number, wanted);
      this.options.reviewRequests.remember(pullKey, wanted);
      log.info({ pull_request: request.number, ...wanted }, "requested reviews");
    } catch (error) {
      // A 422 (someone who is not a collaborator, a team without access) will not get better by asking again.
      if (error instanceof GitHubRequestFailed && error.status === 422) this.options.reviewRequests.remember(pullKey, wanted);
      log.warn({ pull_request: request.number, ...wanted, error: error instanceof Error ? error.message : String(error) }, "could not request reviews");
    }
  }

  /**
   * Sets (or clears) the timer for the next freeze edge of the environments this PR touches:
   * at that instant their state may flip, and no webhook will say so.
   */
  private scheduleFreezeEdge(
    request: EvaluationRequest,
    decision: Decision,
    policies: PolicySet,
    now: number,
    seen: { head: string; base: string; defaultBranch: string },
  ): void {
    const timers = this.options.timers;
    if (!timers) return;
    const key = queueKeyOf(request);
    // not_affected and error do not depend on the clock; the others can flip at a freeze edge.
    const touched = new Set(
      decision.environments.filter((env) => env.state !== "not_affected" && env.state !== "error").map((env) => env.environment),
    );
    const next = nextFreezeTransition({ policies: policies.policies.filter((p) => touched.has(p.environment)), invalid: [] }, now);
    if (next === null) {
      timers.cancel(key);
      return;
    }
    const { installationId } = request;
    if (installationId === undefined) {
      request.log.warn({ pull_request: request.number }, "no installation id: cannot re-evaluate at the next freeze edge");
      return;
    }
    // Without the webhook's client and logger: the timer gets a fresh token when it fires.
    const { octokit: _octokit, log: _log, retryAttempt: _retry, baseChanged: _changed, ...rest } = request;
    const template = { ...rest, ...seen, installationId, force: false, reasons: ["freeze window edge"] };
    const fire = (attempt: number): void => {
      const run = (async () => {
        const log = this.options.log.child({ repository: `${request.owner}/${request.repo}`, pull_request: request.number });
        try {
          const octokit = await this.options.installationClient(installationId);
          await this.submit({ ...template, octokit, log });
        } catch (error) {
          log.error({ err: error, attempt }, "cannot re-evaluate at a freeze edge");
          if (attempt < TIMER_RETRIES) timers.schedule(key, this.options.clock() + TIMER_RETRY_MS, () => fire(attempt + 1));
        }
      })();
      this.background.add(run);
      void run.finally(() => this.background.delete(run));
    };
    if (!timers.schedule(key, next, () => fire(1))) {
      request.log.warn({ pull_request: request.number, at: new Date(next).toISOString() }, "too many freeze timers: this PR's next freeze edge is not watched");
    }
  }
}
