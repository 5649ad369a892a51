// Later, in this process: one replica's queue. Jobs wait per key (a PR's evaluations) and fold into
// one run while they wait or while their key runs; a fixed number run at once, interactive ones
// ahead of bulk ones, which have slots of their own, and installations take turns in each line
// (queue/fair-line.ts); retries, timers and waits on unref'd timers. A run that never settles holds
// its key until its deadline (10 minutes), then fails, its writes refused.
//
// What dies with the process: the jobs waiting and running, pending retries and timers. The app
// answered their deliveries already, so the start-up sweep (startup-sweep.ts) finds what they
// would have fixed — open PRs whose checks are missing, older than their last change, or show a
// success — and the reconcile of recent merges finds unrecorded merges. With REDIS_URL,
// queue/redis-later.ts keeps them.
import type { Logger } from "probot";
import { FreezeTimers, NODE_TIMERS, type TimerApi } from "./freeze-timers.js";
import { QueueUnavailable, RetryLater, type Job, type JobPriority } from "./ports.js";
import { FAILURE_DELAYS_MS, failureDelayMs, JobTable, KEEP_TRYING, LeaseLost, MAX_WAIT_MS, MIN_WAIT_MS, priorityOf, RUN_DEADLINE_MS, withinDeadline, type AppLater, type JobHandler, type KeepTrying, type Lease, type QueueObserver, type QueueStats, type Slots } from "./queue/jobs.js";
import { FairLine, GroupShares, groupOf, shareOf } from "./queue/fair-line.js";
import { Retries, RETRY_DELAYS_MS } from "./retries.js";
import { LruCache } from "../github/lru-cache.js";

export type { JobHandler } from "./queue/jobs.js";

/** Default slots of one process: interactive runs, and bulk runs besides. */
export const DEFAULT_SLOTS: Slots = { interactive: 8, bulk: 4 };

/**
 * Keys waiting at most; past it a delivery is answered 503 (each waiting key holds one job: memory is
 * bounded). Only new work is refused: a retry, a wait or a timer the queue already holds is taken
 * when it comes due — it leaves its own table as it comes in, so what is held does not grow — since
 * refusing it would drop it, and it may be what replaces a success that no longer holds.
 */
export const MAX_WAITING = 10_000;

/**
 * Of those, bulk work holds at most half by default: one repository's policy push (re-evaluating
 * every open PR) or a sweep would otherwise fill the queue, and every other organisation's reviews
 * and pushes would be answered 503. Bulk work refused fails the job that queued it (a policy push, a
 * sweep), which the queue runs again later, when the bulk line has drained.
 */
export const BULK_SHARE_OF_WAITING = 0.5;

export interface InProcessLaterOptions {
  clock: () => number;
  /** Default Node's setTimeout, unref'd. */
  timers?: TimerApi;
  log: Logger;
  retryDelaysMs?: readonly number[];
  /** Backoff of a job that threw. Default FAILURE_DELAYS_MS. */
  failureDelaysMs?: readonly number[];
  /** Backoff after those, of kinds that keep trying. Default KEEP_TRYING. */
  keepTrying?: KeepTrying;
  slots?: Slots;
  maxWaiting?: number;
  /** Keys waiting with bulk work at most. Default BULK_SHARE_OF_WAITING of maxWaiting. */
  maxBulkWaiting?: number;
  /** How long a run may go before it is abandoned (its key free for the next run, its writes refused) and failed. Default RUN_DEADLINE_MS, 10 minutes. */
  runDeadlineMs?: number;
}

interface Slot {
  /** What the key's next run will do: every job that arrived since its last run started, folded. */
  pending: Job | undefined;
  /** When `pending` began to wait (clock ms). */
  since: number;
  running: boolean;
  /** The line `pending` waits in, until it starts. */
  line: JobPriority | undefined;
  /** Its installation's group in the lines (queue/fair-line.ts). */
  group: string;
  /** When a person's event (an interactive job from a delivery) last came for it; its place among the fresh (FairLine). */
  touched: number | undefined;
}

