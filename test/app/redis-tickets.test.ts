// Tickets of the queue in Redis: a put adds a ticket only when no ticket of its line has yet taken
// the key's jobs (a burst of events on one PR costs one ticket, not one each), and nothing queued is
// left without one — the jobs put behind a run get a ticket, and another line's job gets its own.
import { jest } from "@jest/globals";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pino from "pino";
import type { Job } from "../../src/app/ports.js";
import { RedisLater } from "../../src/app/queue/redis-later.js";
import { LuaScript } from "../../src/github/lua-script.js";
import { eventually, queueTestBed, uniquePrefix } from "../support/redis.js";

const log = pino({ level: "silent" });
const bed = queueTestBed();
afterEach(() => jest.restoreAllMocks());

const job = (n: number, priority?: "bulk"): Job => ({ kind: "work", key: "acme/gitops#1", installationId: 1, payload: { n }, ...(priority ? { priority } : {}) });

test("events put while a ticket waits or a run goes on add one ticket between them, and every one of them is run", async () => {
  let release = (): void => undefined;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const seen: number[] = [];
  const prefix = uniquePrefix();
  const later = new RedisLater({ url: bed.url, log, slots: { interactive: 2, bulk: 1 }, prefix, leaseMs: 1_000, stalledIntervalMs: 300 });
  bed.made.push(later);
  later.handle("work", {
    run: async (j) => {
      seen.push((j.payload as { n: number }).n);
      if (seen.length === 1) await hold;
    },
    // Each job's number kept: what a batch folds in is seen.
    merge: (pending, newer) => ({ ...newer, payload: { n: Math.max((pending.payload as { n: number }).n, (newer.payload as { n: number }).n) } }),
  });
  const add = jest.spyOn(Queue.prototype, "add");
  // Notes of owed tickets are kept (their removal after the ticket's add answers, but does nothing):
  // what is left counts the puts that wrote one.
  const zrem = jest.spyOn(Redis.prototype, "zrem").mockResolvedValue(0);
  await later.start();
  await later.enqueue(job(1));
  await eventually("the first run under way", () => (seen.length === 1 ? true : undefined));
  // Five more while the first runs: the first of them adds a ticket, the four after it do not —
  // nor do they note a ticket as owed: one note per ticket added, none for a put riding on one.
  for (let n = 2; n <= 6; n += 1) await later.enqueue(job(n));
  const tickets = add.mock.calls.filter(([name]) => name === "run");
  expect(tickets).toHaveLength(2);
  const admin = new Redis(bed.url);
  try {
    expect(await admin.zcard(`${prefix}:owed`)).toBe(2);
  } finally {
    admin.disconnect();
  }
  // Places are left by a ZREM too.
  zrem.mockRestore();
  release();
  await later.idle();
  expect(seen).toEqual([1, 6]);
  // Taken: the next event gets a ticket of its own.
  await later.enqueue(job(7));
  await later.idle();
  expect(seen).toEqual([1, 6, 7]);
  expect(add.mock.calls.filter(([name]) => name === "run")).toHaveLength(3);
});

test("a job of the other line gets a ticket of its own line even while one of the first line waits", async () => {
  const seen: number[] = [];
  const later = new RedisLater({ url: bed.url, log, slots: { interactive: 2, bulk: 1 }, prefix: uniquePrefix(), leaseMs: 1_000, stalledIntervalMs: 300 });
  bed.made.push(later);
  later.handle("work", { run: async (j) => void seen.push((j.payload as { n: number }).n) });
  const add = jest.spyOn(Queue.prototype, "add");
  // Not started: the tickets wait, and the marks stand.
  await eventually("Redis answering", async () => ((await later.ready()) ? true : undefined));
  await later.enqueue(job(1, "bulk"));
  await later.enqueue(job(2, "bulk"));
  await later.enqueue(job(3));
  const lines = add.mock.calls.filter(([name]) => name === "run").map((call) => (add.mock.contexts[add.mock.calls.indexOf(call)] as Queue).name);
  expect(lines).toEqual(["bulk", "interactive"]);
  await later.start();
  await eventually("every job run", () => (seen.includes(3) ? true : undefined));
  await later.idle();
  expect(seen.at(-1)).toBe(3);
});

test("jobs taken by a run that left the mark (an older replica, in a rolling deploy): the next job still gets a ticket", async () => {
  const prefix = uniquePrefix();
  const seen: number[] = [];
  const later = new RedisLater({ url: bed.url, log, slots: { interactive: 2, bulk: 1 }, prefix, leaseMs: 1_000, stalledIntervalMs: 300 });
  bed.made.push(later);
  later.handle("work", { run: async (j) => void seen.push((j.payload as { n: number }).n) });
  await eventually("Redis answering", async () => ((await later.ready()) ? true : undefined));
  const add = jest.spyOn(Queue.prototype, "add");
  await later.enqueue(job(1));
  // An older replica's run takes the job and leaves the mark (its TAKE knows none).
  const admin = new Redis(bed.url);
  try {
    await admin.del(`${prefix}:pending:acme/gitops#1`);
    expect(await admin.exists(`${prefix}:ticketed:interactive:acme/gitops#1`)).toBe(1);
  } finally {
    admin.disconnect();
  }
  await later.enqueue(job(2));
  expect(add.mock.calls.filter(([name]) => name === "run")).toHaveLength(2);
  await later.start();
  await eventually("the second job run", () => (seen.includes(2) ? true : undefined));
  await later.idle();
});

test("the queue's connection is auto-pipelined, and every script is one of its commands before its first command (ioredis#1931)", () => {
  const later = new RedisLater({ url: bed.url, log, slots: { interactive: 2, bulk: 1 }, prefix: uniquePrefix(), leaseMs: 1_000 });
  bed.made.push(later);
  const connection = (later as unknown as { redis: Redis }).redis;
  expect(connection.options.enableAutoPipelining).toBe(true);
  // The queue's and the pacer's scripts (places use its slot script), all loaded with the queue.
  expect(LuaScript.made().length).toBeGreaterThanOrEqual(15);
  expect(LuaScript.made().filter((script) => !script.isDefinedOn(connection))).toEqual([]);
});
