// One evaluation of a pull request, end to end: gather the facts, decide, report check runs; and
// when anything fails, report failing checks instead (fail closed, SPEC §3.3). Every handler ends here.
import type { Logger } from "probot";
import { decide, environmentsFor, nextFreezeTransition } from "../engine/index.js";
import type { Decision, State } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { renderEnvironmentCheck, renderFailure, type CheckContext } from "../github/check-output.js";
import {
  CheckWriter,
  POLICY_CHECK,
  externalIdOf,
  postedCheckNames,
  verdictOf,
  type CheckTarget,
  type PlannedCheck,
} from "../github/checks.js";
import { GatherFailed, GitHubRequestFailed, GitHubSession, type GitHubClient, type RequestCount } from "../github/client.js";
import type { FactsGatherer } from "../github/facts.js";
import { LruCache } from "../github/lru-cache.js";
import type { PullRequestReader } from "../github/pull-request.js";
import { requestReviewers } from "../github/review-requests.js";
import type { FreezeTimers } from "./freeze-timers.js";
import { policyCheck } from "./policy-check.js";
import { PullQueue } from "./pull-queue.js";
import { reviewRequestOf, type ReviewRequestMemory } from "./review-requests.js";

/** What to evaluate, and what the event already told us. */
export interface EvaluationRequest {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  number: number;
  /** Report on this merge group's head commit instead of the PR's head (merge queue). */
  mergeGroupSha?: string;
  /** The base branch as the event saw it: lets a repository without policies cost one free request. */
  base?: string;
  defaultBranch?: string;
  /** The PR's head as the event saw it: where a failure is reported when the PR cannot even be read. */
  head?: string;
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
  /** An installation's client, for evaluations no webhook started (freeze timers). */
  installationClient: (installationId: number) => Promise<GitHubClient>;
  /** The app's logger, for evaluations no webhook started. */
  log: Logger;
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
function expectedChecks(set: PolicySet, base: string, defaultBranch: string): string[] {
  const judging = environmentsFor(set, base, defaultBranch);
  return [...judging.policies, ...judging.invalid].map((p) => `compliance/${p.environment}`);
}

/** Sums request counts of the parts of one evaluation. */
class RequestTally {
  readonly count: RequestCount = { total: 0, notModified: 0, byRoute: {} };

  add(other: RequestCount): void {
    this.count.total += other.total;
    this.count.notModified += other.notModified;
    for (const [route, n] of Object.entries(other.byRoute)) this.count.byRoute[route] = (this.count.byRoute[route] ?? 0) + n;
  }

  /** For the log: reads GitHub counts against the rate limit (304s are free) and writes. */
  summary(): Record<string, unknown> {
    const writes = Object.entries(this.count.byRoute)
      .filter(([route]) => !route.startsWith("GET "))
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      total: this.count.total,
      reads: this.count.total - writes - this.count.notModified,
      not_modified: this.count.notModified,
      writes,
      by_route: this.count.byRoute,
    };
  }
}

/** The first line of an unexpected error's message, short: enough to search the log, never a stack trace. */
function describeUnexpected(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split("\n", 1)[0] ?? "").trim().slice(0, 200);
  return line === "" ? "unexpected error" : `unexpected error: ${line}`;
}

/** How many times a freeze timer retries when it cannot get an installation token. */
const TIMER_RETRIES = 5;
const TIMER_RETRY_MS = 60_000;

