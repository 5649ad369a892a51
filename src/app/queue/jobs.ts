// What both queues (in this process, and in Redis) share: the table of job handlers, how two jobs of
// one key fold into one, what a run may ask of its lease, and the bounds on waiting and failing.
import { NODE_TIMERS, type TimerApi } from "../freeze-timers.js";
import type { Job, JobPriority, Later } from "../ports.js";

/**
 * What a run holds while it runs: its key, against every other replica. A run that lost it (it
 * stalled past its lease, and another replica may run the key now) must write nothing more.
 */
export interface Lease {
  /** Throws LeaseLost when the run no longer holds its key. */
  assertHeld(): Promise<void>;
}

/** This run no longer holds its key: another run of it may be under way, so nothing may be written. */
export class LeaseLost extends Error {
  override readonly name = "LeaseLost";
}

/** A lease always held: a run outside a queue's (a test's, a command's), whose ports need no fence. */
export const HELD: Lease = { assertHeld: () => Promise.resolve() };

/** What runs a kind of job. */
export interface JobHandler {
  /**
   * Runs the job. A throw means it could not run (no client could be built, say): the queue runs
   * it again later, with backoff; RetryLater says when.
   */
  run(job: Job, lease: Lease): Promise<void>;
  /** Folds a newer job into one of the same key still waiting to run. Default: the newer replaces it. */
  merge?(pending: Job, newer: Job): Job;
  /**
   * Whether a job that keeps failing is tried for a day (KeepTrying) before it is dropped, rather than
   * after FAILURE_DELAYS_MS alone: a job whose loss leaves a check showing what no longer holds —
   * an evaluation after a dismissal must not leave the old success standing.
   */
  keepTrying?: boolean;
  /**
   * How long a run of this kind may go before it is abandoned, if not the queue's `runDeadlineMs`
   * (RUN_DEADLINE_MS): a job that walks a whole installation's repositories (an enforcement sweep)
   * may rightly take longer than an evaluation.
   */
  deadlineMs?: number;
}

/** The kinds of jobs and their handlers, registered once at start (app/gate.ts). */
export class JobTable {
  private readonly handlers = new Map<string, JobHandler>();

  handle(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** The run deadline of jobs of the kind, when its handler sets one (undefined for a kind nothing registered). */
  deadlineOf(kind: string): number | undefined {
    return this.handlers.get(kind)?.deadlineMs;
  }

  /** Whether jobs of the kind keep trying for a day (false for a kind nothing registered). */
  keepsTrying(kind: string): boolean {
    return this.handlers.get(kind)?.keepTrying === true;
  }

  /** Whether a handler runs jobs of the kind (not one only a newer version knows, queued by a newer replica during a rolling deploy). */
  knows(kind: string): boolean {
    return this.handlers.has(kind);
  }

  /** The handler of a kind; throws UnknownKind for a kind nothing registered. */
  of(kind: string): JobHandler {
    const handler = this.handlers.get(kind);
    if (handler === undefined) throw new UnknownKind(kind);
    return handler;
  }

  /** `newer` folded into `pending` by its kind's merge (of a kind nothing registered, the default: the newer replaces it); interactive if either was. */
  merge(pending: Job, newer: Job): Job {
    const merged = pending.kind === newer.kind ? (this.handlers.get(newer.kind)?.merge?.(pending, newer) ?? newer) : newer;
    const priority = priorityOf(pending) === "interactive" || priorityOf(newer) === "interactive" ? "interactive" : "bulk";
    const { priority: _drop, ...rest } = merged;
    return priority === "bulk" ? { ...rest, priority } : rest;
  }

  /**
   * The jobs a run took (oldest first), folded: those of known kinds into the one job to run, and
   * those of each unknown kind into one (the newest stands for the others: their merge is not known
   * here), kept apart — folded with a known job, an unknown one would replace it, or throw.
   */
  fold(jobs: readonly Job[]): { job: Job | undefined; unknown: Job[] } {
    const fold = (of: readonly Job[]): Job | undefined => (of.length === 0 ? undefined : of.slice(1).reduce((pending, newer) => this.merge(pending, newer), of[0] as Job));
    const unknown = new Map<string, Job[]>();
    for (const job of jobs) if (!this.knows(job.kind)) unknown.set(job.kind, [...(unknown.get(job.kind) ?? []), job]);
    return { job: fold(jobs.filter((job) => this.knows(job.kind))), unknown: [...unknown.values()].map((same) => fold(same) as Job) };
  }
}

/** A job of a kind this version has no handler for: a failure like any other (it comes back with the failure delays, for a newer replica to run, and is dropped after them). */
export class UnknownKind extends Error {
  override readonly name = "UnknownKind";

  constructor(readonly kind: string) {
    super(`no handler for jobs of kind ${kind} in this version (a newer version's job, during a rolling deploy?)`);
  }
}

/** A job's line: interactive unless it says bulk. */
export function priorityOf(job: Job): JobPriority {
  return job.priority === "bulk" ? "bulk" : "interactive";
}

/** How many jobs run at once in one process: interactive ones, and bulk ones in slots of their own. */
export interface Slots {
  interactive: number;
  bulk: number;
}

/** Delays before a job that could not run (threw) runs again; then it is dropped, logged and counted. */
export const FAILURE_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 900_000, 1_800_000];

