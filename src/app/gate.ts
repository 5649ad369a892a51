// Builds the app: one facts gatherer, check writer and evaluator per process, and the handlers of
// every event of SPEC §3.1 wired to them; and the audit trail of SPEC §4 (records on merge,
// direct pushes, the reconcile of recent merges).
import type { Probot } from "probot";
import { AppIdentity } from "../github/app-identity.js";
import type { GitHubClient } from "../github/client.js";
import { CheckWriter } from "../github/checks.js";
import { FactsGatherer } from "../github/facts.js";
import { LruCache } from "../github/lru-cache.js";
import { PullRequestReader } from "../github/pull-request.js";
import { onAuditEvents } from "./audit-events.js";
import { MergeRecorder } from "./audit-merge.js";
import { PushAuditor } from "./audit-push.js";
import { Reconciler } from "./audit-reconcile.js";
import { AppliedVerifier } from "./applied-verify.js";
import { onDeploymentEvents } from "./deployment-events.js";
import { DeploymentGate } from "./deployment-gate.js";
import { DeploymentGitHubSession } from "./deployment-github.js";
import type { AppConfig } from "./config.js";
import { onEnforcementEvents } from "./enforce-events.js";
import { EnforcementService } from "./enforce-service.js";
import { Evaluator } from "./evaluator.js";
import { FreezeTimers, NODE_TIMERS, type TimerApi } from "./freeze-timers.js";
import { onMergeGroupEvents } from "./merge-group-events.js";
import { onPullRequestEvents } from "./pull-request-events.js";
import { onPushEvents } from "./push-events.js";
import { onRerunEvents } from "./rerun-events.js";
import { Retries } from "./retries.js";
import { ReviewRequestMemory } from "./review-requests.js";

/** What tests (and only tests) replace: the clock and the timers. */
export interface GateDependencies {
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
  /** Default Node's setTimeout, unref'd. */
  timers?: TimerApi;
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
}

/** The running app's parts, for tests and shutdown. */
export interface ComplianceGate {
  evaluator: Evaluator;
  /** Undefined when this replica keeps no freeze timers (COMPLIANCE_FREEZE_TIMERS=off). */
  freezeTimers: FreezeTimers | undefined;
  /** Pending retries: of evaluations whose checks GitHub refused, of policy pushes whose PRs could not be listed. */
  retries: Retries;
  checks: CheckWriter;
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
}

/** Registers compliance-gate's handlers on a Probot app. */
export function complianceGate(app: Probot, config: AppConfig, dependencies: GateDependencies = {}): ComplianceGate {
  const clock = dependencies.clock ?? Date.now;
  const checks = new CheckWriter({ clock, ...(config.appId !== undefined ? { appId: config.appId } : {}) });
  const timers = dependencies.timers ?? NODE_TIMERS;
  const freezeTimers = config.freezeTimers ? new FreezeTimers(clock, timers) : undefined;
  const retries = new Retries(timers);
  const gatherer = new FactsGatherer({ membershipTtlMs: config.membershipTtlMs, clock });
  const evaluator = new Evaluator({
    // Called by evaluations, which start after the enforcement below exists.
    notRequired: (owner, repo, branch) => enforcement.notRequiredOn(owner, repo, branch),
    gatherer,
    pulls: new PullRequestReader(),
    checks,
    reviewRequests: new ReviewRequestMemory(),
    clock,
    ...(freezeTimers ? { timers: freezeTimers } : {}),
    retries,
    installationClient: (installationId) => app.auth(installationId),
    log: app.log,
  });

  onPullRequestEvents(app, evaluator);
  onMergeGroupEvents(app, evaluator);
  onRerunEvents(app, evaluator, () => checks.appId);
  onPushEvents(app, evaluator, retries, config.concurrency);

  const audit = {
    gatherer,
    identity: new AppIdentity(() => app.auth()),
    ...(config.signingKey !== undefined ? { signingKey: config.signingKey } : {}),
    clock,
    retries,
    installationClient: (installationId: number) => app.auth(installationId),
    log: app.log,
    labels: new LruCache<string, true>({ maxEntries: 10_000 }),
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
  onAuditEvents(app, recorder, pushes, reconciler);

  const enforcement = new EnforcementService({
    gatherer,
    identity: audit.identity,
    ...(config.signingKey !== undefined ? { signingKey: config.signingKey } : {}),
    ...(config.appId !== undefined ? { appId: config.appId } : {}),
    labels: audit.labels,
    retries,
    clock,
    appClient: () => app.auth(),
    installationClient: (installationId) => app.auth(installationId),
    log: app.log,
  });
  if (dependencies.enforceOnEvents ?? true) onEnforcementEvents(app, enforcement, audit.identity, clock);
  // The first sweep a few minutes after start: what changed while the app was down is found soon.
  const stopSweep = config.enforceSweepIntervalMs > 0 ? enforcement.schedule(timers, config.enforceSweepIntervalMs, Math.min(config.enforceSweepIntervalMs, 300_000)) : () => undefined;
  const verdicts = { ...(config.signingKey !== undefined ? { signingKey: config.signingKey } : {}), clock, retries };
  const deployments = new DeploymentGate(verdicts);
  const applied = new AppliedVerifier(verdicts);
  const portFor = (octokit: GitHubClient, owner: string, repo: string) =>
    new DeploymentGitHubSession(octokit, { owner, repo, login: () => audit.identity.botLogin(), gatherer, labels: audit.labels, clock });
  onDeploymentEvents(app, deployments, applied, portFor, () => checks.appId);
  return { evaluator, freezeTimers, retries, checks, recorder, pushes, reconciler, enforcement, stopSweep, deployments, applied };
}
