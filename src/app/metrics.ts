// What the app exposes at /metrics, in Prometheus's text format: deliveries, the queue, the
// evaluations, the checks written and skipped, GitHub's answers and limits, audit records. One
// registry per app; the parts of the app report through small observer interfaces.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { CheckWriteObserver } from "../github/check-runs.js";
import type { RateLimit } from "../github/client.js";
import type { GitHubObserver } from "../github/pacing.js";
import type { EvaluationOutcome } from "./evaluate.js";
import type { QueueObserver } from "./queue/jobs.js";

/** How full the queue is, as the queue (app/later*.ts, queue/) tells it when /metrics is read. */
export interface QueueStats {
  /** Jobs waiting to run now. */
  waiting: number;
  /** Jobs running. */
  active: number;
  /** Jobs waiting for their time: retries, freeze edges, reconciles, sweeps. */
  delayed: number;
  /** How long the oldest job waiting to run now has waited, in milliseconds; 0 when none waits. */
  oldestWaitingMs: number;
}

/** Whatever can say how full the queue is. */
export interface QueueStatsSource {
  stats(): QueueStats | Promise<QueueStats>;
}

/** What one evaluation reports when it ends (app/evaluate.ts). */
export interface EvaluationObserver {
  evaluated(evaluation: { outcome: EvaluationOutcome; durationMs: number }): void;
}

/** What the audit trail reports for each record it tries to write: a PR's audit comment, a push's or deployment's record. */
export interface AuditObserver {
  record(kind: "merge" | "push" | "verdict", result: "written" | "existing" | "failed"): void;
}

/** A delivery's event name as a label: `pull_request.opened`; bounded by GitHub's list of events. */
export function eventLabel(name: string, action: unknown): string {
  const event = /^[a-z_]{1,64}$/.test(name) ? name : "other";
  return typeof action === "string" && /^[a-z_]{1,64}$/.test(action) ? `${event}.${action}` : event;
}

/** Evaluation durations, in seconds: from a warm review (tens of ms) to a burst's waits on GitHub's limits (minutes). */
const EVALUATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface MetricsOptions {
  /** Node's process metrics too (CPU, memory, event loop): default true. */
  processMetrics?: boolean;
}

/** The app's metrics: the observer every part reports to, and the registry /metrics renders. */
export class Metrics implements GitHubObserver, CheckWriteObserver, EvaluationObserver, AuditObserver, QueueObserver {
  readonly registry = new Registry();
  private queue: QueueStatsSource | undefined;

