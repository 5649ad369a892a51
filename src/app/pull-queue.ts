// Serialises the evaluations of one pull request in this process and coalesces bursts: while one
// runs, every request that arrives is folded into exactly one more run after it.

interface Slot<T> {
  /** What the next run will do: every request that arrived during the current run, merged. */
  pending: T | undefined;
  /** Callers waiting for that next run. */
  waiting: (() => void)[];
}

/**
 * Runs `work` for items keyed by pull request, never two at once for one key. An evaluation
 * gathers its facts fresh when it starts, so the run after a burst sees facts at least as new
 * as the last event of the burst: running once more is enough, running once per event is waste.
 */
export class PullQueue<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private idleWaiters: (() => void)[] = [];

  /**
   * @param work never expected to throw (the evaluator reports its own failures); a throw is passed to `onError`.
   * @param merge folds a newer request into a pending one (say, a forced re-run stays forced).
   */
  constructor(
    private readonly work: (item: T) => Promise<void>,
    private readonly merge: (pending: T, newer: T) => T,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs `item` now, or after the current run of its key; resolves when the run that covers it has finished. */
  run(key: string, item: T): Promise<void> {
    return new Promise((resolve) => {
      const slot = this.slots.get(key);
      if (slot) {
        slot.pending = slot.pending === undefined ? item : this.merge(slot.pending, item);
        slot.waiting.push(resolve);
        return;
      }
      const fresh: Slot<T> = { pending: undefined, waiting: [] };
      this.slots.set(key, fresh);
      void this.drain(key, fresh, item, [resolve]);
    });
  }

  /** Keys with a run in progress. */
  get active(): number {
    return this.slots.size;
  }

  /** Resolves once no run is in progress (tests, and timers that fire into the queue). */
  idle(): Promise<void> {
    if (this.slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(key: string, slot: Slot<T>, first: T, firstWaiting: (() => void)[]): Promise<void> {
    let item = first;
    let waiting = firstWaiting;
    for (;;) {
      try {
        await this.work(item);
      } catch (error) {
        this.onError(error);
      }
      for (const resolve of waiting) resolve();
      // No await between this check and the delete: a request arriving now either lands in
      // `pending` (and is run below) or finds no slot and starts its own drain.
      if (slot.pending === undefined) {
        this.slots.delete(key);
        break;
      }
      item = slot.pending;
      waiting = slot.waiting;
      slot.pending = undefined;
      slot.waiting = [];
    }
    if (this.slots.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
