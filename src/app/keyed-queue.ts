// Serialises the work of one key (the evaluations of one pull request) in this process and
// coalesces bursts: while one runs, every item that arrives is folded into exactly one more run after it.

/** A caller waiting for a run: told the run's error, or undefined. */
type Waiter = (error: unknown) => void;

interface Slot<T> {
  /** What the next run will do: every item that arrived during the current run, merged. */
  pending: T | undefined;
  /** Callers waiting for that next run. */
  waiting: Waiter[];
}

/**
 * Runs `work` for keyed items, never two at once for one key. An evaluation gathers its facts
 * fresh when it starts, so the run after a burst sees facts at least as new as the last event of
 * the burst: running once more is enough, running once per event is waste.
 */
export class KeyedQueue<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private idleWaiters: (() => void)[] = [];

  /**
   * @param work a throw is passed to `onError` (and to `settle`'s callers); the key's next run goes on.
   * @param merge folds a newer request into a pending one (say, a forced re-run stays forced).
   */
  constructor(
    private readonly work: (item: T) => Promise<void>,
    private readonly merge: (pending: T, newer: T) => T,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs `item` now, or after the current run of its key; resolves when the run that covers it has finished. */
  async run(key: string, item: T): Promise<void> {
    await this.settle(key, item);
  }

  /** As `run`, resolving with what the run that covers `item` threw (already passed to `onError`), or undefined. */
  settle(key: string, item: T): Promise<unknown> {
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

  private async drain(key: string, slot: Slot<T>, first: T, firstWaiting: Waiter[]): Promise<void> {
    let item = first;
    let waiting = firstWaiting;
    for (;;) {
      let failure: unknown;
      try {
        await this.work(item);
      } catch (error) {
        failure = error ?? new Error("a queued run failed");
        this.onError(error);
      }
      for (const resolve of waiting) resolve(failure);
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
