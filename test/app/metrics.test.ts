// /metrics: what an operator watches — deliveries, the queue, evaluations, checks written and
// skipped, GitHub's answers and limits, audit records — and the log line of each evaluation.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import type { InProcessLater } from "../../src/app/later.js";
import { Metrics, eventLabel, serveMetrics } from "../../src/app/metrics.js";
import { FakeGitHub, REPO_PATH, capturingLogger, pullRequestEvent, startApp, useTestApp, type TestApp } from "./helpers.js";

/** The value of one sample of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[3] ?? "").split(",").filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(match[4]);
  }
  return undefined;
}

describe("the metrics", () => {
  test("every metric the issue asks for is exposed, with what was reported", async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.watchQueue({ stats: () => ({ waiting: 12, active: 3, delayed: 40, oldestWaitingMs: 2500 }) });
    metrics.delivery("pull_request.opened");
    metrics.delivery("pull_request.opened");
    metrics.deliveryRejected("pull_request_review.submitted", "queue");
    metrics.evaluated({ outcome: "decided", durationMs: 180 });
    metrics.check("written");
    metrics.check("skipped");
    metrics.check("skipped");
    metrics.answered({ installation: "77", method: "GET", status: 304, waitedMs: 0 });
    metrics.answered({ installation: "77", method: "POST", status: undefined, waitedMs: 500 });
    metrics.rateLimit("77", 4321, 5000);
    metrics.limited("77", { kind: "secondary", retryAfterMs: 60_000 });
    metrics.record("merge", "written");
    metrics.record("push", "failed");
    metrics.deliveryRejected("unverified", "busy");
    metrics.dropped("record-merge");
    metrics.refused("timer");
    const { body, contentType } = await metrics.render();
    expect(contentType).toContain("text/plain");
    expect(sample(body, "compliance_gate_deliveries_total", { event: "pull_request.opened" })).toBe(2);
    expect(sample(body, "compliance_gate_deliveries_rejected_total", { event: "pull_request_review.submitted", reason: "queue" })).toBe(1);
    expect(sample(body, "compliance_gate_queue_jobs", { state: "waiting" })).toBe(12);
    expect(sample(body, "compliance_gate_queue_jobs", { state: "active" })).toBe(3);
    expect(sample(body, "compliance_gate_queue_jobs", { state: "delayed" })).toBe(40);
    expect(sample(body, "compliance_gate_queue_oldest_waiting_seconds")).toBe(2.5);
    expect(sample(body, "compliance_gate_evaluation_duration_seconds_count", { outcome: "decided" })).toBe(1);
    expect(sample(body, "compliance_gate_evaluation_duration_seconds_bucket", { outcome: "decided", le: "0.25" })).toBe(1);
    expect(sample(body, "compliance_gate_evaluation_duration_seconds_bucket", { outcome: "decided", le: "0.1" })).toBe(0);
    expect(sample(body, "compliance_gate_checks_total", { result: "written" })).toBe(1);
    expect(sample(body, "compliance_gate_checks_total", { result: "skipped" })).toBe(2);
    expect(sample(body, "compliance_gate_checks_total", { result: "failed" })).toBe(0);
    expect(sample(body, "compliance_gate_github_requests_total", { method: "GET", status: "304" })).toBe(1);
    expect(sample(body, "compliance_gate_github_requests_total", { method: "POST", status: "none" })).toBe(1);
    expect(sample(body, "compliance_gate_github_pacing_wait_seconds_total")).toBe(0.5);
    expect(sample(body, "compliance_gate_github_rate_limit_remaining", { installation: "77" })).toBe(4321);
    expect(sample(body, "compliance_gate_github_rate_limit", { installation: "77" })).toBe(5000);
    expect(sample(body, "compliance_gate_github_rate_limited_total", { kind: "secondary" })).toBe(1);
    expect(sample(body, "compliance_gate_audit_records_total", { kind: "merge", result: "written" })).toBe(1);
    expect(sample(body, "compliance_gate_deliveries_rejected_total", { event: "unverified", reason: "busy" })).toBe(1);
    expect(sample(body, "compliance_gate_jobs_dropped_total", { kind: "record-merge" })).toBe(1);
    // Seen at zero before anything is dropped, so that an alert on its rise works from the start.
    expect(sample(body, "compliance_gate_jobs_dropped_total", { kind: "evaluate" })).toBe(0);
    expect(sample(body, "compliance_gate_queue_delayed_refused_total", { kind: "timer" })).toBe(1);
    expect(sample(body, "compliance_gate_queue_delayed_refused_total", { kind: "retry" })).toBe(0);
    expect(sample(body, "compliance_gate_audit_records_total", { kind: "push", result: "failed" })).toBe(1);
  });

  test("event labels are bounded: an event name or action that is not a plain word is 'other'", () => {
    expect(eventLabel("pull_request", "opened")).toBe("pull_request.opened");
    expect(eventLabel("push", undefined)).toBe("push");
    expect(eventLabel("x".repeat(100), "opened")).toBe("other.opened");
    expect(eventLabel("pull_request", "a b")).toBe("pull_request");
  });

  test("served at GET /metrics in Prometheus's format, with Node's process metrics; other paths are left to the next handler", async () => {
    const metrics = new Metrics();
    const route = serveMetrics(metrics);
    const server: Server = createServer((req, res) => {
      if (!route(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      const text = await response.text();
      expect(text).toContain("# TYPE compliance_gate_checks_total counter");
      expect(text).toContain("compliance_gate_process_resident_memory_bytes");
      expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a queue that cannot say how full it is makes the scrape answer 500 with a line, not a stack trace", async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.watchQueue({ stats: () => Promise.reject(new Error("Connection is closed.\n    at Redis.sendCommand")) });
    const written: { status?: number; body?: string } = {};
    let ended = (): void => undefined;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const res = { writeHead: (status: number) => ((written.status = status), res), end: (body: string) => ((written.body = body), ended()) };
    expect(serveMetrics(metrics)({ method: "GET", url: "/metrics" } as never, res as never)).toBe(true);
    await done;
    expect(written).toEqual({ status: 500, body: "metrics could not be collected: Connection is closed.\n" });
  });
});

describe("the app reports to them", () => {
  let github: FakeGitHub;
  let app: TestApp;
  useTestApp((g, a) => {
    github = g;
    app = a;
  });

  test("a delivery, its evaluation, the checks written, then the same facts again: skipped", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.warmEvaluation();
    await app.receive("pull_request", pullRequestEvent("labeled"));
    const { body } = await app.gate.metrics.render();
    expect(sample(body, "compliance_gate_deliveries_total", { event: "pull_request.opened" })).toBe(1);
    expect(sample(body, "compliance_gate_deliveries_total", { event: "pull_request.labeled" })).toBe(1);
    expect(sample(body, "compliance_gate_evaluation_duration_seconds_count", { outcome: "decided" })).toBe(2);
    expect(sample(body, "compliance_gate_checks_total", { result: "written" })).toBe(3);
    expect(sample(body, "compliance_gate_checks_total", { result: "skipped" })).toBe(3);
    // Counted at the client: 1 conditional read answered 304 on the first evaluation (the PR confirmed
    // after its lists), 2 on the second (the base tip, read once per evaluation, and the PR confirmed).
    expect(sample(body, "compliance_gate_github_requests_total", { method: "GET", status: "304" })).toBe(3);
    expect(sample(body, "compliance_gate_github_requests_total", { method: "POST", status: "201" })).toBe(3);
  });

  test("an evaluation GitHub asks to wait is deferred: counted so, nothing posted, run again after the wait", async () => {
    github.scope
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .reply(403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }, { "retry-after": "600" });
    await app.receive("pull_request", pullRequestEvent("opened"));
    const { body } = await app.gate.metrics.render();
    expect(sample(body, "compliance_gate_evaluation_duration_seconds_count", { outcome: "deferred" })).toBe(1);
    expect(sample(body, "compliance_gate_evaluation_duration_seconds_count", { outcome: "failed" })).toBeUndefined();
    expect(sample(body, "compliance_gate_github_rate_limited_total", { kind: "secondary" })).toBe(1);
    expect(github.checks).toEqual([]);
    // The evaluation waits in the queue for GitHub's 10 minutes.
    expect((await app.gate.later.stats()).delayed).toBe(1);
  });
});

test("one log line per evaluation names the delivery, the repository, the PR, each environment's state, the duration and the requests", async () => {
  const { log, lines } = capturingLogger();
  const github = new FakeGitHub().acceptChecks();
  const app = await startApp({ log });
  try {
    github.coldEvaluation();
    await app.deliveries.receive({ id: "delivery-1234", name: "pull_request", payload: pullRequestEvent("opened") });
    // The handler only queued the evaluation: its line is written once the queue is idle.
    await app.gate.later.idle();
    const line = lines.find((l) => l["msg"] === "evaluated acme/gitops#42");
    expect(line).toMatchObject({
      delivery: "delivery-1234",
      repository: "acme/gitops",
      pull_request: 42,
      environments: { production: "pending", staging: "not_affected" },
      duration_ms: expect.any(Number),
      // tip, folder, 2 blobs, the PR, files, reviews, commits, the PR again (304); 3 checks
      requests: { total: 12, writes: 3 },
    });
  } finally {
    (app.gate.later as InProcessLater).clear();
    github.close();
    nock.cleanAll();
  }
});