/** After FAILURE_DELAYS_MS, a job of a kind that keeps trying runs again `everyMs` until `forMs` have passed since its first failure. */
export interface KeepTrying {
  everyMs: number;
  forMs: number;
}

/** Every 30 minutes for a day: installation tokens unavailable for hours (GitHub's outage, a revoked key being replaced). */
export const KEEP_TRYING: KeepTrying = { everyMs: 1_800_000, forMs: 86_400_000 };

/**
 * The backoff before attempt `attempt` + 1 of a job that failed `attempt` times in a row; undefined
 * when it is to be dropped. With `keep` (a kind that keeps trying), FAILURE_DELAYS_MS is followed by
 * `keep.everyMs` until their sum reaches `keep.forMs`: bounded, so a job that can never run is
 * dropped in the end (47 runs more for the defaults: a day and 20 minutes in all).
 */
export function failureDelayMs(delays: readonly number[], attempt: number, keep: KeepTrying | undefined): number | undefined {
  const listed = delays[attempt - 1];
  if (listed !== undefined || keep === undefined) return listed;
  const spent = delays.reduce((sum, delay) => sum + delay, 0);
  const more = Math.ceil(Math.max(0, keep.forMs - spent) / keep.everyMs);
  return attempt - delays.length <= more ? keep.everyMs : undefined;
}

/** What a queue reports as it happens (app/metrics.ts counts it); the stats are read when scraped. */
export interface QueueObserver {
  /** A job that kept failing was dropped, its retries used up (`kind`: the job's). */
  dropped(kind: string): void;
  /** A new retry or timer was not set: as many as the queue keeps are set already. */
  refused(what: "retry" | "timer"): void;
}

/**
 * How long a run may go before it is abandoned (both queues' `runDeadlineMs`): 10 minutes. An
 * evaluation's requests time out at 30 s each (pacing.ts), so a healthy run never comes near it; a
 * handler whose promise never settles would otherwise hold its key (renewing its lease) forever,
 * and its PR would never be evaluated again.
 */
export const RUN_DEADLINE_MS = 600_000;

/** A run that did not settle within its deadline: abandoned, and failed like any job (run again after the failure delays). */
export class RunAbandoned extends Error {
  override readonly name = "RunAbandoned";

  constructor(readonly deadlineMs: number) {
    super(`the run did not settle within ${deadlineMs < 1_000 ? `${deadlineMs} ms` : `${Math.round(deadlineMs / 1000)} s`}: abandoned (its key let go, its later writes refused)`);
  }
}

/**
 * `run`, unless it has not settled `deadlineMs` after it started: then `abandon()` is called (the
 * queue lets the run's key go and refuses its writes from then on) and RunAbandoned is thrown. The
 * run itself cannot be stopped: it goes on, unheeded, its writes refused.
 */
export async function withinDeadline<T>(run: () => Promise<T>, deadlineMs: number, abandon: () => void, timers: TimerApi = NODE_TIMERS): Promise<T> {
  let handle: unknown;
  const late = new Promise<never>((_, reject) => {
    handle = timers.set(() => {
      abandon();
      reject(new RunAbandoned(deadlineMs));
    }, deadlineMs);
  });
  try {
    return await Promise.race([run(), late]);
  } finally {
    timers.clear(handle);
  }
}

/** A RetryLater's wait is kept within these: GitHub's retry-after is seconds to an hour. */
export const MIN_WAIT_MS = 1_000;
export const MAX_WAIT_MS = 3_600_000;

/** What a queue holds now, for /metrics and /readyz. */
export interface QueueStats {
  /** Keys with a job waiting to run now. */
  waiting: number;
  /** Runs under way (in this process). */
  active: number;
  /** Retries and timers set. */
  delayed: number;
  /** How long the oldest job waiting to run now has waited, in ms; null when none waits. */
  oldestWaitMs: number | null;
}

/** The queue the app runs on: Later, plus what the server and the wiring need of it. */
export interface AppLater extends Later {
  /** Registers the handler of a kind of job. */
  handle(kind: string, handler: JobHandler): void;
  /** Where the queue reports dropped jobs and refused timers (the app's metrics). */
  observe(observer: QueueObserver): void;
  /**
   * The job that finds again what the queue's store lost (the start-up sweep), queued once, by one
   * replica, when the store is found to have lost what it held (Redis: queue/store-loss.ts). A queue
   * in the process has none: its start is the loss, and the app sweeps then.
   */
  recoverWith?(job: Job): void;
  /** Where it learns that an installation's GitHub budget is spent ahead (the pacer): it then starts no more of its runs than one per line. */
  paceWith(spentAhead: (installation: string) => boolean): void;
  /** Whether it can take a job now (/readyz). */
  ready(): Promise<boolean>;
  stats(): Promise<QueueStats>;
  /**
   * Runs a delivery's handlers (`deliver`), then waits for the writes they started that enqueue
   * does not cover (a timer cancelled on a closed PR): QueueUnavailable when one failed.
   */
  accepting<T>(deliver: () => Promise<T>): Promise<T>;
  /** Starts running jobs (after every kind is registered). */
  start(): Promise<void>;
  /**
   * Stops taking jobs and waits up to `graceMs` for the runs under way; what is left is handed back
   * (Redis: to another replica, once its lease expires) or lost to the start-up sweep (in process).
   */
  close(graceMs: number): Promise<void>;
}
