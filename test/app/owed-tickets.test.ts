// A job without a ticket: a put that stored its job but whose ticket was never added (the process
// died, or Redis failed, between the two calls) is found by the janitor of owed tickets, which adds
// the ticket, so the job runs without waiting for its PR's next event. The normal path leaves no note.
import { jest } from "@jest/globals";
import { Queue } from "bullmq";
import pino from "pino";
import { QueueUnavailable } from "../../src/app/ports.js";
import { RedisLater } from "../../src/app/queue/redis-later.js";
import { eventually, queueTestBed, uniquePrefix } from "../support/redis.js";

const log = pino({ level: "silent" });
const bed = queueTestBed();
afterEach(() => jest.restoreAllMocks());

async function replica(prefix: string, ran: unknown[], owed: { owedAfterMs: number; owedEveryMs: number }): Promise<RedisLater> {
  const later = new RedisLater({ url: bed.url, log, slots: { interactive: 2, bulk: 1 }, prefix, leaseMs: 1_000, stalledIntervalMs: 300, ...owed });
  later.handle("work", { run: async (job) => void ran.push(job.payload) });
  await later.start();
  bed.made.push(later);
  return later;
}

test("the ticket's add fails after the job was stored: the delivery is refused, and the janitor adds the ticket — the job runs", async () => {
  const prefix = uniquePrefix();
  const ran: unknown[] = [];
  // Notes older than 300 ms are owed; the janitor looks every 100 ms (defaults: 30 s and 15 s).
  const later = await replica(prefix, ran, { owedAfterMs: 300, owedEveryMs: 100 });
  // Redis fails between the job and its ticket (BullMQ's add, which a dying process never makes).
  const add = jest.spyOn(Queue.prototype, "add").mockRejectedValueOnce(new Error("Connection is closed."));
  const refused = await later.enqueue({ kind: "work", key: "acme/gitops#7", installationId: 1, payload: ["dismissed"] }).then(() => undefined, (error: unknown) => error);
  expect(refused).toBeInstanceOf(QueueUnavailable);
  expect(add).toHaveBeenCalledTimes(1);
  // The job waits, with no ticket; its note says a ticket is owed.
  expect(await bed.admin.llen(`${prefix}:pending:acme/gitops#7`)).toBe(1);
  expect(await bed.admin.zcard(`${prefix}:owed`)).toBe(1);
  await eventually("the job, run by the janitor's ticket", () => (ran.length > 0 ? true : undefined), 10_000);
  await later.idle();
  expect(ran).toEqual([["dismissed"]]);
  await eventually("the note gone", async () => ((await bed.admin.zcard(`${prefix}:owed`)) === 0 ? true : undefined));
});

test("jobs put after a put whose ticket was never added ride on its mark: they owe no ticket of their own, and the janitor's one runs them all", async () => {
  const prefix = uniquePrefix();
  const ran: unknown[] = [];
  const later = await replica(prefix, ran, { owedAfterMs: 300, owedEveryMs: 100 });
  const add = jest.spyOn(Queue.prototype, "add").mockRejectedValueOnce(new Error("Connection is closed."));
  const job = (n: number) => ({ kind: "work", key: "acme/gitops#6", installationId: 1, payload: [n] });
  // The first is refused (its ticket's add failed) and leaves its note; its mark stands.
  await expect(later.enqueue(job(1))).rejects.toBeInstanceOf(QueueUnavailable);
  // The next three are taken: a ticket is on its way (the owed one), so none adds another.
  for (let n = 2; n <= 4; n += 1) await later.enqueue(job(n));
  expect(add).toHaveBeenCalledTimes(1);
  expect(await bed.admin.llen(`${prefix}:pending:acme/gitops#6`)).toBe(4);
  expect(await bed.admin.zcard(`${prefix}:owed`)).toBe(1);
  await eventually("the jobs, run by the janitor's ticket", () => (ran.length > 0 ? true : undefined), 10_000);
  await later.idle();
  // One run of the four, folded (the handler has no merge: the newest stands for them).
  expect(ran).toEqual([[4]]);
  expect(await bed.admin.llen(`${prefix}:pending:acme/gitops#6`)).toBe(0);
});

test("a note whose key has no work left (its job ran, the note's removal was lost) goes without a ticket", async () => {
  const prefix = uniquePrefix();
  const ran: unknown[] = [];
  const later = await replica(prefix, ran, { owedAfterMs: 300, owedEveryMs: 100 });
  await bed.admin.zadd(`${prefix}:owed`, Date.now() - 1_000, JSON.stringify({ id: "a-put-long-ago", line: "interactive", key: "acme/gitops#8", group: "1" }));
  const add = jest.spyOn(Queue.prototype, "add");
  await eventually("the note gone", async () => ((await bed.admin.zcard(`${prefix}:owed`)) === 0 ? true : undefined));
  await later.idle();
  expect(add).not.toHaveBeenCalled();
  expect(ran).toEqual([]);
});

test("the normal path: every job runs and leaves no note", async () => {
  const prefix = uniquePrefix();
  const ran: unknown[] = [];
  const later = await replica(prefix, ran, { owedAfterMs: 0, owedEveryMs: 50 });
  for (let n = 1; n <= 10; n += 1) await later.enqueue({ kind: "work", key: `acme/gitops#${n}`, installationId: 1, payload: [n] });
  await later.idle();
  expect(ran).toHaveLength(10);
  expect(await bed.admin.zcard(`${prefix}:owed`)).toBe(0);
});

test("a note this version cannot read is dropped, and the notes beside it are served: the janitor never sticks on it", async () => {
  const prefix = uniquePrefix();
  const ran: unknown[] = [];
  const later = await replica(prefix, ran, { owedAfterMs: 300, owedEveryMs: 100 });
  // A job with no ticket, and older notes no put of this version writes (not JSON; a line it does not know).
  await bed.admin.rpush(`${prefix}:pending:acme/gitops#9`, JSON.stringify({ kind: "work", key: "acme/gitops#9", installationId: 1, payload: ["owed"] }));
  await bed.admin.zadd(`${prefix}:owed`, Date.now() - 3_000, "{not json", Date.now() - 2_000, JSON.stringify({ id: "x", line: "urgent", key: "acme/gitops#9" }));
  await bed.admin.zadd(`${prefix}:owed`, Date.now() - 1_000, JSON.stringify({ id: "y", line: "interactive", key: "acme/gitops#9", group: "1" }));
  await eventually("the owed job run", () => (ran.length > 0 ? true : undefined), 10_000);
  await later.idle();
  expect(ran).toEqual([["owed"]]);
  await eventually("every note gone", async () => ((await bed.admin.zcard(`${prefix}:owed`)) === 0 ? true : undefined));
});
