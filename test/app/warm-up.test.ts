// The warm-up a replica runs before /readyz says ready (src/app/warm-up.ts): its deliveries go
// through the app's own HTTP server, signed, on as many connections as it is allowed; the handlers
// run on them, but what they ask for is never queued and no metric counts them; whatever fails,
// the warm-up ends.
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { jest } from "@jest/globals";
import pino from "pino";
import { DEFAULT_CONFIG } from "../../src/app/config.js";
import { Deliveries } from "../../src/app/deliveries.js";
import { complianceGate } from "../../src/app/gate.js";
import { InProcessLater } from "../../src/app/later.js";
import { Metrics } from "../../src/app/metrics.js";
import type { Job } from "../../src/app/ports.js";
import { REHEARSAL_OWNER, rehearsal } from "../../src/app/warm-up-payloads.js";
import { loopbackOf, Rehearsals, skippingRehearsals, warmUp } from "../../src/app/warm-up.js";
import { webhookServer, type Delivery } from "../../src/app/webhook-server.js";

const SECRET = "warm-up-secret";
const sign = async (body: string, secret = SECRET): Promise<string> => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Served {
  address: AddressInfo;
  received: { delivery: Delivery; known: boolean }[];
  maxInFlight: () => number;
  close: () => Promise<void>;
}

/** The app's server over a target that records each delivery (and whether it was a rehearsal's when it came), taking `handleMs` for each. */
async function serve(rehearsals: Rehearsals, handleMs = 2, secret = SECRET): Promise<Served> {
  const received: Served["received"] = [];
  let inFlight = 0;
  let max = 0;
  const { server } = webhookServer({
    log: pino({ level: "silent" }),
    target: {
      verify: async (body, signature) => signature === (await sign(body, secret)),
      receive: async (delivery) => {
        inFlight += 1;
        max = Math.max(max, inFlight);
        received.push({ delivery, known: rehearsals.has(delivery.id) });
        await new Promise((resolve) => setTimeout(resolve, handleMs));
        inFlight -= 1;
      },
      ready: async () => ({ queue: true, credentials: true }),
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: server.address() as AddressInfo,
    received,
    maxInFlight: () => max,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }), lines };
}

test("the warm-up's deliveries reach the app's server signed, with ids only the rehearsal knows (kept after, a bounded few), at most `concurrency` at once", async () => {
  const rehearsals = new Rehearsals();
  const served = await serve(rehearsals);
  const { log, lines } = capture();
  try {
    const done = await warmUp({ address: served.address, webhookPath: "/api/github/webhooks", sign, rehearsals, deliveries: 120, concurrency: 10, deadlineMs: 10_000, log });
    expect(done).toMatchObject({ accepted: 120, failed: 0 });
    expect(served.received).toHaveLength(120);
    // Every delivery was the rehearsal's while it was handled, each id its own, and still is after.
    expect(served.received.every((r) => r.known)).toBe(true);
    expect(new Set(served.received.map((r) => r.delivery.id)).size).toBe(120);
    expect(rehearsals.size).toBe(120);
    expect(served.received.every((r) => rehearsals.has(r.delivery.id))).toBe(true);
    expect(served.maxInFlight()).toBeGreaterThan(1);
    expect(served.maxInFlight()).toBeLessThanOrEqual(10);
    // The events a busy morning brings, about the rehearsal's repository.
    expect(new Set(served.received.map((r) => `${r.delivery.name}.${(r.delivery.payload as { action: string }).action}`))).toEqual(
      new Set(["pull_request.opened", "pull_request.synchronize", "pull_request.labeled", "pull_request.unlabeled", "pull_request_review.submitted"]),
    );
    expect(served.received.every((r) => (r.delivery.payload as { repository: { owner: { login: string } } }).repository.owner.login === REHEARSAL_OWNER)).toBe(true);
    expect(lines.find((l) => l["msg"] === "warmed up: the delivery path ran its rehearsal, nothing was queued")).toMatchObject({ level: 30, deliveries: 120 });
  } finally {
    await served.close();
  }
}, 20_000);

test("a warm-up the server refuses (another secret) ends, says why in a warning, and never throws", async () => {
  const rehearsals = new Rehearsals();
  const served = await serve(rehearsals, 0, "another-secret");
  const { log, lines } = capture();
  try {
    const done = await warmUp({ address: served.address, webhookPath: "/api/github/webhooks", sign, rehearsals, deliveries: 5, deadlineMs: 10_000, log });
    expect(done).toMatchObject({ accepted: 0, failed: 5, firstFailure: "answered 401" });
    expect(lines.find((l) => l["level"] === 40)).toMatchObject({ accepted: 0, failed: 5, unsent: 0, first_failure: "answered 401" });
  } finally {
    await served.close();
  }
}, 20_000);

