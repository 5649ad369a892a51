// A job of a kind this version does not know, in the queue in Redis (a rolling deploy: a newer
// replica queued it): the known jobs of its key taken in the same run still run; it fails apart,
// comes back after the failure delays — for a newer replica to run — and is dropped after them.
import type { Job } from "../../src/app/ports.js";
import { RedisLater } from "../../src/app/queue/redis-later.js";
import { eventually, queueTestBed, uniquePrefix } from "../support/redis.js";
import { capturingLogger } from "./helpers.js";

const KEY = "acme/gitops#12";
const bed = queueTestBed();

function replica(prefix: string, failureDelaysMs: number[], log = capturingLogger().log): RedisLater {
  const later = new RedisLater({ url: bed.url, log, slots: { interactive: 2, bulk: 1 }, prefix, leaseMs: 1_000, stalledIntervalMs: 300, failureDelaysMs });
  bed.made.push(later);
  return later;
}

/** Another replica's run holds the key for `ms`: what is queued meanwhile is taken by one run, once it is free. */
const heldElsewhere = (prefix: string, ms: number): Promise<unknown> => bed.admin.set(`${prefix}:lease:${KEY}`, "ticket:elsewhere#1", "PX", ms);

const job = (kind: string, payload: unknown): Job => ({ kind, key: KEY, installationId: 1, payload });

test("taken with known jobs of its key: they run (once, folded); it fails on its own, once a failure delay, and is dropped after them", async () => {
  const prefix = uniquePrefix();
  const { log, lines } = capturingLogger();
  const later = replica(prefix, [100, 200], log);
  const ran: unknown[] = [];
  const dropped: string[] = [];
  later.handle("evaluate", { run: async (j) => void ran.push(j.payload), merge: (pending, newer) => ({ ...newer, payload: [...(pending.payload as string[]), ...(newer.payload as string[])] }) });
  later.observe({ dropped: (kind) => void dropped.push(kind), refused: () => undefined });
  await later.start();
  await heldElsewhere(prefix, 1_000);
  // Two of the newer kind (the second folded into the first) around the known ones: one run takes all four.
  await later.enqueue(job("evaluate-v2", { newer: 1 }));
  await later.enqueue(job("evaluate", ["opened"]));
  await later.enqueue(job("evaluate-v2", { newer: 2 }));
  await later.enqueue(job("evaluate", ["review"]));
  await eventually("the newer kind dropped", () => (dropped.length > 0 ? true : undefined), 15_000);
  await later.idle();
  expect(ran).toEqual([["opened", "review"]]);
  expect(dropped).toEqual(["evaluate-v2"]);
  const strangers = lines.filter((line) => line["job"] === "evaluate-v2");
  // Logged once per attempt: the first run and two failure delays.
  expect(strangers.map((line) => [line["msg"], line["attempt"] ?? line["attempts"]])).toEqual([
    ["a job could not run: trying again later", 1],
    ["a job could not run: trying again later", 2],
    ["a job could not run, and no retry is left: dropped", 2],
  ]);
  expect(String((strangers[0]?.["err"] as { message?: unknown } | undefined)?.message)).toMatch(/no handler for jobs of kind evaluate-v2/);
  // Its count of failures is its own, and gone with it; the known job's success left it alone.
  expect(await bed.admin.hgetall(`${prefix}:failures`)).toEqual({});
}, 30_000);

test("a rolling deploy: the older replica runs the known job and sends the newer kind back; the newer replica runs it", async () => {
  const prefix = uniquePrefix();
  const older = replica(prefix, [500]);
  const ran: string[] = [];
  older.handle("evaluate", { run: async () => void ran.push("evaluate, on the older replica") });
  await older.start();
  await heldElsewhere(prefix, 800);
  await older.enqueue(job("evaluate", []));
  await older.enqueue(job("evaluate-v2", { newer: 1 }));
  await eventually("the known job", () => (ran.length > 0 ? true : undefined), 10_000);
  await eventually("the newer kind sent back", async () => ((await bed.admin.hexists(`${prefix}:delayed`, `wait|${KEY}|evaluate-v2`)) === 1 ? true : undefined));
  // The older replica goes; a newer one comes.
  await older.close(1_000);
  bed.made.splice(bed.made.indexOf(older), 1);
  const newer = replica(prefix, [500]);
  newer.handle("evaluate", { run: async () => void ran.push("evaluate, on the newer replica") });
  newer.handle("evaluate-v2", { run: async (j) => void ran.push(`evaluate-v2 ${JSON.stringify(j.payload)}`) });
  await newer.start();
  await eventually("the newer kind, on the newer replica", () => (ran.length === 2 ? true : undefined), 10_000);
  await newer.idle();
  expect(ran).toEqual(["evaluate, on the older replica", 'evaluate-v2 {"newer":1}']);
  expect(await bed.admin.hgetall(`${prefix}:failures`)).toEqual({});
}, 30_000);