/** Later within one process. */
export class InProcessLater implements AppLater {
  private readonly table = new JobTable();
  private readonly slots = new Map<string, Slot>();
  /** Keys whose run began since the start (coveredSinceStart): the most recent 100,000. */
  private readonly begun = new LruCache<string, true>({ maxEntries: 100_000 });
  /** Keys waiting to start: per installation the freshest or the oldest (FairLine), the installations taking turns. */
  private readonly lines: Record<JobPriority, FairLine>;
  private readonly active: Record<JobPriority, number> = { interactive: 0, bulk: 0 };
  /** Runs under way per line and installation group: each within its limit (GroupShares: its budget, up to shareOf(slots)). */
  private readonly shares: Record<JobPriority, GroupShares>;
  private readonly runs = new Set<Promise<void>>();
  /** Failed runs in a row, per key. */
  private readonly failures = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  /** Keys with a job waiting to run, and those of them whose job is bulk work: kept as pending jobs come and go. */
  private waitingKeys = 0;
  private bulkKeys = 0;
  private closed = false;
  private started = true;
  private observer: QueueObserver | undefined;
  private readonly limits: Slots;
  /** Pending retries: one per key. */
  readonly retries: Retries;
  /** The timers of jobs at an instant: one per key. */
  readonly timers: FreezeTimers;
  /** Jobs waiting out a RetryLater or a failure's backoff: one per key. */
  private readonly waits: FreezeTimers;

  constructor(private readonly options: InProcessLaterOptions) {
    const api = options.timers ?? NODE_TIMERS;
    this.retries = new Retries(api, options.retryDelaysMs ?? RETRY_DELAYS_MS);
    this.timers = new FreezeTimers(options.clock, api);
    this.waits = new FreezeTimers(options.clock, api, Number.MAX_SAFE_INTEGER);
    this.limits = options.slots ?? DEFAULT_SLOTS;
    this.lines = { interactive: new FairLine(options.clock), bulk: new FairLine(options.clock) };
    this.shares = { interactive: new GroupShares(shareOf(this.limits.interactive)), bulk: new GroupShares(shareOf(this.limits.bulk)) };
  }

  handle(kind: string, handler: JobHandler): void {
    this.table.handle(kind, handler);
  }

  paceWith(spentAhead: (installation: string) => boolean): void {
    for (const shares of Object.values(this.shares)) shares.paceWith(spentAhead);
  }

  observe(observer: QueueObserver): void {
    this.observer = observer;
  }

  async start(): Promise<void> {
    this.started = true;
    this.pump();
  }

