// What replicas share through a real Redis: the pacer's budgets, slots and pauses, and what this
// app last wrote on each check. Two connections stand for two replicas.
import { CheckMemory, GitHubCheckRuns } from "../../src/github/check-runs.js";
import { GitHubSession } from "../../src/github/client.js";
import { MemoryPacingStore, type Budget } from "../../src/github/pacing-store.js";
import { RedisCheckStore, RedisPacingStore } from "../../src/github/redis-stores.js";
import { startTestRedis, type TestRedis } from "../support/redis.js";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
}, 20_000);
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  await redis.flush();
});

/** Writes 10 s apart: real time passing during the test (milliseconds) is negligible against it. */
const WRITE: Budget[] = [{ name: "writes", capacity: 1, intervalMs: 10_000, cost: 1 }];
const waitOf = (r: { waitMs: number } | { pausedMs: number }): number => ("waitMs" in r ? r.waitMs : Number.NaN);

test("two replicas reserving writes of one installation get one spacing between them: the budget is shared", async () => {
  const a = new RedisPacingStore(redis.connect());
  const b = new RedisPacingStore(redis.connect());
  const waits = [];
  for (const store of [a, b, a, b]) waits.push(waitOf(await store.reserve("77", WRITE)));
  // 0, then 10 s, 20 s, 30 s from the reservation (less the few ms that passed meanwhile).
  waits.forEach((wait, i) => {
    expect(wait).toBeLessThanOrEqual(i * 10_000);
    expect(wait).toBeGreaterThan(i * 10_000 - 1_000);
  });
  // Another installation's budget is its own.
  expect(waitOf(await b.reserve("78", WRITE))).toBe(0);
});

test("Redis reserves as the in-process store does (the same steps, in Lua)", async () => {
  const budgets: Budget[] = [
    { name: "points", capacity: 3, intervalMs: 5_000, cost: 1 },
    { name: "writes", capacity: 1, intervalMs: 20_000, cost: 1 },
  ];
  const shared = new RedisPacingStore(redis.connect());
  const local = new MemoryPacingStore();
  for (let i = 0; i < 5; i += 1) {
    const remote = waitOf(await shared.reserve("1", budgets));
    const here = waitOf(await local.reserve("1", budgets));
    expect(Math.abs(remote - here)).toBeLessThan(1_000);
  }
});

test("slots in flight are shared: a third request of two allowed waits, whichever replica sends it", async () => {
  const a = new RedisPacingStore(redis.connect());
  const b = new RedisPacingStore(redis.connect());
  expect(await a.acquire("77", "r1", 2, 60_000)).toBe(true);
  expect(await b.acquire("77", "r2", 2, 60_000)).toBe(true);
  expect(await b.acquire("77", "r3", 2, 60_000)).toBe(false);
  await a.release("77", "r1");
  expect(await b.acquire("77", "r3", 2, 60_000)).toBe(true);
  // A replica that died holding a slot frees it when its lease runs out.
  expect(await a.acquire("78", "dead", 1, 1)).toBe(true);
  await new Promise((r) => setTimeout(r, 5));
  expect(await b.acquire("78", "alive", 1, 60_000)).toBe(true);
});

test("a pause GitHub asked of one replica holds the other; a shorter pause does not shorten it", async () => {
  const a = new RedisPacingStore(redis.connect());
  const b = new RedisPacingStore(redis.connect());
  await a.pause("77", 60_000);
  await b.pause("77", 5_000);
  const held = await b.reserve("77", WRITE);
  expect("pausedMs" in held && held.pausedMs > 59_000 && held.pausedMs <= 60_000).toBe(true);
  expect(await b.reserve("78", WRITE)).toEqual({ waitMs: 0 });
});

test("what was written on a check is shared, forgotten on demand, and kept for a bounded time", async () => {
  const connection = redis.connect();
  const a = new RedisCheckStore(connection, 60_000);
  const b = new RedisCheckStore(redis.connect(), 60_000);
  await a.set([
    ["acme/gitops@aaa|compliance/production", "f1"],
    ["acme/gitops@aaa|compliance/staging", "f2"],
  ]);
  expect(await b.get(["acme/gitops@aaa|compliance/production", "acme/gitops@aaa|compliance/staging", "acme/gitops@bbb|compliance/production"])).toEqual(["f1", "f2", undefined]);
  await b.forget("acme/gitops@aaa|compliance/production");
  expect(await a.get(["acme/gitops@aaa|compliance/production"])).toEqual([undefined]);
  const ttl = await connection.pttl("compliance-gate:check:acme/gitops@aaa|compliance/staging");
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60_000);
});

test("two replicas' check sinks share what was written: a check one replica wrote is not written again by the other", async () => {
  const posts: string[] = [];
  const github = {
    request: async (route: string) => {
      posts.push(route);
      return { status: 201, headers: {}, data: { id: posts.length, app: { id: 1 } } };
    },
  };
  const replica = () => new GitHubCheckRuns(new CheckMemory({ appId: 1, store: new RedisCheckStore(redis.connect()) }), new GitHubSession(github), "acme", "gitops");
  const check = { name: "compliance/production", verdict: "in_progress" as const, output: { title: "Waiting for 1 approval from @alice", summary: "s" } };
  const target = { sha: "c".repeat(40), externalId: "pull:42" };
  expect(await replica().post(target, check)).toBe("posted");
  expect(await replica().post(target, check)).toBe("unchanged");
  expect(await replica().post(target, { ...check, verdict: "success" })).toBe("posted");
  expect(posts).toHaveLength(2);
});
