// What the queue in Redis does once a run is over: a success forgets its key's failures; a wait
// GitHub asked for, or a failure's backoff, is a delayed entry (`wait|…`) that queues the job again;
// a job that kept failing past its delays is logged, counted and dropped. Shared by every replica:
// the failures in a row are counted in one hash.
import type { Redis } from "ioredis";
import type { Logger } from "probot";
import { RetryLater, type Job } from "../ports.js";
import type { DelayedEntries } from "./delayed-entries.js";
import { FAILURE_DELAYS_MS, failureDelayMs, KEEP_TRYING, LeaseLost, MAX_WAIT_MS, MIN_WAIT_MS, type JobTable, type KeepTrying, type QueueObserver } from "./jobs.js";

export interface RunOutcomeOptions {
  redis: Redis;
  delayed: DelayedEntries;
  table: JobTable;
  /** The hash of failures in a row, per key. */
  failures: string;
  clock: () => number;
  log: Logger;
  failureDelaysMs?: readonly number[];
  keepTrying?: KeepTrying;
  /** Where a dropped job is counted (read when one is). */
  observer: () => QueueObserver | undefined;
}

export class RunOutcomes {
  constructor(private readonly options: RunOutcomeOptions) {}

  /** Settles the run of `job`: `failure` undefined when it succeeded. Rejects only when Redis fails (the ticket runs again). */
  async settle(job: Job, failure: unknown): Promise<void> {
    const { redis, failures, log, delayed, clock } = this.options;
    // A kind this version does not know fails, and waits, apart from its key's known jobs: their
    // success must not reset its count, nor their backoff replace its entry (or it, theirs).
    const [field, both] = [this.options.table.knows(job.kind) ? job.key : `${job.key}|${job.kind}`, [job.key, `${job.key}|${job.kind}`]];
    if (failure === undefined) {
      await redis.hdel(failures, ...both);
      return;
    }
    if (failure instanceof RetryLater) {
      const wait = Math.min(Math.max(failure.afterMs, MIN_WAIT_MS), MAX_WAIT_MS);
      log.warn({ job: job.kind, key: job.key, wait_ms: wait, reason: failure.message, ...job.log }, "waiting before running a job again");
      await delayed.schedule(`wait|${job.key}`, failure.job ?? job, clock() + wait);
      return;
    }
    if (failure instanceof LeaseLost) {
      log.warn({ job: job.kind, key: job.key, ...job.log }, "a run lost its key (it stalled past its lease): another run takes over");
      return;
    }
    const attempt = await redis.hincrby(failures, field, 1);
    const keep = this.options.table.keepsTrying(job.kind) ? (this.options.keepTrying ?? KEEP_TRYING) : undefined;
    const delay = failureDelayMs(this.options.failureDelaysMs ?? FAILURE_DELAYS_MS, attempt, keep);
    if (delay === undefined) {
      await redis.hdel(failures, field);
      log.error({ err: failure, job: job.kind, key: job.key, attempts: attempt - 1, ...job.log }, "a job could not run, and no retry is left: dropped");
      this.options.observer()?.dropped(job.kind);
      return;
    }
    log.error({ err: failure, job: job.kind, key: job.key, attempt, ...job.log }, "a job could not run: trying again later");
    await delayed.schedule(`wait|${field}`, job, clock() + delay);
  }
}
