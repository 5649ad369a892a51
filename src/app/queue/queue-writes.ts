// The writes to Redis the queue in Redis makes without its caller waiting (retries, timers, their
// cancels, the note of a ticket added): those started within a run or a delivery are awaited by it,
// and fail it; others ("loose": a timer set at start) are tried again until Redis takes them, and
// close() and idle() wait for them.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Redis } from "ioredis";
import type { Logger } from "probot";
import { untilReady } from "./redis-options.js";

export class QueueWrites {
  /** Writes started outside a run (at start, by a delivery's handlers), so close() can wait for them. */
  private readonly loose = new Set<Promise<void>>();
  /** The writes of the run (or delivery) in whose async context a write starts. */
  private readonly units = new AsyncLocalStorage<Promise<void>[]>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly closed: () => boolean,
  ) {}

  /** Runs `work` as a unit: the writes it starts are pushed on `writes`, for the caller to await. */
  unit<T>(writes: Promise<void>[], work: () => Promise<T>): Promise<T> {
    return this.units.run(writes, work);
  }

  /** The loose writes under way. */
  pending(): Promise<void>[] {
    return [...this.loose];
  }

  /** Keeps `write` among the loose writes until it settles. */
  hold(write: Promise<void>): void {
    this.loose.add(write);
    void write.finally(() => this.loose.delete(write));
  }

  /** Runs the writes of retries and timers one after another, in the order they were asked for (a cancel after its schedule). */
  serial(write: () => Promise<void>): Promise<void> {
    const run = this.tail.then(write);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * A write to Redis a caller does not wait for: the run or delivery it belongs to does, and fails
   * with it. One outside them (a timer set at start) is tried again every 5 s until Redis takes it.
   */
  track(write: () => Promise<void>): void {
    const unit = this.units.getStore();
    if (unit !== undefined) {
      const started = write();
      // Handled here as well: a run abandoned past its deadline may still write, and its unit no longer waits.
      started.catch(() => undefined);
      unit.push(started);
      return;
    }
    const loose = (async () => {
      // Set before Redis answered (a timer armed at start): wait for it rather than fail at once.
      await untilReady(this.redis, 10_000);
      for (let attempt = 1; ; attempt += 1) {
        try {
          await write();
          return;
        } catch (error) {
          if (this.closed()) return;
          if (attempt === 1) this.log.warn({ err: error }, "Redis: a retry or timer could not be written: trying again every 5 s");
          await new Promise((resolve) => setTimeout(resolve, 5_000).unref());
        }
      }
    })();
    this.hold(loose);
  }
}
