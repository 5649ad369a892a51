// Where the pacer (pacing.ts) keeps each installation's budgets, slots and pauses: in this process
// (one replica), or in Redis (redis-stores.ts) so that every replica of the app shares them.

/**
 * One budget a request draws from, as a generic cell rate algorithm (GCRA): `capacity` units may
 * go at once, after which one unit comes back every `intervalMs`. A spacing of writes is a budget
 * of capacity 1; GitHub's points per minute a budget of points.
 */
export interface Budget {
  name: string;
  capacity: number;
  /** Milliseconds for one unit to come back. */
  intervalMs: number;
  /** Units this request takes. */
  cost: number;
}

/** What a reservation says: go after `waitMs`, or GitHub asked the installation to hold for `pausedMs` more. */
export type Reservation = { waitMs: number } | { pausedMs: number };

/** The shared state of the pacer, per installation. Every method is atomic where replicas share it. */
export interface PacingStore {
  /**
   * Takes this request's share of every budget, to be sent after `waitMs` (FIFO: a later
   * reservation never goes before an earlier one), unless the installation is paused: then
   * nothing is taken and the pause's remainder is returned.
   */
  reserve(installation: string, budgets: readonly Budget[]): Promise<Reservation>;
  /** Holds one of `limit` slots as `id` for at most `leaseMs` (a replica that dies frees its slots); false when all are held. */
  acquire(installation: string, id: string, limit: number, leaseMs: number): Promise<boolean>;
  release(installation: string, id: string): Promise<void>;
  /** No request of the installation goes for `ms` from now (a longer pause already set stands). */
  pause(installation: string, ms: number): Promise<void>;
}

/**
 * The reservation of a set of budgets at `now`, given each budget's theoretical arrival time
 * (`tats`, epoch ms, 0 when unknown): the common send time is the latest any budget allows, and
 * every budget is charged as of that time, so that none admits more than its capacity in any
 * window. Pure: the memory store applies it directly, the Redis store runs the same steps in Lua.
 */
export function reserveAt(now: number, budgets: readonly Budget[], tats: readonly number[]): { sendAt: number; tats: number[] } {
  let sendAt = now;
  budgets.forEach((budget, i) => {
    const tat = Math.max(tats[i] ?? 0, now);
    // The earliest moment this budget lets `cost` more units go.
    const allowAt = tat + budget.cost * budget.intervalMs - budget.capacity * budget.intervalMs;
    sendAt = Math.max(sendAt, allowAt);
  });
  return { sendAt, tats: budgets.map((budget, i) => Math.max(tats[i] ?? 0, sendAt) + budget.cost * budget.intervalMs) };
}

/** Entries kept at most per map: installations seen by this process (a few per organisation using the app). */
const MAX_INSTALLATIONS = 10_000;

/** The pacer's state in this process: right for one replica. */
export class MemoryPacingStore implements PacingStore {
  private readonly tats = new Map<string, number>();
  private readonly slots = new Map<string, Map<string, number>>();
  private readonly pauses = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  reserve(installation: string, budgets: readonly Budget[]): Promise<Reservation> {
    const now = this.clock();
    const pausedUntil = this.pauses.get(installation) ?? 0;
    if (pausedUntil > now) return Promise.resolve({ pausedMs: pausedUntil - now });
    const keys = budgets.map((budget) => `${installation}|${budget.name}`);
    const reserved = reserveAt(
      now,
      budgets,
      keys.map((key) => this.tats.get(key) ?? 0),
    );
    keys.forEach((key, i) => this.tats.set(key, reserved.tats[i] as number));
    if (this.tats.size > MAX_INSTALLATIONS * 4) this.forgetIdle(now);
    return Promise.resolve({ waitMs: reserved.sendAt - now });
  }

  acquire(installation: string, id: string, limit: number, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    let held = this.slots.get(installation);
    if (!held) {
      held = new Map();
      this.slots.set(installation, held);
    }
    for (const [slot, expires] of held) if (expires <= now) held.delete(slot);
    if (held.size >= limit) return Promise.resolve(false);
    held.set(id, now + leaseMs);
    return Promise.resolve(true);
  }

  release(installation: string, id: string): Promise<void> {
    const held = this.slots.get(installation);
    held?.delete(id);
    if (held?.size === 0) this.slots.delete(installation);
    return Promise.resolve();
  }

  pause(installation: string, ms: number): Promise<void> {
    const until = this.clock() + ms;
    if ((this.pauses.get(installation) ?? 0) < until) this.pauses.set(installation, until);
    if (this.pauses.size > MAX_INSTALLATIONS) for (const [key, at] of this.pauses) if (at <= this.clock()) this.pauses.delete(key);
    return Promise.resolve();
  }

  /** Budgets whose arrival time has passed hold nothing: forgetting them changes no answer. */
  private forgetIdle(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }
}
