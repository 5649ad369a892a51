// The queue in Redis across replicas and faults: two queues on one Redis never run one key at once
// and fire each timer once; a replica that dies mid-run hands its run to another; a run that lost
// its lease writes nothing; while Redis is down nothing is accepted (503) and nothing crashes, and
// what was accepted before still runs once Redis is back; Redis losing what it held (or perhaps its
// last writes) makes one replica queue the start-up sweep, once.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import pino from "pino";
import type { Job } from "../../src/app/ports.js";
import { LeaseLost, type JobHandler } from "../../src/app/queue/jobs.js";
import { RedisLater } from "../../src/app/queue/redis-later.js";
import { OWN_BATCHES } from "../../src/app/queue/redis-options.js";
import { QueueUnavailable, RetryLater } from "../../src/app/ports.js";
import { STARTUP_SWEEP_JOB } from "../../src/app/startup-sweep.js";
import { eventually, RedisServer, uniquePrefix } from "../support/redis.js";

const log = pino({ level: "silent" });
describe("the queue in Redis", () => {
  let server: RedisServer;
  const made: RedisLater[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((later) => later.close(0).catch(() => undefined)));
  });
  afterAll(async () => server.close());

  /** A replica's queue: short leases, so a dead one is found in about a second. */
  async function replica(prefix: string, handler: JobHandler, slots = { interactive: 4, bulk: 2 }): Promise<RedisLater> {
    const later = new RedisLater({ url: server.url, log, slots, prefix, leaseMs: 1_000, stalledIntervalMs: 300, failureDelaysMs: [100] });
    later.handle("work", handler);
    await later.start();
    made.push(later);
    return later;
  }

  test("a busy installation holds at most its share of a replica's slots: another's job starts while its runs wait", async () => {
    const prefix = uniquePrefix();
    let release = (): void => undefined;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const running = new Map<number, number>();
    let most = 0;
    const later = await replica(prefix, {
      run: async (job) => {
        const id = job.installationId as number;
        running.set(id, (running.get(id) ?? 0) + 1);
        most = Math.max(most, running.get(1) ?? 0);
        if (id === 1 && !job.key.startsWith("warm")) await hold;
        running.set(id, (running.get(id) ?? 1) - 1);
      },
    });
    try {
      // Runs ending with room at GitHub (no pacer here) raise the installation's limit from START_LIMIT to its share.
      for (let n = 1; n <= 3; n += 1) await later.enqueue({ kind: "work", key: `warm#${n}`, installationId: 1, payload: {} });
      await later.idle();
      for (let n = 1; n <= 6; n += 1) await later.enqueue({ kind: "work", key: `busy#${n}`, installationId: 1, payload: {} });
      await eventually("the busy installation's share running", () => ((running.get(1) ?? 0) >= 3 ? true : undefined));
      await later.enqueue({ kind: "work", key: "quiet#1", installationId: 2, payload: {} });
      await eventually("the other installation's job", () => (running.has(2) ? true : undefined), 5_000);
      // Four interactive slots: the busy one has three of them, never the fourth.
      expect(most).toBe(3);
    } finally {
      release();
    }
    await later.idle();
  }, 20_000);

  test("a review arriving behind its installation's backlog runs at one of the next two runs, not after the backlog", async () => {
    const prefix = uniquePrefix();
    const order: string[] = [];
    let release = (): void => undefined;
    const hold = new Promise<void>((resolve) => (release = resolve));
    // One slot: the installation's runs go one at a time, in the tickets' order but for fresh keys.
    const run: JobHandler["run"] = async (job) => {
      order.push(job.key);
      if (job.key === "busy#1") await hold;
    };
    const later = await replica(prefix, { run }, { interactive: 1, bulk: 1 });
    await later.enqueue({ kind: "work", key: "busy#1", installationId: 1, payload: {} });
    await eventually("the first run", () => (order.length > 0 ? true : undefined));
    for (let n = 2; n <= 8; n += 1) await later.enqueue({ kind: "work", key: `busy#${n}`, installationId: 1, payload: {} });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await later.enqueue({ kind: "work", key: "review", installationId: 1, payload: {} });
    release();
    await eventually("every run", () => (order.length === 9 ? true : undefined));
    await later.idle();
    // First come, first served would run it last (ninth); the first ticket took itself as fresh.
    expect(order.indexOf("review")).toBeLessThanOrEqual(2);
    expect(new Set(order).size).toBe(9);
  }, 20_000);

  test("a key flooded with events does not hold the slot: a ticket runs a few batches of it, and another key runs meanwhile", async () => {
    const prefix = uniquePrefix();
    const order: string[] = [];
    let release = (): void => undefined;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const later: RedisLater = await replica(
      prefix,
      {
        run: async (job) => {
          order.push(job.key);
          if (job.key !== "flooded") return;
          if (order.length === 1) await hold;
          // Someone labels the PR again on every run of it (up to 30 times).
          if (order.filter((k) => k === "flooded").length < 30) await later.enqueue({ kind: "work", key: "flooded", installationId: 1, payload: {} });
        },
      },
      { interactive: 1, bulk: 1 },
    );
    await later.enqueue({ kind: "work", key: "flooded", installationId: 1, payload: {} });
    await eventually("the first run", () => (order.length > 0 ? true : undefined));
    await later.enqueue({ kind: "work", key: "other", installationId: 1, payload: {} });
    release();
    await eventually("the other key's run", () => (order.includes("other") ? true : undefined), 15_000);
    // Draining the flooded key until nothing waited would run it 30 times first. Its ticket runs it at
    // most OWN_BATCHES times in a row; the other key's ticket may first run it once more, as fresh.
    expect(order.indexOf("other")).toBeLessThanOrEqual(OWN_BATCHES + 1);
    await eventually("every run", () => (order.filter((k) => k === "flooded").length === 30 ? true : undefined), 15_000);
    await later.idle();
  }, 30_000);

  test("a ticket that finds its key held by another run comes back while the key has work: nothing queued meanwhile is left", async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(server.url);
    const ran: unknown[] = [];
    try {
      const later = await replica(prefix, { run: async (job) => void ran.push(job.payload) });
      // Another replica's run holds the key (for 1.5 s more), and ends without taking this job.
      await redis.set(`${prefix}:lease:acme/gitops#9`, "ticket:elsewhere#1", "PX", 1_500);
      await later.enqueue({ kind: "work", key: "acme/gitops#9", payload: ["review"] });
      await eventually("the job, once the key is free", () => (ran.length > 0 ? true : undefined), 10_000);
      expect(ran).toEqual([["review"]]);
      await later.idle();
    } finally {
      redis.disconnect();
    }
  }, 20_000);

  test("tickets of a key held elsewhere: one waits, the others come back less often; one run takes every job; a waiter that is gone is replaced", async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(server.url);
    const ran: unknown[] = [];
    try {
      const later = await replica(prefix, { run: async (job) => void ran.push(job.payload) }, { interactive: 1, bulk: 1 });
      const key = "acme/gitops#11";
      await redis.set(`${prefix}:lease:${key}`, "ticket:elsewhere#1", "PX", 1_500);
      for (let n = 1; n <= 5; n += 1) await later.enqueue({ kind: "work", key, payload: [`event ${n}`] });
      await eventually("a waiter", async () => ((await redis.get(`${prefix}:waiter:${key}`)) !== null ? true : undefined));
      await eventually("the jobs, once the key is free", () => (ran.length > 0 ? true : undefined), 10_000);
      await later.idle();
      expect(ran).toHaveLength(1); // one run for all five (this test's kind keeps the last payload)
      // A waiter whose ticket is gone (its replica died): another ticket takes its place once it is due.
      await redis.set(`${prefix}:waiter:${key}`, "ticket:interactive:999", "PX", 2_000);
      await redis.set(`${prefix}:lease:${key}`, "ticket:elsewhere#2", "PX", 1_000);
      await later.enqueue({ kind: "work", key, payload: ["event 6"] });
      await eventually("the later job", () => (ran.length === 2 ? true : undefined), 15_000);
      expect(ran[1]).toEqual(["event 6"]);
      await later.idle();
    } finally {
      redis.disconnect();
    }
  }, 30_000);

  test("after Redis lost data, the sweep leaves a PR whose run began since (Redis's clock, with a margin), not one run before or one merely waiting", async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(server.url);
    try {
      const later = await replica(prefix, { run: async () => undefined });
      const [seconds] = await redis.time();
      const lostAt = Number(seconds) * 1000 - 60_000;
      await redis.set(`${prefix}:lost-at`, String(lostAt));
      await later.enqueue({ kind: "work", key: "acme/gitops#1", payload: [] });
      await later.idle();
      await redis.set(`${prefix}:ran:acme/gitops#2`, String(lostAt - 1_000)); // its run began before the loss
      await redis.set(`${prefix}:ran:acme/gitops#3`, String(lostAt + 1_000)); // within the clocks' margin
      // A job waiting is not enough: a failover may have kept it and lost its ticket.
      await redis.rpush(`${prefix}:pending:acme/gitops#4`, JSON.stringify({ kind: "work", key: "acme/gitops#4", payload: [] }));
      const covered = await Promise.all([1, 2, 3, 4, 5].map((n) => later.coveredSinceStart(`acme/gitops#${n}`)));
      expect(covered).toEqual([true, false, false, false, false]);
      await redis.del(`${prefix}:lost-at`); // no loss known: nothing is covered, and runs note nothing
      expect(await later.coveredSinceStart("acme/gitops#1")).toBe(false);
      await redis.del(`${prefix}:ran:acme/gitops#1`, `${prefix}:pending:acme/gitops#4`);
      await later.enqueue({ kind: "work", key: "acme/gitops#1", payload: [] });
      await later.idle();
      expect(await redis.exists(`${prefix}:ran:acme/gitops#1`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 20_000);

  test("two replicas: jobs of one key never run at once, every job runs, a burst folds into few runs", async () => {
    const prefix = uniquePrefix();
    const seen: string[] = [];
    let running = 0;
    let overlapped = false;
    const handler: JobHandler = {
      run: async (job) => {
        running += 1;
        if (running > 1) overlapped = true;
        await new Promise((resolve) => setTimeout(resolve, 30));
        seen.push(...(job.payload as string[]));
        running -= 1;
      },
      merge: (pending, newer) => ({ ...newer, payload: [...(pending.payload as string[]), ...(newer.payload as string[])] }),
    };
    const [a, b] = [await replica(prefix, handler), await replica(prefix, handler)];
    const events = Array.from({ length: 40 }, (_, i) => `e${i}`);
    // Split across the replicas as a load balancer would.
    await Promise.all(events.map((e, i) => (i % 2 === 0 ? a : b).enqueue({ kind: "work", key: "acme/gitops#1", payload: [e] })));
    await a.idle();
    expect(overlapped).toBe(false);
    expect([...seen].sort()).toEqual([...events].sort());
  }, 20_000);

  test("two replicas set the same timer: it fires once", async () => {
    const prefix = uniquePrefix();
    let fired = 0;
    const handler: JobHandler = { run: async () => void (fired += 1) };
    const [a, b] = [await replica(prefix, handler), await replica(prefix, handler)];
    const job: Job = { kind: "work", key: "enforce-sweep", payload: {} };
    a.at("enforce-sweep", job, Date.now() + 200);
    b.at("enforce-sweep", job, Date.now() + 250);
    await eventually("the sweep", () => (fired > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await a.idle();
    expect(fired).toBe(1);
  }, 20_000);

  test("a replica killed mid-run (SIGKILL): another runs the job once the lease expires", async () => {
    const prefix = uniquePrefix();
    // A replica of its own process (the built queue, as npm start runs it), killed while it runs the job.
    const script = `
      import { RedisLater } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "lib/app/queue/redis-later.js")).href)};
      import pino from "pino";
      const later = new RedisLater({ url: ${JSON.stringify(server.url)}, log: pino({ level: "silent" }), slots: { interactive: 2, bulk: 1 }, prefix: ${JSON.stringify(prefix)}, leaseMs: 1000, stalledIntervalMs: 300 });
      later.handle("work", { run: async () => { console.log("running"); await new Promise(() => undefined); } });
      await later.start();
      await later.enqueue({ kind: "work", key: "acme/gitops#2", payload: ["approved"] });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("running") && resolve()));
    child.kill("SIGKILL");
    const ran: unknown[] = [];
    const b = await replica(prefix, { run: async (job) => void ran.push(job.payload) });
    await eventually("the job on the other replica", () => (ran.length > 0 ? true : undefined), 15_000);
    expect(ran).toEqual([["approved"]]);
    await b.idle();
  }, 30_000);

  test("a run that lost its lease (it stalled past it, and another took the key) is refused every write", async () => {
    const prefix = uniquePrefix();
    let outcome: unknown;
    let started = (): void => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const a = await replica(prefix, {
      run: async (_job, lease) => {
        await lease.assertHeld();
        started();
        await held;
        outcome = await lease.assertHeld().then(() => "written", (error: unknown) => error);
      },
    });
    const redis = new Redis(server.url);
    try {
      await a.enqueue({ kind: "work", key: "acme/gitops#4", payload: [] });
      await running;
      await redis.set(`${prefix}:lease:acme/gitops#4`, "another replica's run");
      release();
      await eventually("the run's last write", () => outcome);
      expect(outcome).toBeInstanceOf(LeaseLost);
    } finally {
      redis.disconnect();
    }
  }, 20_000);

  test("a run whose lease expired, with no other run taking its key, runs what it took again rather than leaving it", async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(server.url);
    const runs: boolean[] = [];
    await replica(prefix, {
      run: async (_job, lease) => {
        // The first run stalls past its lease: the key is free, and nobody else has a ticket for it.
        if (runs.length === 0) await redis.del(`${prefix}:lease:acme/gitops#6`);
        runs.push(await lease.assertHeld().then(() => true, () => false));
      },
    }).then((later) => later.enqueue({ kind: "work", key: "acme/gitops#6", payload: [] }));
    try {
      await eventually("the job run again, holding its key", () => (runs.includes(true) ? true : undefined), 15_000);
      expect(runs).toEqual([false, true]);
    } finally {
      redis.disconnect();
    }
  }, 20_000);

  test("a run past its deadline lets its key go at once (its lease released, not left to expire): the PR's next event runs while the abandoned run still hangs", async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(server.url);
    const key = "acme/gitops#13";
    const later = new RedisLater({ url: server.url, log, slots: { interactive: 1, bulk: 1 }, prefix, leaseMs: 30_000, stalledIntervalMs: 300, failureDelaysMs: [60_000], runDeadlineMs: 300 });
    made.push(later);
    const runs: unknown[] = [];
    later.handle("work", {
      run: async (job) => {
        runs.push(job.payload);
        if (runs.length === 1) await new Promise<never>(() => undefined);
      },
    });
    try {
      await later.start();
      await later.enqueue({ kind: "work", key, payload: ["hangs"] });
      await eventually("the run abandoned, its failure's backoff set", async () => ((await redis.hexists(`${prefix}:delayed`, `wait|${key}`)) === 1 ? true : undefined), 10_000);
      await eventually("the lease let go", async () => ((await redis.exists(`${prefix}:lease:${key}`)) === 0 ? true : undefined), 2_000);
      // One slot, a 30 s lease, the backoff a minute away: the next event runs only because the slot and the key are free.
      await later.enqueue({ kind: "work", key, payload: ["next event"] });
      await eventually("the next event's run", () => (runs.length === 2 ? true : undefined), 5_000);
      expect(runs).toEqual([["hangs"], ["next event"]]);
      expect(await redis.llen(`${prefix}:running:${key}`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 20_000);

  test("past the bound of delayed entries a new timer or retry is refused and counted; a wait or a failure's backoff of a job already held is still set", async () => {
    const later = new RedisLater({ url: server.url, log, slots: { interactive: 2, bulk: 1 }, prefix: uniquePrefix(), leaseMs: 1_000, stalledIntervalMs: 300, failureDelaysMs: [100], maxDelayed: 2 });
    made.push(later);
    const refused: string[] = [];
    later.observe({ dropped: () => undefined, refused: (what) => void refused.push(what) });
    const runs: string[] = [];
    later.handle("work", {
      run: async (job) => {
        runs.push(job.key);
        const first = runs.filter((key) => key === job.key).length === 1;
        if (first && job.key === "waits") throw new RetryLater("secondary rate limit", 100);
        if (first && job.key === "fails") throw new Error("no installation token");
      },
    });
    await later.start();
    const job = (key: string): Job => ({ kind: "work", key, payload: {} });
    // Two timers an hour away fill the bound.
    later.at("a", job("a"), Date.now() + 3_600_000);
    later.at("b", job("b"), Date.now() + 3_600_000);
    await eventually("two entries", async () => ((await later.stats()).delayed === 2 ? true : undefined));
    later.at("c", job("c"), Date.now() + 100);
    later.retry("retry:d", job("d"), 1);
    await eventually("both refused", () => (refused.length === 2 ? true : undefined));
    expect(refused.sort()).toEqual(["retry", "timer"]);
    // Jobs the queue took: their wait and their backoff are set all the same, and they run again.
    await later.enqueue(job("waits"));
    await later.enqueue(job("fails"));
    await eventually("both run twice", () => (runs.filter((key) => key === "waits").length === 2 && runs.filter((key) => key === "fails").length === 2 ? true : undefined));
    expect(runs).not.toContain("c");
    expect(refused).toHaveLength(2);
  }, 20_000);

  test("Redis stopped: jobs are refused at once and the queue is not ready; restarted: accepted ones run, new ones are taken", async () => {
    const prefix = uniquePrefix();
    const ran: string[] = [];
    const later = await replica(prefix, { run: async (job) => void ran.push(...(job.payload as string[])) });
    // Keys of their own: jobs of one key fold into one run, the newer replacing the older.
    await later.enqueue({ kind: "work", key: "acme/gitops#3", payload: ["before"] });
    await server.stop();
    await eventually("not ready", async () => ((await later.ready()) ? undefined : true));
    const refused = await later.enqueue({ kind: "work", key: "acme/gitops#3", payload: ["during"] }).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueUnavailable);
    await server.start();
    await eventually("ready again", async () => ((await later.ready()) ? true : undefined), 15_000);
    await later.enqueue({ kind: "work", key: "acme/gitops#5", payload: ["after"] });
    await eventually("both runs", () => (ran.includes("after") ? true : undefined), 15_000);
    expect(ran).toContain("before");
    expect(ran).not.toContain("during");
  }, 30_000);
});

describe("Redis losing what it held", () => {
  let lossy: RedisServer;
  const made: RedisLater[] = [];
  beforeAll(async () => {
    lossy = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(made.map((later) => later.close(0).catch(() => undefined)));
    await lossy.close();
  });
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1_000));

  test("one replica sweeps when the marker is missing (first start, Redis emptied) or Redis restarted; a later start or a dropped connection sweeps nothing", async () => {
    const prefix = uniquePrefix();
    const sweeps: string[] = [];
    const replica = async (name: string): Promise<RedisLater> => {
      const later = new RedisLater({ url: lossy.url, log, slots: { interactive: 2, bulk: 1 }, prefix, leaseMs: 1_000, stalledIntervalMs: 300, recoveryAfterMs: 0 });
      made.push(later);
      later.handle(STARTUP_SWEEP_JOB.kind, { run: async () => void sweeps.push(name) });
      later.recoverWith(STARTUP_SWEEP_JOB);
      await later.start();
      return later;
    };
    const sweepsBecome = async (count: number): Promise<void> => {
      await eventually(`sweep ${count}`, () => (sweeps.length >= count ? true : undefined), 20_000);
      await settle();
      expect(sweeps).toHaveLength(count);
    };
    // Two replicas start at once on a Redis without the marker: one of them sweeps.
    const before = Date.now();
    await Promise.all([replica("a"), replica("b")]);
    await sweepsBecome(1);
    // When it was found is kept: runs since then cover their PRs in the sweep (coveredSinceStart).
    const noted = new Redis(lossy.url);
    try {
      expect(Number(await noted.get(`${prefix}:lost-at`))).toBeGreaterThanOrEqual(before);
    } finally {
      noted.disconnect();
    }
    // A third starts later: the marker is there, Redis is the same run.
    await replica("c");
    await settle();
    expect(sweeps).toHaveLength(1);
    // Every connection dropped (a network blip): same Redis, same data; nothing to sweep.
    const admin = new Redis(lossy.url);
    try {
      await admin.client("KILL", "TYPE", "normal");
    } finally {
      admin.disconnect();
    }
    await settle();
    expect(sweeps).toHaveLength(1);
    // Restarted with its data (its run_id changed: the last second of writes may be gone): one sweep.
    await lossy.stop();
    await lossy.start();
    await sweepsBecome(2);
    // Restarted empty (no persistence): every job is gone, and so is the marker: one sweep.
    await lossy.restartEmpty();
    await sweepsBecome(3);
  }, 90_000);
});
