// Builds the app: one facts gatherer, check writer and evaluator per process, and the handlers of
// every event of SPEC §3.1 wired to them.
import type { Probot } from "probot";
import { CheckWriter } from "../github/checks.js";
import { FactsGatherer } from "../github/facts.js";
import { PullRequestReader } from "../github/pull-request.js";
import type { AppConfig } from "./config.js";
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
}

/** The running app's parts, for tests and shutdown. */
export interface ComplianceGate {
  evaluator: Evaluator;
  /** Undefined when this replica keeps no freeze timers (COMPLIANCE_FREEZE_TIMERS=off). */
  freezeTimers: FreezeTimers | undefined;
  /** Pending retries: of evaluations whose checks GitHub refused, of policy pushes whose PRs could not be listed. */
  retries: Retries;
  checks: CheckWriter;
}

/** Registers compliance-gate's handlers on a Probot app. */
export function complianceGate(app: Probot, config: AppConfig, dependencies: GateDependencies = {}): ComplianceGate {
  const clock = dependencies.clock ?? Date.now;
  const checks = new CheckWriter({ clock, ...(config.appId !== undefined ? { appId: config.appId } : {}) });
  const timers = dependencies.timers ?? NODE_TIMERS;
  const freezeTimers = config.freezeTimers ? new FreezeTimers(clock, timers) : undefined;
  const retries = new Retries(timers);
  const evaluator = new Evaluator({
    gatherer: new FactsGatherer({ membershipTtlMs: config.membershipTtlMs, clock }),
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
  return { evaluator, freezeTimers, retries, checks };
}
