// The contract of Later, held by both queues: in this process, and in a real Redis (BullMQ). One key
// never runs twice at once and what arrives meanwhile folds into one more run; interactive work goes
// ahead of bulk work; a job that throws, or asks to wait, runs again, and one that keeps throwing is
// dropped and reported (later for a kind that keeps trying); retries and timers fire once, the
// newest replacing the older; a cancelled one never runs.
import { jest } from "@jest/globals";
import pino from "pino";
import { InProcessLater } from "../../src/app/later.js";
import { RetryLater, type Job } from "../../src/app/ports.js";
import { LeaseLost, type AppLater, type Lease } from "../../src/app/queue/jobs.js";
import { RedisLater } from "../../src/app/queue/redis-later.js";
import { eventually, sharedRedis, uniquePrefix } from "../support/redis.js";
import { capturingLogger } from "./helpers.js";

const log = pino({ level: "silent" });
// Real Redis and real time: generous under a loaded CI machine; each test takes about a second.
jest.setTimeout(20_000);
const SLOTS = { interactive: 3, bulk: 1 };
// A kind that keeps trying runs 4 times more after its backoff: every 50 ms until 500 ms have passed.
const FAST = { retryDelaysMs: [150, 300], failureDelaysMs: [100, 200], keepTrying: { everyMs: 50, forMs: 500 } };

type Made = { later: AppLater; close: () => Promise<void> };
/** What a test may set besides: a run deadline, and a logger whose lines it reads. */
type Extra = { runDeadlineMs?: number; log?: typeof log };

let redis: { url: string; close: () => Promise<void> } | undefined;
beforeAll(async () => {
  redis = await sharedRedis();
});
afterAll(async () => redis?.close());

const kinds: [string, (extra?: Extra) => Made][] = [
  [
    "in process",
    (extra = {}) => {
      const later = new InProcessLater({ clock: Date.now, log, slots: SLOTS, ...FAST, ...extra });
      return { later, close: () => later.close(0) };
    },
  ],
  [
    "in Redis",
    (extra = {}) => {
      const later = new RedisLater({ url: (redis as { url: string }).url, log, slots: SLOTS, prefix: uniquePrefix(), leaseMs: 2_000, stalledIntervalMs: 1_000, ...FAST, ...extra });
      return { later, close: () => later.close(1_000) };
    },
  ],
];

const job = (key: string, payload: Record<string, unknown>, priority?: "bulk"): Job => ({ kind: "work", key, payload, ...(priority ? { priority } : {}) });

