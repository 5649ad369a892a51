// Later, in this process: jobs coalesced per key (keyed-queue.ts), bounded retries with backoff
// (retries.ts) and jobs at an instant (freeze-timers.ts), on unref'd timers. Each kind of job has a
// handler that builds what it needs — a fresh installation client first — when the job runs.
//
// What dies with the process: pending retries and timers. A restart loses them (the reconcile of
// recent merges and the next event of a PR make up for it; see freeze-timers.ts for freeze edges);
// a durable implementation of the same interface, shared by replicas, keeps them.
import type { Logger } from "probot";
import { FreezeTimers, NODE_TIMERS, type TimerApi } from "./freeze-timers.js";
import { KeyedQueue } from "./keyed-queue.js";
import type { Job, Later } from "./ports.js";
import { Retries, RETRY_DELAYS_MS } from "./retries.js";

/** What runs a kind of job. */
export interface JobHandler {
  /** Runs the job; rejects only when it cannot start (no client could be built). */
  run(job: Job): Promise<void>;
  /** Folds a newer job into one of the same key still waiting to run. Default: the newer replaces it. */
  merge?(pending: Job, newer: Job): Job;
}

/** How many times a timer tries again when its job cannot start, a minute apart. */
const TIMER_RETRIES = 5;
const TIMER_RETRY_MS = 60_000;

export interface InProcessLaterOptions {
  clock: () => number;
  /** Default Node's setTimeout, unref'd. */
  timers?: TimerApi;
  log: Logger;
  retryDelaysMs?: readonly number[];
}

/** Later within one process. */
export class InProcessLater implements Later {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly queue: KeyedQueue<Job>;
  /** Pending retries: one per key. */
  readonly retries: Retries;
  /** The timers of jobs at an instant: one per key. */
  readonly timers: FreezeTimers;
  /** Runs started by timers, not yet settled. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly options: InProcessLaterOptions) {
    const api = options.timers ?? NODE_TIMERS;
    this.retries = new Retries(api, options.retryDelaysMs ?? RETRY_DELAYS_MS);
    this.timers = new FreezeTimers(options.clock, api);
    this.queue = new KeyedQueue<Job>(
      (job) => this.handlerOf(job.kind).run(job),
      (pending, newer) => this.handlerOf(newer.kind).merge?.(pending, newer) ?? newer,
      // Every caller of run() hears of the failure and says what it was doing.
      () => undefined,
    );
  }

  /** Registers the handler of a kind of job. */
  handle(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  async run(job: Job): Promise<void> {
    const failure = await this.queue.settle(job.key, job);
    if (failure !== undefined) throw failure;
  }

  retry(key: string, job: Job, attempt: number): boolean {
    return this.retries.schedule(key, attempt, async () => {
      try {
        await this.run(job);
      } catch (error) {
        this.options.log.error({ err: error, job: job.kind, key: job.key, attempt, ...job.log }, "cannot run a retry");
      }
    });
  }

  cancelRetry(key: string): void {
    this.retries.cancel(key);
  }

  pendingRetry(key: string): number | undefined {
    return this.retries.pendingAttempt(key);
  }

  at(key: string, job: Job, at: number): boolean {
    const fire = (attempt: number): void => {
      const run = this.run(job).catch((error: unknown) => {
        this.options.log.error({ err: error, job: job.kind, key: job.key, attempt, ...job.log }, "cannot run a job at its time");
        if (attempt < TIMER_RETRIES) this.timers.schedule(key, this.options.clock() + TIMER_RETRY_MS, () => fire(attempt + 1));
      });
      this.background.add(run);
      void run.finally(() => this.background.delete(run));
    };
    return this.timers.schedule(key, at, () => fire(1));
  }

  cancelTimer(key: string, under = false): void {
    if (under) this.timers.cancelPull(key);
    else this.timers.cancel(key);
  }

  async idle(): Promise<void> {
    while (this.background.size > 0 || this.queue.active > 0 || this.retries.active > 0) {
      await Promise.all([...this.background, this.queue.idle(), this.retries.idle()]);
    }
  }

  /** Cancels every pending retry and timer (shutdown, tests). */
  clear(): void {
    this.retries.clear();
    this.timers.clear();
  }

  private handlerOf(kind: string): JobHandler {
    const handler = this.handlers.get(kind);
    if (handler === undefined) throw new Error(`no handler for jobs of kind ${kind}`);
    return handler;
  }
}
