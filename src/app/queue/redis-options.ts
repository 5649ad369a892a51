// What the queue in Redis is given (RedisLaterOptions), what its tickets carry, how many wait, and
// how it stops.
import type { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "probot";
import type { KeepTrying, Slots } from "./jobs.js";

export interface RedisLaterOptions {
  url: string;
  log: Logger;
  slots: Slots;
  /** Names every key this queue writes (several apps can share a Redis). Default "compliance-gate". */
  prefix?: string;
  /** How long a run holds its key without renewing it, and BullMQ's lock on a ticket. Default 30 s. */
  leaseMs?: number;
  /** How often BullMQ looks for tickets whose worker died. Default 30 s. */
  stalledIntervalMs?: number;
  /** How long an enqueue may take before the delivery is refused. Default 2 s. */
  enqueueTimeoutMs?: number;
  retryDelaysMs?: readonly number[];
  /** Backoff of a job that threw. Default FAILURE_DELAYS_MS. */
  failureDelaysMs?: readonly number[];
  /** Backoff after those, of kinds that keep trying. Default KEEP_TRYING. */
  keepTrying?: KeepTrying;
  /** New retries and timers kept at most. Default MAX_DELAYED (tests: fewer). */
  maxDelayed?: number;
  /** How long a run may go before it is abandoned (its key let go, its writes refused) and failed. Default RUN_DEADLINE_MS, 10 minutes. */
  runDeadlineMs?: number;
  /** How old a note of an owed ticket is before the janitor adds the ticket (owed-tickets.ts). Default OWED_AFTER_MS, 30 s. */
  owedAfterMs?: number;
  /** How often the janitor of owed tickets looks. Default OWED_EVERY_MS, 15 s. */
  owedEveryMs?: number;
  /** How soon after Redis is found to have lost its data the sweep runs (recoverWith). Default 30 s, as after an in-process start. */
  recoveryAfterMs?: number;
  clock?: () => number;
}

/** A run's ticket (a BullMQ job): the key to run, and its installation's group (whose share of a replica's slots it runs in). */
export type Ticket = { key: string; group?: string };

/**
 * The unit of a ticket's time away: past its installation's share, 1–2x (spread, so that a burst's
 * tickets do not come back at once); waiting for its key held by another run, a quarter; waiting
 * behind that key's waiter, 2–4x.
 */
export const HAND_BACK_MS = 1_000;

/** Batches a ticket runs of its own key in a row at most (what arrived during one runs at once; a flood waits its turn). */
export const OWN_BATCHES = 3;

/** The tickets waiting to run in `queues`, and how long the oldest has waited (null: none waits). */
export async function waitingTickets(queues: Queue[], now: number): Promise<{ waiting: number; oldestWaitMs: number | null }> {
  let waiting = 0;
  let oldest: number | null = null;
  for (const queue of queues) {
    const counts = await queue.getJobCounts("waiting", "prioritized");
    waiting += (counts["waiting"] ?? 0) + (counts["prioritized"] ?? 0);
    // Tickets wait in arrival order: the first is the oldest (one sent back is younger than it was).
    const [first] = await queue.getJobs(["wait"], 0, 0, true);
    if (first !== undefined && (oldest === null || first.timestamp < oldest)) oldest = first.timestamp;
  }
  return { waiting, oldestWaitMs: oldest === null ? null : Math.max(0, now - oldest) };
}

/** Resolves once `redis` is ready, or after `ms` (the caller's write then fails and says so). */
export function untilReady(redis: { status: string; once(event: "ready", listener: () => void): unknown; off(event: "ready", listener: () => void): unknown }, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const ready = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off("ready", ready);
      resolve();
    }, ms);
    timer.unref();
    redis.once("ready", ready);
  });
}

/** What `work` resolves to, or undefined when it takes longer than `ms` (it goes on, unheeded). */
export function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([work, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Stops the queue's workers, queues and connection, every step bounded (with Redis away, BullMQ
 * would wait for it forever). Workers stop taking tickets and finish the runs under way; runs still
 * going when the grace is over are left to their leases: another replica takes their tickets over
 * once the locks expire. With nothing running, a plain close lets go of every connection (a forced
 * one can leave sockets open until the process exits, as it does after a SIGTERM).
 */
export async function closeAll(parts: { workers: Worker[]; queues: Queue[]; loose: () => Promise<void>[]; redis: Redis; running: boolean }, graceMs: number): Promise<void> {
  const pausing = Promise.all(parts.workers.map((worker) => worker.pause())).then(() => true);
  const paused = (await within(pausing, parts.running ? graceMs : 2_000)) === true;
  await within(
    Promise.all(
      parts.workers.map(async (worker) => {
        await worker.close(!paused).catch(() => undefined);
        await worker.disconnect().catch(() => undefined);
      }),
    ),
    2_000,
  );
  await within(Promise.allSettled(parts.loose()), 1_000);
  await within(Promise.all(parts.queues.map((queue) => queue.close().catch(() => undefined))), 2_000);
  parts.redis.disconnect();
}

/** Logs a Redis error of each source at most every 30 s: while Redis is away they come many a second. */
export class RedisWarnings {
  private readonly warned = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  warn(source: string, error: Error): void {
    const now = Date.now();
    if (now - (this.warned.get(source) ?? 0) < 30_000) return;
    this.warned.set(source, now);
    this.log.warn({ err: error, source }, "Redis is unreachable: deliveries are answered 503 until it is back");
  }

  /** Connected (again): says so once after errors were logged. */
  connected(): void {
    if (this.warned.size > 0) this.log.info("Redis: connected again");
    this.warned.clear();
  }
}

/** Resolves once no ticket waits or runs in `queues`, the `loose` writes are done and `quiet()` says so. */
export async function untilIdle(queues: Queue[], loose: () => Promise<void>[], quiet: () => boolean): Promise<void> {
  for (;;) {
    await Promise.all(loose());
    const counts = await Promise.all(queues.map((queue) => queue.getJobCounts("waiting", "active", "prioritized")));
    const busy = counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
    if (busy === 0 && quiet()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * How long a put's mark "a ticket of this line has not yet taken the key's jobs" stands (TAKE clears
 * it): the puts after it add no ticket of their own — a burst of ten events on a PR costs one
 * ticket, not ten (each a BullMQ job to add, to take and to send back while its installation waits).
 * A ticket lost with its mark (a process dying before adding it) is the owed tickets janitor's; past
 * this, a mark outlived by its ticket (sent back for long) only makes the next put add another.
 */
export const TICKETED_MS = 60_000;