describe.each(kinds)("Later %s", (_name, make) => {
  let made: Made;
  const runs: { key: string; payload: Record<string, unknown> }[] = [];
  let running = new Map<string, number>();
  let overlapped = false;
  let hold: Promise<void> | undefined;

  beforeEach(async () => {
    runs.length = 0;
    running = new Map();
    overlapped = false;
    hold = undefined;
    made = make();
    made.later.handle("work", {
      run: async (j) => {
        const now = (running.get(j.key) ?? 0) + 1;
        running.set(j.key, now);
        if (now > 1) overlapped = true;
        runs.push({ key: j.key, payload: j.payload as Record<string, unknown> });
        try {
          await hold;
        } finally {
          running.set(j.key, (running.get(j.key) ?? 1) - 1);
        }
      },
      merge: (pending, newer) => ({ ...newer, payload: { seen: [...((pending.payload as { seen: string[] }).seen ?? []), ...((newer.payload as { seen: string[] }).seen ?? [])], forced: Boolean((pending.payload as { forced?: boolean }).forced) || Boolean((newer.payload as { forced?: boolean }).forced) } }),
    });
    await made.later.start();
  });
  afterEach(async () => made.later.close(0));

  test("one key runs once at a time; jobs that arrive while it runs fold into exactly one more run", async () => {
    let release = (): void => undefined;
    hold = new Promise((resolve) => (release = resolve));
    await made.later.enqueue(job("pr#1", { seen: ["opened"] }));
    await eventually("the first run", () => (runs.length === 1 ? true : undefined));
    for (const e of ["labeled", "review", "synchronize"]) await made.later.enqueue(job("pr#1", { seen: [e], forced: e === "review" }));
    release();
    await made.later.idle();
    expect(overlapped).toBe(false);
    expect(runs.map((r) => r.payload)).toEqual([{ seen: ["opened"] }, { seen: ["labeled", "review", "synchronize"], forced: true }]);
  });

  test("bulk work runs in its own few slots; interactive work is not held behind it", async () => {
    let release = (): void => undefined;
    hold = new Promise((resolve) => (release = resolve));
    for (const n of [1, 2, 3]) await made.later.enqueue(job(`bulk#${n}`, { seen: [] }, "bulk"));
    await made.later.enqueue(job("person#1", { seen: [] }));
    await eventually("the interactive run", () => (runs.some((r) => r.key === "person#1") ? true : undefined));
    // One bulk slot: one bulk run started, the other two wait; the person's run started anyway.
    expect(runs.filter((r) => r.key.startsWith("bulk")).length).toBe(1);
    release();
    await made.later.idle();
    expect(runs.map((r) => r.key).sort()).toEqual(["bulk#1", "bulk#2", "bulk#3", "person#1"]);
  });

  test("a job that throws runs again after its backoff; one that asks to wait runs again after the wait", async () => {
    let throws = 1;
    let waits = 1;
    made.later.handle("flaky", {
      run: async (j) => {
        runs.push({ key: j.key, payload: j.payload as Record<string, unknown> });
        if (throws-- > 0) throw new Error("no installation token");
        if (waits-- > 0) throw new RetryLater("secondary rate limit", 200, { ...j, payload: { waited: true } });
      },
    });
    await made.later.enqueue({ kind: "flaky", key: "pr#2", payload: { waited: false } });
    await eventually("three runs", () => (runs.length >= 3 ? true : undefined));
    await made.later.idle();
    expect(runs.map((r) => r.payload)).toEqual([{ waited: false }, { waited: false }, { waited: true }]);
  });

  test("a job that keeps throwing is dropped after its backoff, and reported; a kind that keeps trying runs on past it, then is dropped too", async () => {
    const dropped: string[] = [];
    made.later.observe({ dropped: (kind) => void dropped.push(kind), refused: () => undefined });
    const tries = { broken: 0, stubborn: 0 };
    made.later.handle("broken", {
      run: async () => {
        tries.broken += 1;
        throw new Error("no installation token");
      },
    });
    made.later.handle("stubborn", {
      keepTrying: true,
      run: async () => {
        tries.stubborn += 1;
        throw new Error("no installation token");
      },
    });
    await made.later.enqueue({ kind: "broken", key: "pr#3", payload: {} });
    await made.later.enqueue({ kind: "stubborn", key: "pr#4", payload: {} });
    await eventually("both dropped", () => (dropped.length === 2 ? true : undefined));
    await made.later.idle();
    expect(dropped.sort()).toEqual(["broken", "stubborn"]);
    // The first run and two retries; a kind that keeps trying, four more.
    expect(tries).toEqual({ broken: 3, stubborn: 7 });
  });

  test("a retry runs after its backoff, once; a newer one replaces it; a cancelled one never runs", async () => {
    expect(made.later.retry("retry:a", job("a", { seen: ["first"] }), 1)).toBe(true);
    expect(made.later.retry("retry:a", job("a", { seen: ["second"] }), 2)).toBe(true);
    expect(made.later.pendingRetry("retry:a")).toBe(2);
    expect(made.later.retry("retry:b", job("b", { seen: [] }), 3)).toBe(false);
    made.later.retry("retry:c", job("c", { seen: [] }), 1);
    made.later.cancelRetry("retry:c");
    await eventually("the retry", () => (runs.length >= 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await made.later.idle();
    expect(runs).toEqual([{ key: "a", payload: { seen: ["second"] } }]);
  });

  test("timers fire once at their time; cancelling a PR's cancels its merge groups' too, and nothing else", async () => {
    const at = Date.now() + 200;
    for (const key of ["acme/gitops#42", "acme/gitops#42@abc", "acme/gitops#420"]) made.later.at(key, job(key, { seen: [key] }), at);
    made.later.at("acme/gitops#7", job("acme/gitops#7", { seen: ["old"] }), at);
    made.later.at("acme/gitops#7", job("acme/gitops#7", { seen: ["new"] }), at + 50);
    made.later.cancelTimer("acme/gitops#42", true);
    await eventually("two timers", () => (runs.length >= 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await made.later.idle();
    expect(runs.map((r) => r.payload).sort((a, b) => String(a["seen"]).localeCompare(String(b["seen"])))).toEqual([{ seen: ["acme/gitops#420"] }, { seen: ["new"] }]);
    expect((await made.later.stats()).delayed).toBe(0);
  });

  test("a run that never settles is abandoned past its deadline: its slot is freed, its later writes are refused, it fails (logged as an error) and runs again after the failure delay", async () => {
    const captured = capturingLogger();
    const own = make({ runDeadlineMs: 300, log: captured.log });
    const runs: number[] = [];
    let hung: Lease | undefined;
    own.later.handle("hangs", {
      run: async (_j, lease) => {
        runs.push(runs.length + 1);
        if (runs.length > 1) return;
        hung = lease;
        await new Promise<never>(() => undefined); // never settles
      },
    });
    try {
      await own.later.start();
      await own.later.enqueue({ kind: "hangs", key: "pr#9", payload: {} });
      await eventually("the run after the abandoned one", () => (runs.length === 2 ? true : undefined), 10_000);
      await own.later.idle();
      expect((await own.later.stats()).active).toBe(0);
      // The abandoned run goes on (nothing can stop it), but it writes nothing more.
      expect(await (hung as Lease).assertHeld().then(() => "held", (error: unknown) => error)).toBeInstanceOf(LeaseLost);
      const failed = captured.lines.filter((line) => line["msg"] === "a job could not run: trying again later");
      expect(failed.map((line) => [line["level"], line["job"], line["attempt"]])).toEqual([[50, "hangs", 1]]);
      expect(String((failed[0]?.["err"] as { message?: unknown } | undefined)?.message)).toMatch(/did not settle within 300 ms: abandoned/);
    } finally {
      await own.close();
    }
  });

  test("a kind whose handler sets its own deadline (an enforcement sweep of every repository) runs past the queue's", async () => {
    const captured = capturingLogger();
    const own = make({ runDeadlineMs: 100, log: captured.log });
    const done: string[] = [];
    own.later.handle("sweep", {
      run: async (j) => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        done.push(j.key);
      },
      deadlineMs: 5_000,
    });
    try {
      await own.later.start();
      await own.later.enqueue({ kind: "sweep", key: "sweep#1", payload: {} });
      await eventually("the sweep done", () => (done.length === 1 ? true : undefined), 10_000);
      await own.later.idle();
      expect(done).toEqual(["sweep#1"]);
      expect(captured.lines.filter((line) => line["msg"] === "a job could not run: trying again later")).toEqual([]);
    } finally {
      await own.close();
    }
  });
});
