// The retries, timers and waits of the Redis queue: BullMQ delayed jobs ("fire"), each named by an
// entry of one hash. A newer schedule replaces the entry; a fired job whose entry is not its own
// does nothing, so each fires once, on one replica.
import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "probot";
import type { Job, JobPriority } from "../ports.js";
import { priorityOf } from "./jobs.js";
import { FORGET_IF } from "./redis-scripts.js";

/**
 * New delayed entries are refused past this many (a retry's first attempt, a timer): one per key,
 * each holding its job. What the queue already held is never refused — a wait GitHub asked for, a
 * failure's backoff, a retry's next attempt — since refusing it would drop a job accepted (and
 * answered 2xx); each is one per key of a job that is in Redis already.
 */
export const MAX_DELAYED = 100_000;

interface Entry {
  id: string;
  at: number;
  attempt?: number;
}

/** What a delayed BullMQ job carries: the entry it was set for, and the job to queue when it fires. */
export type Fire = { entry: string; job: Job };

export class DelayedEntries {
  constructor(
    private readonly redis: Redis,
    private readonly queues: Record<JobPriority, Queue>,
    /** The hash of entries. */
    private readonly hash: string,
    private readonly clock: () => number,
    private readonly log: Logger,
    /** A new retry or timer refused (the queue's observer counts it). */
    private readonly onRefused: (what: "retry" | "timer") => void = () => undefined,
    private readonly maxDelayed = MAX_DELAYED,
  ) {}

  /**
   * Sets the entry `entry` (replacing its job) to queue `job` at `at`. `entry` is `retry|key` (with
   * its `attempt`), `at|key` or `wait|key` (a RetryLater's wait or a failure's backoff).
   */
  async schedule(entry: string, job: Job, at: number, attempt?: number): Promise<void> {
    const previous = await this.redis.hget(this.hash, entry);
    const held = entry.startsWith("wait|") || (attempt ?? 1) > 1;
    if (previous === null && !held && (await this.redis.hlen(this.hash)) >= this.maxDelayed) {
      this.log.error({ entry, job: job.kind, key: job.key }, "too many retries and timers are set: this new one is not");
      this.onRefused(entry.startsWith("retry|") ? "retry" : "timer");
      return;
    }
    const id = `fire-${randomUUID()}`;
    const value: Entry = { id, at, ...(attempt !== undefined ? { attempt } : {}) };
    // The entry first: a job that fires finds it. A crash between the two loses the timer, and the run that set it runs again.
    await this.redis.hset(this.hash, entry, JSON.stringify(value));
    await this.queues[priorityOf(job)].add("fire", { entry, job } satisfies Fire, { jobId: id, delay: Math.max(0, at - this.clock()), attempts: 20, backoff: { type: "exponential", delay: 1_000 } });
    if (previous !== null) await this.removeFire(JSON.parse(previous) as Entry);
  }

  async cancel(entry: string): Promise<void> {
    const previous = await this.redis.hget(this.hash, entry);
    if (previous === null) return;
    await this.redis.hdel(this.hash, entry);
    await this.removeFire(JSON.parse(previous) as Entry);
  }

  /** Cancels every entry whose name starts with `prefix` (scanned 200 at a time). */
  async cancelStartingWith(prefix: string): Promise<void> {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const [next, fields] = await this.redis.hscan(this.hash, cursor, "MATCH", pattern, "COUNT", 200);
      cursor = next;
      for (let i = 0; i < fields.length; i += 2) await this.cancel(fields[i] as string);
    } while (cursor !== "0");
  }

  /** Whether the delayed job `id` is still the one its entry names (else it was replaced or cancelled). */
  async isCurrent(fire: Fire, id: string): Promise<boolean> {
    const current = await this.redis.hget(this.hash, fire.entry);
    return current !== null && (JSON.parse(current) as Entry).id === id;
  }

  /** Drops the entry once its job is queued, if it is still the one `id` set. */
  async forget(fire: Fire, id: string): Promise<void> {
    await FORGET_IF.run(this.redis, [this.hash], [fire.entry, id]);
  }

  count(): Promise<number> {
    return this.redis.hlen(this.hash);
  }

  /** Removes a delayed job that will not be needed; one that fires anyway finds its entry gone. */
  private async removeFire(entry: Entry): Promise<void> {
    for (const queue of Object.values(this.queues)) await queue.remove(entry.id).catch(() => 0);
  }
}
