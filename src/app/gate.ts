// Builds the app: the ports over GitHub with their process-wide caches, Later (in this process, or
// the one in Redis the server hands in), the use cases, the table of jobs they run, and the handlers
// that turn each webhook of SPEC §3.1, §4, §5 and §8 into a job of its use case.
import type { Redis } from "ioredis";
import type { Logger } from "probot";
import { AppIdentity } from "../github/app-identity.js";
import type { EnforcementTrigger } from "../engine/enforcement-drift.js";
import type { GitHubClient } from "../github/client.js";
import { onAuditEvents } from "./audit-events.js";
import { MergeRecorder, type MergeRequest } from "./audit-merge.js";
import { PushAuditor, type PushRequest } from "./audit-push.js";
import { Reconciler } from "./audit-reconcile.js";
import { AppliedVerifier, type AppliedReport } from "./applied-verify.js";
import type { GateApp } from "./deliveries.js";
import { onDeploymentEvents } from "./deployment-events.js";
import { DeploymentGate, type DeploymentRequest } from "./deployment-gate.js";
import { Rebaseliner, type RebaselineRequest } from "./rebaseline.js";
import type { AppConfig } from "./config.js";
import type { DeliverySource } from "./delivery.js";
import { onEnforcementEvents } from "./enforce-events.js";
import { EnforcementService, type EnforceRequest } from "./enforce-service.js";
import { Evaluation, type EvaluationOutcome, type UnattributedMergeGroup } from "./evaluate.js";
import { mergeEvaluationRequests, type EvaluationRequest } from "./evaluation-memory.js";
import type { FreezeTimers, TimerApi } from "./freeze-timers.js";
import { GitHubPorts } from "./github-ports.js";
import { eventLabel, Metrics } from "./metrics.js";
import { MemoryCheckStore } from "../github/check-runs.js";
import { MemoryPacingStore } from "../github/pacing-store.js";
import { Pacer, type Sleeper } from "../github/pacing.js";
import { RedisCheckStore, RedisPacingStore } from "../github/redis-stores.js";
import { InProcessLater } from "./later.js";
import { fencedPorts } from "./queue/fence.js";
import type { AppLater, Lease } from "./queue/jobs.js";
import { STARTUP_SWEEP_JOB, sweepInstallation, sweepInstallations, sweepRepository, type SweptRepository } from "./startup-sweep.js";
import { onMergeGroupEvents } from "./merge-group-events.js";
import { reevaluateOpenPulls, type PolicyPush } from "./policy-push.js";
import { RetryLater, type Job, type Ports } from "./ports.js";
import { onPullRequestEvents } from "./pull-request-events.js";
import { onPushEvents } from "./push-events.js";
import { rerunEvaluations, type Rerun } from "./rerun.js";
import { onRerunEvents } from "./rerun-events.js";
import { skippingRehearsals, type Rehearsals } from "./warm-up.js";

/**
 * The run deadline of the jobs that enforce every repository of an installation, one after another
 * (issue 9): a few reads each at 780 points a minute, so an installation of a thousand repositories
 * takes minutes past the 10 an evaluation is given (RUN_DEADLINE_MS). Six hours: still not forever.
 */
const SWEEP_DEADLINE_MS = 6 * 3_600_000;

/** What the entry hands in (the queue, metrics, Redis) and tests replace (the clock, the timers). */
export interface GateDependencies {
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
  /** Default Node's setTimeout, unref'd. */
  timers?: TimerApi;
  /** The queue (the server's, in Redis with REDIS_URL); default one in this process, with the config's slots. */
  later?: AppLater;
  /** Sweep for what a restart lost, soon after start (the server's in-process mode; default off). */
  startupSweepAfterMs?: number;
  /**
   * Whether the first delivery for a repository reconciles its recent merges (default true).
   * Tests of other features turn it off, so their request counts do not include it.
   */
  reconcileOnFirstEvent?: boolean;
  /**
   * Whether events start enforcement of the required checks (default true). Tests of other
   * features turn it off, so their request counts do not include its reads.
   */
  enforceOnEvents?: boolean;
  /** Where /metrics is collected; default a registry of the app's own metrics only. */
  metrics?: Metrics;
  /** A connection to REDIS_URL: the pacer's budgets and what each check shows are shared through it. */
  redis?: Redis;
  /**
   * Whether a check the check store does not know makes the app read the commit's check runs once
   * before writing (default true). Tests of other features turn it off, so their request counts
   * do not include the read.
   */
  recallChecks?: boolean;
  /** How the pacer waits (tests: a clock of their own). */
  sleeper?: Sleeper;
  /**
   * The deliveries the server sends itself to warm up (warm-up.ts): their handlers run, the jobs they
   * ask for are dropped and they count in no metric.
   */
  rehearsals?: Rehearsals;
}