/** Evaluates pull requests, one at a time per PR, and reports the result as check runs. */
export class Evaluator {
  private readonly queue: PullQueue<EvaluationRequest>;
  /** Policy file texts read at PR heads for compliance/policy, by blob sha. */
  private readonly headBlobs = new LruCache<string, string>({ maxEntries: 200 });
  /** The check names last reported per PR: a later failure must cover them all. */
  private readonly reported = new LruCache<string, string[]>({ maxEntries: 5000 });
  /** Re-evaluations freeze timers started and that have not finished (they get a token first). */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly options: EvaluatorOptions) {
    this.queue = new PullQueue(
      (request) => this.evaluate(request),
      (pending, newer) => ({
        ...newer,
        force: pending.force || newer.force,
        reasons: [...new Set([...pending.reasons, ...newer.reasons])].slice(-10),
      }),
      (error) => options.log.error({ err: error }, "evaluation queue: unexpected error"),
    );
  }

  /** Evaluates the PR (after any evaluation of it in progress); resolves when its result is reported. Never rejects. */
  submit(request: EvaluationRequest): Promise<void> {
    return this.queue.run(queueKeyOf(request), request);
  }

  /** Resolves once no evaluation is in progress, including those freeze timers started. */
  async idle(): Promise<void> {
    while (this.background.size > 0 || this.queue.active > 0) {
      await Promise.all([...this.background, this.queue.idle()]);
    }
  }

  /** A PR closed: its freeze timers go. */
  closed(owner: string, repo: string, number: number): void {
    this.options.timers?.cancelPull(pullKeyOf(owner, repo, number));
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
      const known = probe.kind === "policies" ? expectedChecks(probe.policies, request.base, request.defaultBranch ?? request.base) : [];
      const target: CheckTarget = { owner: request.owner, repo: request.repo, sha: request.mergeGroupSha, externalId: "merge_group:unknown" };
      await this.reportFailure(gh, request.log, target, new Set(known), undefined, message, request.force);
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
    const mergeGroup = request.mergeGroupSha !== undefined;
    /** Check names we know the PR expects, for reporting a failure on all of them. */
    const known = new Set<string>();
    let sha = request.mergeGroupSha ?? request.head;
    const where = (): Record<string, unknown> => ({
      repository: `${owner}/${repo}`,
      pull_request: number,
      ...(mergeGroup ? { merge_group: request.mergeGroupSha } : {}),
      sha,
      reasons: request.reasons,
    });

    try {
      if (request.base !== undefined) {
        const probe = await gatherer.probe(request.octokit, { owner, repo, base: request.base });
        tally.add(probe.requests);
        if (probe.kind === "no_policies") {
          log.debug({ ...where(), requests: tally.summary() }, "no policies on the base branch: left alone");
          return;
        }
        if (probe.kind === "error") throw new GatherFailed(probe.error);
        for (const name of expectedChecks(probe.policies, request.base, request.defaultBranch ?? request.base)) known.add(name);
      }

      const pull = await pulls.read(gh, owner, repo, number);
      const reportOn = request.mergeGroupSha ?? pull.head.sha;
      sha = reportOn;
      if (pull.state !== "open") {
        this.closed(owner, repo, number);
        log.debug({ ...where(), state: pull.state }, "pull request is not open: not evaluated");
        return;
      }

      const now = clock();
      const gathered = await gatherer.gather(request.octokit, { owner, repo, pull_number: number, pull, now });
      tally.add(gathered.requests);
      if (gathered.kind === "no_policies") {
        log.debug({ ...where(), requests: tally.summary() }, "no policies on the base branch: left alone");
        return;
      }
      if (gathered.kind === "error") throw new GatherFailed(gathered.error);
      const { facts, policies } = gathered;
      for (const name of expectedChecks(policies, facts.base, facts.default_branch)) known.add(name);

      const decision = decide(policies, facts);
      const context: CheckContext = {
        repository: `${owner}/${repo}`,
        policyCommit: gathered.policyCommit,
        ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}),
        warnings: gathered.warnings,
      };
      const planned: PlannedCheck[] = decision.environments.map((env) => ({
        name: env.check,
        verdict: verdictOf(env.state),
        output: renderEnvironmentCheck(env, context),
      }));
      planned.push(
        await policyCheck(gh, {
          owner,
          repo,
          head: facts.head,
          files: facts.files,
          filesTruncated: facts.files_truncated,
          blobs: this.headBlobs,
        }),
      );

      const target: CheckTarget = { owner, repo, sha: reportOn, externalId: externalIdOf(number, mergeGroup) };
      const posted = await this.postAll(gh, log, target, planned, request.force);
      this.reported.set(pullKey, planned.map((check) => check.name));

      if (!mergeGroup && !pull.draft) await this.requestReviews(gh, log, request, decision, policies, facts.author);
      this.scheduleFreezeEdge(request, decision, policies, now, { head: facts.head, base: facts.base, defaultBranch: facts.default_branch });

      tally.add(gh.count);
      log.info(
        {
          ...where(),
          environments: Object.fromEntries(decision.environments.map((env): [string, State] => [env.environment, env.state])),
          checks: posted,
          ...(gathered.warnings.length > 0 ? { warnings: gathered.warnings } : {}),
          duration_ms: clock() - started,
          requests: tally.summary(),
        },
        `evaluated ${owner}/${repo}#${number}`,
      );
    } catch (error) {
      const expected = error instanceof GatherFailed;
      const message = expected ? error.message : describeUnexpected(error);
      if (expected) log.warn({ ...where(), error: message }, "cannot evaluate: reporting failing checks");
      else log.error({ ...where(), err: error }, "evaluation failed unexpectedly: reporting failing checks");
      if (sha === undefined) {
        log.error(where(), "no commit is known to report the failure on");
        return;
      }
      const target: CheckTarget = { owner, repo, sha, externalId: externalIdOf(number, mergeGroup) };
      try {
        await this.reportFailure(gh, log, target, known, pullKey, message, request.force);
      } catch (reportError) {
        log.error({ ...where(), err: reportError }, "could not report the failure");
      }
      tally.add(gh.count);
      log.info({ ...where(), environments: {}, failed: message, duration_ms: clock() - started, requests: tally.summary() }, `evaluated ${owner}/${repo}#${number}: failed`);
    }
  }

  /**
   * Posts each check in turn (GitHub asks integrators to send writes serially). A check that
   * cannot be posted is tried once more as a failure, so it never keeps showing an older success.
   */
  private async postAll(
    gh: GitHubSession,
    log: Logger,
    target: CheckTarget,
    planned: PlannedCheck[],
    force: boolean,
  ): Promise<{ posted: number; unchanged: number; failed: number }> {
    const tally = { posted: 0, unchanged: 0, failed: 0 };
    for (const check of planned) {
      try {
        tally[await this.options.checks.post(gh, target, check, { force })] += 1;
      } catch (error) {
        tally.failed += 1;
        const message = error instanceof GatherFailed ? error.message : describeUnexpected(error);
        log.error({ check: check.name, sha: target.sha, error: message }, "could not post a check");
        if (check.verdict === "failure") continue;
        try {
          await this.options.checks.post(gh, target, { name: check.name, verdict: "failure", output: renderFailure(`could not report the result: ${message}`) });
        } catch {
          // GitHub refuses writes altogether: nothing more can be said on this commit now.
        }
      }
    }
    return tally;
  }

  /**
   * Fail closed: a failing check on every name the PR is expected to carry — the environments of
   * the base branch's policies when they could be read, the names this process last reported for
   * the PR, else those already on the commit — and always compliance/policy, which is posted on
   * every PR and so is known even when nothing else is.
   */
  private async reportFailure(
    gh: GitHubSession,
    log: Logger,
    target: CheckTarget,
    known: Set<string>,
    pullKey: string | undefined,
    message: string,
    force: boolean,
  ): Promise<void> {
    const names = new Set(known);
    for (const name of (pullKey && this.reported.get(pullKey)) || []) names.add(name);
    if (names.size === 0) {
      try {
        for (const name of await postedCheckNames(gh, target.owner, target.repo, target.sha, this.options.checks.appId)) names.add(name);
      } catch (error) {
        log.warn({ error: error instanceof Error ? error.message : String(error) }, "cannot list the checks already on the commit");
      }
    }
    names.add(POLICY_CHECK);
    const output = renderFailure(message);
    for (const name of [...names].sort()) {
      try {
        await this.options.checks.post(gh, target, { name, verdict: "failure", output }, { force });
      } catch (error) {
        log.error({ check: name, error: error instanceof Error ? error.message : String(error) }, "could not post a failing check");
      }
    }
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
    const { octokit: _octokit, log: _log, ...rest } = request;
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