  private readonly deliveries = new Counter({
    name: "compliance_gate_deliveries_total",
    help: "Webhook deliveries handled, by event and action.",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });
  private readonly rejected = new Counter({
    name: "compliance_gate_deliveries_rejected_total",
    help: "Webhook deliveries answered with an error: a bad signature (401), the queue could not take it (503), a body too large (413) or not fitting the bodies being read (busy: 503).",
    labelNames: ["event", "reason"] as const,
    registers: [this.registry],
  });
  private readonly evaluations = new Histogram({
    name: "compliance_gate_evaluation_duration_seconds",
    help: "Time from an evaluation's start to its checks posted, by outcome.",
    labelNames: ["outcome"] as const,
    buckets: EVALUATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly checks = new Counter({
    name: "compliance_gate_checks_total",
    help: "Check runs this app was asked to post: written, skipped because GitHub already shows the same, or failed.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: "compliance_gate_github_requests_total",
    help: "Requests to GitHub by method and status (none: no answer — dropped, timed out, or held by the pacer).",
    labelNames: ["method", "status"] as const,
    registers: [this.registry],
  });
  private readonly paced = new Counter({
    name: "compliance_gate_github_pacing_wait_seconds_total",
    help: "Time requests waited for the per-installation limits (points, spacing, concurrency, GitHub's pauses).",
    registers: [this.registry],
  });
  private readonly limitedTotal = new Counter({
    name: "compliance_gate_github_rate_limited_total",
    help: "Times GitHub asked an installation to wait, by kind of limit.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  private readonly remaining = new Gauge({
    name: "compliance_gate_github_rate_limit_remaining",
    help: "Requests left in the primary rate limit of each installation, as GitHub's last answer said.",
    labelNames: ["installation"] as const,
    registers: [this.registry],
  });
  private readonly limit = new Gauge({
    name: "compliance_gate_github_rate_limit",
    help: "The primary rate limit of each installation, per hour, as GitHub's last answer said.",
    labelNames: ["installation"] as const,
    registers: [this.registry],
  });
  private readonly audit = new Counter({
    name: "compliance_gate_audit_records_total",
    help: "Audit records this app tried to write, by kind (merge: a PR's audit comment; push, verdict: compliance/audit check runs) and result.",
    labelNames: ["kind", "result"] as const,
    registers: [this.registry],
  });

  private readonly droppedJobs = new Counter({
    name: "compliance_gate_jobs_dropped_total",
    help: "Jobs dropped after failing every retry (no installation token for a day, say), by kind of job.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  private readonly refusedDelayed = new Counter({
    name: "compliance_gate_queue_delayed_refused_total",
    help: "New retries and timers not set because the queue holds as many as it keeps, by kind (retry, timer).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    const source = (): QueueStatsSource | undefined => this.queue;
    new Gauge({
      name: "compliance_gate_queue_jobs",
      help: "Jobs in the queue by state: waiting to run now, running, waiting for their time.",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        const stats = await source()?.stats();
        if (!stats) return;
        this.set({ state: "waiting" }, stats.waiting);
        this.set({ state: "active" }, stats.active);
        this.set({ state: "delayed" }, stats.delayed);
      },
    });
    new Gauge({
      name: "compliance_gate_queue_oldest_waiting_seconds",
      help: "How long the oldest job waiting to run now has waited.",
      registers: [this.registry],
      async collect() {
        const stats = await source()?.stats();
        if (stats) this.set(stats.oldestWaitingMs / 1000);
      },
    });
    // Seen at zero from the start, so that rates and alerts work before the first event.
    for (const result of ["written", "skipped", "failed"]) this.checks.inc({ result }, 0);
    this.droppedJobs.inc({ kind: "evaluate" }, 0);
    for (const kind of ["retry", "timer"]) this.refusedDelayed.inc({ kind }, 0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "compliance_gate_" });
  }

  /** The queue whose depth and age /metrics shows. */
  watchQueue(queue: QueueStatsSource): void {
    this.queue = queue;
  }

  /** A delivery handled (`event`: eventLabel's). */
  delivery(event: string): void {
    this.deliveries.inc({ event });
  }

  /** A delivery refused: `reason` is "signature" (401), "queue" (503), "too_large" (413) or "busy" (503: the budget of body bytes). */
  deliveryRejected(event: string, reason: "signature" | "queue" | "too_large" | "busy"): void {
    this.rejected.inc({ event, reason });
  }

  evaluated(evaluation: { outcome: EvaluationOutcome; durationMs: number }): void {
    this.evaluations.observe({ outcome: evaluation.outcome }, evaluation.durationMs / 1000);
  }

  check(outcome: "written" | "skipped" | "failed"): void {
    this.checks.inc({ result: outcome });
  }

  answered(request: { installation: string; method: string; status: number | undefined; waitedMs: number }): void {
    this.requests.inc({ method: request.method, status: request.status === undefined ? "none" : String(request.status) });
    if (request.waitedMs > 0) this.paced.inc(request.waitedMs / 1000);
  }

  rateLimit(installation: string, remaining: number, limit: number | undefined): void {
    this.remaining.set({ installation }, remaining);
    if (limit !== undefined) this.limit.set({ installation }, limit);
  }

  limited(_installation: string, limit: RateLimit): void {
    this.limitedTotal.inc({ kind: limit.kind });
  }

  record(kind: "merge" | "push" | "verdict", result: "written" | "existing" | "failed"): void {
    this.audit.inc({ kind, result });
  }

  /** A job dropped after its last retry; `kind` is one the app registered (a job of another kind fails before it runs). */
  dropped(kind: string): void {
    this.droppedJobs.inc({ kind: /^[a-z-]{1,64}$/.test(kind) ? kind : "other" });
  }

  refused(what: "retry" | "timer"): void {
    this.refusedDelayed.inc({ kind: what });
  }

  /** The Prometheus text of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * The /metrics route, for a Node HTTP server: true when it answered the request. A scrape that
 * fails (the queue's store is down) answers 500 and says so, without a stack trace.
 */
export function serveMetrics(metrics: Metrics, path = "/metrics"): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== "GET" || new URL(req.url ?? "/", "http://localhost").pathname !== path) return false;
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType });
        res.end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`metrics could not be collected: ${error instanceof Error ? error.message.split("\n", 1)[0] : "unknown error"}\n`);
      },
    );
    return true;
  };
}