test("nobody listening, aborted, or past its deadline: the warm-up ends without throwing, the rest unsent", async () => {
  const rehearsals = new Rehearsals();
  const { log } = capture();
  // Nobody listening: each delivery fails at once.
  const gone = await serve(rehearsals, 0);
  await gone.close();
  expect(await warmUp({ address: gone.address, webhookPath: "/", sign, rehearsals, deliveries: 3, concurrency: 1, deadlineMs: 5_000, log })).toMatchObject({ accepted: 0, failed: 3, firstFailure: expect.stringMatching(/ECONNREFUSED/) });

  // Aborted: no delivery after the abort.
  const served = await serve(rehearsals, 20);
  try {
    const abort = new AbortController();
    const warming = warmUp({ address: served.address, webhookPath: "/api/github/webhooks", sign, rehearsals, deliveries: 1000, concurrency: 2, deadlineMs: 10_000, log, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    const aborted = await warming;
    expect(aborted.accepted).toBeGreaterThan(0);
    expect(aborted.accepted + aborted.failed).toBeLessThan(50);

    // Past its deadline: the delivery under way is cut, none follows.
    const late = await warmUp({ address: served.address, webhookPath: "/api/github/webhooks", sign, rehearsals, deliveries: 1000, concurrency: 1, deadlineMs: 100, log });
    expect(late.accepted + late.failed).toBeLessThan(20);
    expect(late.firstFailure).toMatch(/^no answer within \d+ ms$/);
  } finally {
    await served.close();
  }
}, 20_000);

test("a wildcard address is reached on loopback, any other as it is", () => {
  expect(loopbackOf({ address: "0.0.0.0", family: "IPv4", port: 1 })).toBe("127.0.0.1");
  expect(loopbackOf({ address: "::", family: "IPv6", port: 1 })).toBe("::1");
  expect(loopbackOf({ address: "10.0.0.7", family: "IPv4", port: 1 })).toBe("10.0.0.7");
});

test("the handlers' queue drops what a rehearsal asks for (jobs, timers, retries) and passes everything else on", async () => {
  const rehearsals = new Rehearsals();
  const later = new InProcessLater({ clock: Date.now, log: pino({ level: "silent" }), slots: { interactive: 1, bulk: 1 } });
  const enqueue = jest.spyOn(later, "enqueue").mockResolvedValue(undefined);
  const at = jest.spyOn(later, "at").mockReturnValue(true);
  const retry = jest.spyOn(later, "retry").mockReturnValue(true);
  const asked = skippingRehearsals(later, rehearsals);
  const id = rehearsals.mint();
  const job = (deliveryId: string): Job => ({ kind: "evaluate", key: "k", payload: {}, log: { name: "event", id: deliveryId } });
  await asked.enqueue(job(id));
  expect(asked.at("t", job(id), 1)).toBe(false);
  expect(asked.retry("r", job(id), 1)).toBe(false);
  expect(enqueue).not.toHaveBeenCalled();
  expect(at).not.toHaveBeenCalled();
  expect(retry).not.toHaveBeenCalled();
  // GitHub's delivery, and a job without a delivery: queued.
  await asked.enqueue(job("a-github-delivery"));
  await asked.enqueue({ kind: "evaluate", key: "k", payload: {} });
  expect(asked.at("t", job("a-github-delivery"), 1)).toBe(true);
  expect(enqueue).toHaveBeenCalledTimes(2);
  expect(at).toHaveBeenCalledTimes(1);
});

test("the app's handlers run on every rehearsal delivery, queue nothing and count nothing; the same delivery from GitHub is queued and counted", async () => {
  const rehearsals = new Rehearsals();
  const later = new InProcessLater({ clock: Date.now, log: pino({ level: "silent" }), slots: { interactive: 1, bulk: 1 } });
  const queued: Job[] = [];
  jest.spyOn(later, "enqueue").mockImplementation(async (job) => void queued.push(job));
  const metrics = new Metrics({ processMetrics: false });
  const deliveries = new Deliveries(pino({ level: "silent" }));
  const auth = jest.fn(() => Promise.reject(new Error("no GitHub in this test")));
  const app = deliveries.appOf({ log: pino({ level: "silent" }), auth });
  // Every handler that a pull request's event reaches, the reconcile and enforcement ones too.
  complianceGate(app, { ...DEFAULT_CONFIG, enforceSweepIntervalMs: 0 }, { later, metrics, rehearsals, reconcileOnFirstEvent: true, enforceOnEvents: true });
  const handled = jest.fn();
  deliveries.onAny(handled);
  for (let i = 0; i < 100; i += 1) await deliveries.receive({ id: rehearsals.mint(), ...rehearsal(i) });
  expect(handled).toHaveBeenCalledTimes(100);
  expect(queued).toEqual([]);
  // No handler reached for GitHub on the deliveries' way.
  expect(auth).not.toHaveBeenCalled();
  expect(await metrics.registry.metrics()).not.toMatch(/^compliance_gate_deliveries_total\{/m);

  await deliveries.receive({ id: "github-1", ...rehearsal(0) });
  expect(queued.map((j) => j.kind).sort()).toEqual(["evaluate", "reconcile"]);
  expect(await metrics.registry.metrics()).toMatch(/^compliance_gate_deliveries_total\{event="pull_request\.opened"\} 1$/m);
  later.clear();
});

test("a delivery the warm-up gave up on (its deadline) and the server handles after: what it asks for is still dropped", async () => {
  const rehearsals = new Rehearsals();
  const underlying: Job[] = [];
  const later = new InProcessLater({ clock: Date.now, log: pino({ level: "silent" }), slots: { interactive: 1, bulk: 1 } });
  jest.spyOn(later, "enqueue").mockImplementation(async (job) => void underlying.push(job));
  const asked = skippingRehearsals(later, rehearsals);
  let handled = 0;
  const { server } = webhookServer({
    log: pino({ level: "silent" }),
    target: {
      verify: async (body, signature) => signature === (await sign(body)),
      // Slower than the warm-up's deadline: the handlers queue after the warm-up stopped waiting.
      receive: async (delivery) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await asked.enqueue({ kind: "evaluate", key: "k", payload: {}, log: { name: "event", id: delivery.id } });
        handled += 1;
      },
      ready: async () => ({ queue: true, credentials: true }),
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const done = await warmUp({ address: server.address() as AddressInfo, webhookPath: "/api/github/webhooks", sign, rehearsals, deliveries: 3, concurrency: 3, deadlineMs: 100, log: pino({ level: "silent" }) });
    expect(done.accepted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(handled).toBe(3);
    expect(underlying).toEqual([]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    later.clear();
  }
}, 20_000);

test("every job a delivery's handlers ask for names that delivery (what lets a rehearsal's be dropped), for every event GitHub documents an example of", async () => {
  const later = new InProcessLater({ clock: Date.now, log: pino({ level: "silent" }), slots: { interactive: 1, bulk: 1 } });
  let current = "";
  const wrong: string[] = [];
  let queued = 0;
  const record = (what: string, job: Job): void => {
    queued += 1;
    if (job.log?.["id"] !== current) wrong.push(`${current}: ${what} ${job.kind} ${JSON.stringify(job.log)}`);
  };
  jest.spyOn(later, "enqueue").mockImplementation(async (job) => record("enqueue", job));
  jest.spyOn(later, "at").mockImplementation((_key, job) => (record("at", job), true));
  jest.spyOn(later, "retry").mockImplementation((_key, job) => (record("retry", job), true));
  const deliveries = new Deliveries(pino({ level: "silent" }));
  const app = deliveries.appOf({ log: pino({ level: "silent" }), auth: () => Promise.reject(new Error("no GitHub in this test")) });
  complianceGate(app, { ...DEFAULT_CONFIG, appId: 1, enforceSweepIntervalMs: 0 }, { later, rehearsals: new Rehearsals(), reconcileOnFirstEvent: true, enforceOnEvents: true });
  let n = 0;
  for (const { name, examples } of EXAMPLES) {
    for (const example of examples) {
      current = `delivery-${(n += 1)}`;
      await deliveries.receive({ id: current, name, payload: structuredClone(example) }).catch(() => undefined);
    }
  }
  // The examples reach handlers that queue (pull requests, pushes, rulesets, deployments, …).
  expect(queued).toBeGreaterThan(20);
  expect(wrong).toEqual([]);
  later.clear();
});

interface Example {
  name: string;
  examples: (Record<string, unknown> & { action: string })[];
}
const EXAMPLES = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];

/** The field paths of `value` two levels deep (arrays by their first element), in order. */
function fieldsOf(value: unknown, path = "", depth = 2): string[] {
  if (Array.isArray(value)) return value.length > 0 ? fieldsOf(value[0], `${path}[]`, depth) : [];
  if (value === null || typeof value !== "object" || depth === 0) return [];
  return Object.entries(value).flatMap(([key, inner]) => [`${path}.${key}`, ...fieldsOf(inner, `${path}.${key}`, depth - 1)]);
}

test.each([
  [0, "pull_request", "opened"],
  [20, "pull_request", "synchronize"],
  [40, "pull_request", "labeled"],
  [60, "pull_request_review", "submitted"],
  [80, "pull_request", "unlabeled"],
])("rehearsal %i is a %s.%s shaped as GitHub's: its example's fields (two levels deep) are there, and it is as large", (index, name, action) => {
  const ours = rehearsal(index);
  expect(ours).toMatchObject({ name, payload: { action } });
  const example = EXAMPLES.find((d) => d.name === name)?.examples.find((e) => e.action === action);
  if (!example) throw new Error(`no example of ${name}.${action}`);
  // Those of an organization's repository, and lists this example has items in, aside.
  const theirs = fieldsOf(example).filter((f) => !/^\.(enterprise|organization)(\.|$)/.test(f) && !/\[\]/.test(f));
  const mine = fieldsOf(ours.payload);
  expect(theirs.filter((f) => !mine.includes(f))).toEqual([]);
  // The top level in GitHub's order (JSON.parse gives objects of one shape their hidden class by it).
  const top = Object.keys(example).filter((k) => k in ours.payload);
  expect(Object.keys(ours.payload).filter((k) => k in example)).toEqual(top);
  const size = JSON.stringify(ours.payload).length;
  expect(size).toBeGreaterThan(0.6 * JSON.stringify(example).length);
  expect(size).toBeLessThan(2 * JSON.stringify(example).length);
});
