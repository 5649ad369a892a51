// In-process timers that re-evaluate a pull request when a freeze window opens or closes, so its
// check flips without waiting for an event (SPEC §3.1).
//
// Multi-replica deployments: these timers live in the process that last evaluated the PR and die
// with it. A restart or deploy loses them, and with several replicas each one keeps timers for the
// PRs it evaluated (duplicates are harmless: evaluations are idempotent). A deployment that must
// never show a stale check across a freeze edge should either run the timers on one replica only
// (COMPLIANCE_FREEZE_TIMERS=off on the others, with every delivery still handled by any replica)
// plus a periodic sweep, or rely on a periodic sweep alone: a scheduled job that re-evaluates every
// open PR of every installation shortly after each freeze edge (e.g. every 5 minutes). The sweep
// is what survives restarts; the timers only make the common case immediate.

/** The timer functions, injectable so tests can move time without waiting. */
export interface TimerApi {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Node's timers, unref'd: a pending freeze edge must not keep the process alive on shutdown. */
export const NODE_TIMERS: TimerApi = {
  set(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** setTimeout fires at once for delays above this (a signed 32-bit millisecond count, ~24.8 days). */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** Timers kept at most: one per open PR (or merge group) with a freeze edge ahead. */
const MAX_TIMERS = 10_000;

interface Scheduled {
  at: number;
  handle: unknown;
  /** Replaced by every schedule, even for the same deadline: it carries the latest facts (base, head). */
  fire: () => void;
}

/** One timer per key (a PR or a merge group), firing at the next freeze transition. */
export class FreezeTimers {
  private readonly timers = new Map<string, Scheduled>();

  constructor(
    private readonly clock: () => number,
    private readonly api: TimerApi = NODE_TIMERS,
    private readonly maxTimers = MAX_TIMERS,
  ) {}

  /**
   * Calls `fire` at `at` (epoch ms), replacing the key's previous timer and callback; null cancels
   * it. A deadline beyond setTimeout's range is reached in hops. Returns false when the bound of
   * timers is reached and the key had none (the caller logs it).
   */
  schedule(key: string, at: number | null, fire: () => void): boolean {
    if (at === null) {
      this.cancel(key);
      return true;
    }
    const existing = this.timers.get(key);
    if (existing?.at === at) {
      // Same deadline, newer callback: the old one would re-evaluate with the base and head of
      // an older evaluation (a PR retargeted since), so it must not be the one that fires.
      existing.fire = fire;
      return true;
    }
    if (existing) this.api.clear(existing.handle);
    else if (this.timers.size >= this.maxTimers) return false;
    this.arm(key, { at, handle: undefined, fire });
    return true;
  }

  private arm(key: string, scheduled: Scheduled): void {
    const delay = Math.min(Math.max(0, scheduled.at - this.clock()), MAX_TIMER_DELAY);
    scheduled.handle = this.api.set(() => {
      if (this.timers.get(key) !== scheduled) return;
      // Not there yet (a hop of a long delay, or a timer firing a little early): wait the rest.
      if (this.clock() < scheduled.at) {
        this.arm(key, scheduled);
        return;
      }
      this.timers.delete(key);
      scheduled.fire();
    }, delay);
    this.timers.set(key, scheduled);
  }

  /** Cancels the key's timer, if any. */
  cancel(key: string): void {
    const existing = this.timers.get(key);
    if (!existing) return;
    this.api.clear(existing.handle);
    this.timers.delete(key);
  }

  /** Cancels the timers of a pull request (`owner/repo#n`) and of its merge groups (`owner/repo#n@sha`). */
  cancelPull(pullKey: string): void {
    for (const key of [...this.timers.keys()]) if (key === pullKey || key.startsWith(`${pullKey}@`)) this.cancel(key);
  }

  /** When the key's timer fires, or undefined. */
  deadline(key: string): number | undefined {
    return this.timers.get(key)?.at;
  }

  get size(): number {
    return this.timers.size;
  }

  /** Cancels everything (shutdown, tests). */
  clear(): void {
    for (const key of [...this.timers.keys()]) this.cancel(key);
  }
}
