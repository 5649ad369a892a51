// Bounded retries later, on unref'd timers: what the app does when GitHub fails it at a moment no
// webhook will come back to (a check POST refused, a policy push whose open PRs cannot be listed).
import type { TimerApi } from "./freeze-timers.js";

/** Delays before retry 1, 2, 3: GitHub's outages are mostly seconds to minutes. */
export const RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000];

/** Pending retries kept at most: each holds its job, so memory is bounded. */
const MAX_PENDING = 10_000;

interface Pending {
  handle: unknown;
  attempt: number;
}

/**
 * One pending retry per key: a newer schedule for a key replaces the older one, since the task
 * re-reads everything it needs when it runs. Tasks that fired are tracked until they settle, so
 * tests (and shutdown) can wait for them.
 */
export class Retries {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly timers: TimerApi,
    private readonly delaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  /** How many retries there are at most. */
  get attempts(): number {
    return this.delaysMs.length;
  }

  /**
   * Runs `task(attempt)` after the delay of retry `attempt` (1-based). Returns false, scheduling
   * nothing, when the attempts are used up or too many retries are pending (the caller logs it).
   * Only a first attempt is refused for the bound: a later one continues a retry this held, which
   * left the table as it fired — past MAX_PENDING by at most the jobs such retries put back on the
   * queue, itself bounded.
   */
  schedule(key: string, attempt: number, task: (attempt: number) => Promise<void>): boolean {
    const delay = this.delaysMs[attempt - 1];
    if (delay === undefined) return false;
    const existing = this.pending.get(key);
    if (existing) this.timers.clear(existing.handle);
    else if (attempt <= 1 && this.pending.size >= MAX_PENDING) return false;
    const entry: Pending = { handle: undefined, attempt };
    entry.handle = this.timers.set(() => {
      if (this.pending.get(key) !== entry) return;
      this.pending.delete(key);
      const run = task(attempt).catch(() => undefined);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, delay);
    this.pending.set(key, entry);
    return true;
  }

  /** Drops the key's pending retry: what it would have fixed is fixed. */
  cancel(key: string): void {
    const existing = this.pending.get(key);
    if (!existing) return;
    this.timers.clear(existing.handle);
    this.pending.delete(key);
  }

  /** The attempt the key's pending retry will make, or undefined. */
  pendingAttempt(key: string): number | undefined {
    return this.pending.get(key)?.attempt;
  }

  /** Retries pending. */
  get size(): number {
    return this.pending.size;
  }

  /** Tasks that fired and have not settled. */
  get active(): number {
    return this.running.size;
  }

  /** Resolves once every fired task has settled (pending timers are not waited for). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Cancels every pending retry (shutdown, tests). */
  clear(): void {
    for (const key of [...this.pending.keys()]) this.cancel(key);
  }
}
