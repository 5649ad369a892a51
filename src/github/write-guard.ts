// A check a caller sets for the writes made in an async context, asked by the pacer (pacing.ts) once
// a write is admitted and just before it is sent: the pacer may hold a write for seconds, and what
// allowed it when it was asked for (a queue's lease, say) may no longer hold when it goes.
import { AsyncLocalStorage } from "node:async_hooks";

/** Throws (or rejects) when the write must not go; its error is carried by WriteRefused. */
export type WriteGuard = () => Promise<void>;

/** A write its guard refused: nothing was sent. `reason` is what the guard threw. */
export class WriteRefused extends Error {
  override readonly name = "WriteRefused";

  constructor(readonly reason: unknown) {
    super(`a write was refused before it was sent: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

const guards = new AsyncLocalStorage<WriteGuard>();

/** Runs `work` with `guard` asked before each write it makes (within the writes of an outer guard, if any: both are asked). */
export function guardingWrites<T>(guard: WriteGuard, work: () => Promise<T>): Promise<T> {
  const outer = guards.getStore();
  const both: WriteGuard = outer === undefined ? guard : async () => (await outer(), await guard());
  return guards.run(both, work);
}

/** Asks the guard of the current context, if any: WriteRefused when it refuses. */
export async function mayWrite(): Promise<void> {
  const guard = guards.getStore();
  if (guard === undefined) return;
  try {
    await guard();
  } catch (error) {
    throw new WriteRefused(error);
  }
}