/** The running app's parts, for tests and shutdown. */
export interface ComplianceGate {
  /** Jobs now and later: the evaluations in progress, pending retries, freeze timers. */
  later: AppLater;
  /** Undefined when this replica keeps no freeze timers (COMPLIANCE_FREEZE_TIMERS=off). */
  freezeTimers: FreezeTimers | undefined;
  ports: GitHubPorts;
  evaluation: Evaluation;
  /** The audit of merged pull requests. */
  recorder: MergeRecorder;
  /** The audit of direct pushes. */
  pushes: PushAuditor;
  /** The reconcile of recent merges without a record. */
  reconciler: Reconciler;
  /** Keeping the checks required (SPEC §5). */
  enforcement: EnforcementService;
  /** Stops the periodic sweep of required checks. */
  stopSweep: () => void;
  /** Deployments waiting on the app (SPEC §8.1), and revisions operators applied (§8.2). */
  deployments: DeploymentGate;
  applied: AppliedVerifier;
  /** GitHub's limits, per installation. */
  pacer: Pacer;
  metrics: Metrics;
}

/** Every job's payload names its repository. */
type RepositoryJob = Job<{ owner: string; repo: string }>;

/** Registers compliance-gate's handlers on the app (deliveries.ts: what they are handed). */
export function complianceGate(app: GateApp, config: AppConfig, dependencies: GateDependencies = {}): ComplianceGate {
  const clock = dependencies.clock ?? Date.now;
  const metrics = dependencies.metrics ?? new Metrics({ processMetrics: false });
  const { redis } = dependencies;
  let storeFailing = false;
  const pacer = new Pacer({
    store: redis ? new RedisPacingStore(redis) : new MemoryPacingStore(clock),
    fallback: new MemoryPacingStore(clock),
    limits: config.pacing,
    observer: metrics,
    clock,
    ...(dependencies.sleeper ? { sleeper: dependencies.sleeper } : {}),
    onStoreError: (error) => {
      // Once per outage: pacing goes on in this process alone meanwhile.
      if (storeFailing) return;
      storeFailing = true;
      setTimeout(() => (storeFailing = false), 60_000).unref();
      app.log.warn({ err: error }, "the shared pacing store failed: pacing GitHub requests in this process alone");
    },
  });
  /** An installation's client, behind the pacer. */
  const installationClient = async (installationId: number): Promise<GitHubClient> => pacer.client(installationId, await app.auth(installationId));
  const ports = new GitHubPorts({
    clock,
    membershipTtlMs: config.membershipTtlMs,
    checkStore: redis ? new RedisCheckStore(redis) : new MemoryCheckStore(),
    recallChecks: dependencies.recallChecks ?? true,
    observer: metrics,
    ...(config.appId !== undefined ? { appId: config.appId } : {}),
  });
  const later =
    dependencies.later ??
    new InProcessLater({ clock, ...(dependencies.timers ? { timers: dependencies.timers } : {}), log: app.log, slots: { interactive: config.queueConcurrency, bulk: config.concurrency } });
  later.observe(metrics);
  later.paceWith((installation) => pacer.spentAhead(installation));
  // /metrics reads the queue's depth and its oldest job's wait when scraped; within 2 s, as a Redis
  // that went away would hold the read until it is back (the scrape then answers 500 and says why).
  metrics.watchQueue({
    stats: async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("the queue did not say how full it is within 2 s")), 2_000)));
      try {
        const stats = await Promise.race([later.stats(), late]);
        return { waiting: stats.waiting, active: stats.active, delayed: stats.delayed, oldestWaitingMs: stats.oldestWaitMs ?? 0 };
      } finally {
        clearTimeout(timer);
      }
    },
  });
  const evaluation = new Evaluation({
    later,
    clock,
    observer: metrics,
    freezeTimers: config.freezeTimers,
    // Called by evaluations, which start after the enforcement below exists.
    notRequired: (owner, repo, branch) => enforcement.notRequiredOn(owner, repo, branch),
  });
  const audit = {
    identity: new AppIdentity(() => app.auth()),
    ...(config.signingKey !== undefined ? { signingKey: config.signingKey } : {}),
    clock,
    later,
  };
  const recorder = new MergeRecorder(audit);
  const pushes = new PushAuditor(audit);
  const reconciler = new Reconciler({
    recorder,
    clock,
    intervalMs: config.reconcileIntervalMs,
    windowMs: config.reconcileWindowMs,
    reconcileOnFirstEvent: dependencies.reconcileOnFirstEvent ?? true,
  });

  /** A job's ports, through a fresh client of its installation (its check runs fenced by the run's lease), and its logger. */
  const prepare = async (job: RepositoryJob, lease: Lease): Promise<{ ports: Ports; log: Logger }> => {
    if (job.installationId === undefined) throw new Error(`a ${job.kind} job without an installation cannot read GitHub`);
    const client = await installationClient(job.installationId);
    return { ports: fencedPorts(ports.for(client, job.payload.owner, job.payload.repo), lease), log: jobLog(app.log, job) };
  };
  const run =
    <P extends { owner: string; repo: string }>(use: (payload: P, ports: Ports, log: Logger, job: Job<P>) => Promise<unknown>) =>
    async (job: Job, lease: Lease): Promise<void> => {
      const { ports: bound, log } = await prepare(job as RepositoryJob, lease);
      await use(job.payload as P, bound, log, job as Job<P>);
    };
  later.handle("evaluate", {
    run: run<EvaluationRequest>(async (request, bound, log) => {
      const started = clock();
      let outcome: EvaluationOutcome = "failed";
      try {
        outcome = await evaluation.evaluate(request, bound, log);
      } catch (error) {
        // GitHub asked to wait, or no commit is known to fail on yet: the queue runs it again, nothing was decided.
        if (error instanceof RetryLater) outcome = "deferred";
        throw error;
      } finally {
        metrics.evaluated({ outcome, durationMs: clock() - started });
      }
    }),
    merge: (pending, newer) => ({ ...newer, payload: mergeEvaluationRequests(pending.payload as EvaluationRequest, newer.payload as EvaluationRequest) }),
    // Dropped, an evaluation that could not start (no installation token) would leave the PR's
    // check showing what may no longer hold — a success a dismissal took back: it tries for a day.
    keepTrying: true,
  });
  later.handle("fail-merge-group", { run: run<UnattributedMergeGroup>((group, bound, log) => evaluation.failUnattributed(group, bound, log)) });
  later.handle("rerun", { run: run<Rerun>((rerun, bound, log, job) => rerunEvaluations(later, bound, log, rerun, job.log)) });
  // Dropped, a policy push would leave its open PRs judged by the old policies (perhaps looser): it
  // tries for a day too — it fails while the in-process queue's bulk share is full, say.
  later.handle("policy-push", { run: run<PolicyPush>((push, bound, log, job) => reevaluateOpenPulls(later, bound, log, push, job.log)), keepTrying: true });
  later.handle("record-merge", { run: run<MergeRequest>((request, bound, log) => recorder.onMerged(request, bound, log)) });
  later.handle("audit-push", { run: run<PushRequest>((request, bound, log) => pushes.onPush(request, bound, log)) });
  later.handle("reconcile", { run: run<DeliverySource>((source, bound, log) => reconciler.onDelivery(bound, source, log)) });

  // The queue as the delivery handlers see it: a warm-up's rehearsal asks for nothing that is kept.
  const { rehearsals } = dependencies;
  const asked = rehearsals !== undefined ? skippingRehearsals(later, rehearsals) : later;
  app.onAny((context) => {
    if (!rehearsals?.has(context.id)) metrics.delivery(eventLabel(context.name, (context.payload as { action?: unknown }).action));
  });
  onPullRequestEvents(app, asked, evaluation);
  onMergeGroupEvents(app, asked);
  onRerunEvents(app, asked, () => ports.appId);
  onPushEvents(app, asked);
  onAuditEvents(app, asked, reconciler);

  const enforcement = new EnforcementService({
    identity: audit.identity,
    ...(config.signingKey !== undefined ? { signingKey: config.signingKey } : {}),
    ...(config.appId !== undefined ? { appId: config.appId } : {}),
    later,
    clock,
    appClient: () => app.auth(),
    installationClient,
    portsFor: (client, request) => ports.enforcement(client, request.owner, request.repo, { botLogin: () => audit.identity.botLogin(), ...(request.defaultBranch !== undefined ? { defaultBranch: request.defaultBranch } : {}) }),
    log: app.log,
  });
  const verdicts = { ...(config.signingKey !== undefined ? { signingKey: config.signingKey } : {}), clock, later };
  const deployments = new DeploymentGate(verdicts);
  const applied = new AppliedVerifier(verdicts);
  const rebaselines = new Rebaseliner(verdicts);
  /** A job's installation client and logger. */
  const clientOf = async (job: Job): Promise<{ client: GitHubClient; log: Logger }> => {
    if (job.installationId === undefined) throw new Error(`a ${job.kind} job without an installation cannot read GitHub`);
    return { client: await installationClient(job.installationId), log: jobLog(app.log, job) };
  };
  const deploymentPorts = (client: GitHubClient, owner: string, repo: string) => ports.deployments(client, owner, repo, () => audit.identity.botLogin());
  later.handle("enforce", {
    run: async (job) => {
      const { client, log } = await clientOf(job);
      const request = job.payload as EnforceRequest;
      await enforcement.enforce(request, enforcement.portsFor(client, request), log);
    },
  });
  later.handle("enforce-installation", {
    run: async (job) => {
      const { client, log } = await clientOf(job);
      await enforcement.enforceInstallation(client, job.installationId as number, (job.payload as { trigger: EnforcementTrigger }).trigger, log);
    },
    deadlineMs: SWEEP_DEADLINE_MS,
  });
  later.handle("enforce-sweep", { run: () => enforcement.sweepAndRearm(), deadlineMs: SWEEP_DEADLINE_MS });
  later.handle("answer-deployment", {
    run: async (job) => {
      const { client, log } = await clientOf(job);
      const request = job.payload as DeploymentRequest;
      await deployments.onRequest(request, deploymentPorts(client, request.owner, request.repo), log);
    },
  });
  later.handle("rebaseline", {
    run: async (job) => {
      const { client, log } = await clientOf(job);
      const request = job.payload as RebaselineRequest;
      await rebaselines.onClosed(request, deploymentPorts(client, request.owner, request.repo), log);
    },
  });
  later.handle("verify-applied", {
    run: async (job) => {
      const { client, log } = await clientOf(job);
      const report = job.payload as AppliedReport;
      await applied.onReport(report, deploymentPorts(client, report.owner, report.repo), log);
    },
  });
  later.handle("startup-sweep", { run: () => sweepInstallations(later, () => app.auth(), app.log.child({ name: "startup-sweep" })) });
  later.handle("sweep-installation", {
    run: async (job) => {
      const { client } = await clientOf(job);
      await sweepInstallation(later, client, job.installationId as number);
    },
  });
  later.handle("sweep-repository", { run: run<SweptRepository>((repository, bound, log) => sweepRepository(later, bound, log, repository, clock())) });
  if (dependencies.startupSweepAfterMs !== undefined) later.at(STARTUP_SWEEP_JOB.key, STARTUP_SWEEP_JOB, clock() + dependencies.startupSweepAfterMs);
  // A queue in Redis sweeps when Redis is found to have lost what it held (queue/store-loss.ts).
  if (config.startupSweep) (later as AppLater).recoverWith?.(STARTUP_SWEEP_JOB);
  if (dependencies.enforceOnEvents ?? true) onEnforcementEvents(app, asked, audit.identity, clock, (owner, repo, branch) => enforcement.mayChangeEnforcement(owner, repo, branch));
  // The first sweep a few minutes after start: what changed while the app was down is found soon.
  const stopSweep = config.enforceSweepIntervalMs > 0 ? enforcement.schedule(config.enforceSweepIntervalMs, Math.min(config.enforceSweepIntervalMs, 300_000)) : () => undefined;
  onDeploymentEvents(app, asked, () => ports.appId);
  return { later, freezeTimers: config.freezeTimers && later instanceof InProcessLater ? later.timers : undefined, ports, evaluation, recorder, pushes, reconciler, enforcement, stopSweep, deployments, applied, pacer, metrics };
}

/** A job's logger: its bindings, with the delivery that asked for it named `delivery` (Probot binds it as `id`). */
function jobLog(log: Logger, job: Job): Logger {
  const bindings = job.log ?? {};
  return log.child(bindings["name"] === "event" && bindings["id"] !== undefined ? { ...bindings, delivery: bindings["id"] } : bindings);
}