  enqueue(job: Job): Promise<void> {
    try {
      this.accept(job);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Its writes are made in memory as they are asked for: nothing to wait for. */
  accepting<T>(deliver: () => Promise<T>): Promise<T> {
    return deliver();
  }

  retry(key: string, job: Job, attempt: number): boolean {
    const scheduled = this.retries.schedule(key, attempt, async () => void this.fire(job, "a retry"));
    // Attempts used up are the contract's false; a refusal is a retry the bound left out.
    if (!scheduled && attempt <= this.retries.attempts) this.observer?.refused("retry");
    return scheduled;
  }

  cancelRetry(key: string): void {
    this.retries.cancel(key);
  }

  pendingRetry(key: string): number | undefined {
    return this.retries.pendingAttempt(key);
  }

  at(key: string, job: Job, at: number): boolean {
    const scheduled = this.timers.schedule(key, at, () => void this.fire(job, "a job at its time"));
    if (!scheduled) this.observer?.refused("timer");
    return scheduled;
  }

  cancelTimer(key: string, under = false): void {
    if (under) this.timers.cancelPull(key);
    else this.timers.cancel(key);
  }

  async idle(): Promise<void> {
    while (this.slots.size > 0 || this.retries.active > 0) {
      await Promise.all([new Promise<void>((resolve) => (this.slots.size === 0 ? resolve() : this.idleWaiters.push(resolve))), this.retries.idle()]);
    }
  }

  async ready(): Promise<boolean> {
    return !this.closed && this.waitingKeys < this.maxWaiting();
  }

  async stats(): Promise<QueueStats> {
    let oldest: number | null = null;
    for (const slot of this.slots.values()) if (slot.pending !== undefined && (oldest === null || slot.since < oldest)) oldest = slot.since;
    return {
      waiting: this.waitingKeys,
      active: this.runs.size,
      delayed: this.retries.size + this.timers.size + this.waits.size,
      oldestWaitMs: oldest === null ? null : Math.max(0, this.options.clock() - oldest),
    };
  }

  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([Promise.all([...this.runs]), grace]);
    clearTimeout(timer);
  }

  /** Cancels every pending retry, timer and wait (shutdown, tests). */
  clear(): void {
    this.retries.clear();
    this.timers.clear();
    this.waits.clear();
  }

  /** Does not start jobs until start() (tests that look at what waits). */
  pause(): void {
    this.started = false;
  }

  private maxWaiting(): number {
    return this.options.maxWaiting ?? MAX_WAITING;
  }

  /** Sets what a key's next run does, keeping the counts of waiting keys. */
  private setPending(slot: Slot, job: Job | undefined): void {
    const before = slot.pending === undefined ? undefined : priorityOf(slot.pending);
    const after = job === undefined ? undefined : priorityOf(job);
    this.waitingKeys += (after !== undefined ? 1 : 0) - (before !== undefined ? 1 : 0);
    this.bulkKeys += (after === "bulk" ? 1 : 0) - (before === "bulk" ? 1 : 0);
    slot.pending = job;
  }

  /** Refuses new work past the bounds: MAX_WAITING keys waiting, of which bulk ones at most their share. */
  private admit(job: Job): void {
    const max = this.maxWaiting();
    if (this.waitingKeys >= max) throw new QueueUnavailable(`the in-process queue is full: ${max} pull requests or jobs are waiting`);
    const maxBulk = this.options.maxBulkWaiting ?? Math.floor(max * BULK_SHARE_OF_WAITING);
    if (priorityOf(job) === "bulk" && this.bulkKeys >= maxBulk) throw new QueueUnavailable(`the in-process queue holds as much bulk work as it takes: ${maxBulk} pull requests or jobs are waiting as bulk work`);
  }

  /** Takes a job; `held`: one the queue already held (a retry, wait or timer come due), taken even when full. */
  private accept(job: Job, held = false): void {
    if (this.closed) throw new QueueUnavailable("the app is shutting down");
    const slot = this.slots.get(job.key);
    // A person's event, not a retry or timer come due, nor bulk work: someone is likely waiting on it.
    const touched = !held && priorityOf(job) === "interactive" ? this.options.clock() : undefined;
    if (slot === undefined) {
      if (!held) this.admit(job);
      const fresh: Slot = { pending: undefined, since: this.options.clock(), running: false, line: undefined, group: groupOf(job.installationId), touched };
      this.setPending(fresh, job);
      this.slots.set(job.key, fresh);
      this.queueUp(job.key, fresh);
    } else if (slot.pending !== undefined) {
      this.setPending(slot, this.table.merge(slot.pending, job));
      slot.touched = touched ?? slot.touched;
      // A person's event on a PR whose bulk re-evaluation waits: it goes to the front line.
      if (slot.line === "bulk" && priorityOf(slot.pending) === "interactive") {
        this.lines.bulk.delete(slot.group, job.key);
        this.queueUp(job.key, slot);
      } else if (touched !== undefined && slot.line !== undefined) {
        // Waiting in its line (not running, with more after): it keeps its place and is fresh again.
        this.queueUp(job.key, slot);
      }
    } else {
      // Its key runs: one more run after this one (queued up when it ends). Bounded by the runs under way.
      this.setPending(slot, job);
      slot.since = this.options.clock();
      slot.touched = touched ?? slot.touched;
    }
    this.pump();
  }

  private queueUp(key: string, slot: Slot): void {
    slot.line = priorityOf(slot.pending as Job);
    this.lines[slot.line].add(slot.group, key, slot.touched);
  }

  private pump(): void {
    if (!this.started || this.closed) return;
    for (const line of ["interactive", "bulk"] as const) {
      const shares = this.shares[line];
      while (this.active[line] < this.limits[line]) {
        const next = this.lines[line].take((group) => shares.mayEnter(group));
        if (next === undefined) break;
        this.begin(next.key, line);
      }
    }
  }

  coveredSinceStart(key: string): boolean {
    return this.slots.has(key) || this.begun.get(key) !== undefined;
  }

  private begin(key: string, line: JobPriority): void {
    this.begun.set(key, true);
    const slot = this.slots.get(key) as Slot;
    const job = slot.pending as Job;
    this.setPending(slot, undefined);
    slot.line = undefined;
    // Its run serves the events so far: only one coming after it starts makes the key fresh again.
    slot.touched = undefined;
    slot.running = true;
    this.active[line] += 1;
    this.shares[line].tryEnter(slot.group);
    const run = this.runOne(job).finally(() => {
      this.active[line] -= 1;
      this.shares[line].leave(slot.group);
      slot.running = false;
      this.runs.delete(run);
      if (slot.pending !== undefined) this.queueUp(key, slot);
      else this.slots.delete(key);
      this.pump();
      if (this.slots.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
    this.runs.add(run);
  }

  private async runOne(job: Job): Promise<void> {
    const { log, clock } = this.options;
    // The key is the process's to hold, but a run that never settles must not hold it forever: past
    // its deadline it is abandoned (RunAbandoned, a failure), the key runs again, and the abandoned
    // run's writes are refused by its lease from then on (the run itself cannot be stopped).
    let abandoned = false;
    const lease: Lease = { assertHeld: () => (abandoned ? Promise.reject(new LeaseLost(`the run of ${job.key} was abandoned past its deadline: it writes nothing more`)) : Promise.resolve()) };
    try {
      await withinDeadline(() => this.table.of(job.kind).run(job, lease), this.table.deadlineOf(job.kind) ?? this.options.runDeadlineMs ?? RUN_DEADLINE_MS, () => (abandoned = true), this.options.timers ?? NODE_TIMERS);
      this.failures.delete(job.key);
    } catch (error) {
      if (error instanceof RetryLater) {
        const wait = Math.min(Math.max(error.afterMs, MIN_WAIT_MS), MAX_WAIT_MS);
        log.warn({ job: job.kind, key: job.key, wait_ms: wait, reason: error.message, ...job.log }, "waiting before running a job again");
        const again = error.job ?? job;
        this.waits.schedule(job.key, clock() + wait, () => void this.fire(again, "a job that waited"));
        return;
      }
      const attempt = (this.failures.get(job.key) ?? 0) + 1;
      const keep = this.table.keepsTrying(job.kind) ? (this.options.keepTrying ?? KEEP_TRYING) : undefined;
      const delay = failureDelayMs(this.options.failureDelaysMs ?? FAILURE_DELAYS_MS, attempt, keep);
      if (delay === undefined) {
        this.failures.delete(job.key);
        log.error({ err: error, job: job.kind, key: job.key, attempts: attempt - 1, ...job.log }, "a job could not run, and no retry is left: dropped");
        this.observer?.dropped(job.kind);
        return;
      }
      this.failures.set(job.key, attempt);
      log.error({ err: error, job: job.kind, key: job.key, attempt, ...job.log }, "a job could not run: trying again later");
      this.waits.schedule(job.key, clock() + delay, () => void this.fire(job, "a job that failed"));
    }
  }

  /** Enqueues a job a timer fired, full queue or not; false (logged) when the queue is closed. */
  private fire(job: Job, what: string): boolean {
    try {
      this.accept(job, true);
      return true;
    } catch (error) {
      this.options.log.error({ err: error, job: job.kind, key: job.key, ...job.log }, `cannot queue ${what}`);
      return false;
    }
  }
}
