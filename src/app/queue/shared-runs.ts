// The runs of an installation under way on every replica, counted in Redis: GroupShares (fair-line.ts)
// lets a replica start a run of an installation while that installation's runs on THIS replica are
// under its limit; with two replicas each kept at least one, so an installation whose GitHub budget is
// spent ran two at once (and a review arriving next waited behind both, and then shared the budget
// with both). A place here is taken after GroupShares's: at most `limit` runs of an installation's
// line are under way across all replicas, `limit` being the taking replica's own (AIMD) limit.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { LuaScript } from "../../github/lua-script.js";
import { ACQUIRE_SLOT, NOW } from "../../github/redis-stores.js";
import type { JobPriority } from "../ports.js";
import { GroupShares, shareOf } from "./fair-line.js";
import type { Slots } from "./jobs.js";

/** Extends a place still held (ARGV[1]) by ARGV[2] ms; 0 when it was lost (the lease ran out). */
const RENEW = new LuaScript(
  `${NOW}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`,
  1,
);

/**
 * How long a place outlives the replica holding it, at most (renewed every third of it): a replica
 * killed holding its installation's only place holds up that installation's runs on every replica
 * until then — 10 s, not the PR lease's 30 s (or COMPLIANCE_QUEUE_LEASE's up to 300 s).
 */
export const PLACE_LEASE_MS = 10_000;

/** A place held: `leave` frees it (it never rejects); `ran`: whether a job ran in it (GroupShares.leave). */
export interface Place {
  leave(ran: boolean): Promise<void>;
}

/** The places of runs of the queue in Redis: per line, GroupShares on this replica, and the count on all. */
export class RunPlaces {
  private readonly shares: Record<JobPriority, GroupShares>;
  private readonly leaseMs: number;

  constructor(
    private readonly redis: Redis,
    slots: Slots,
    /** The sorted set of one line's runs of one installation group. */
    private readonly setOf: (line: JobPriority, group: string) => string,
    /** How long a place outlives a replica that stopped renewing it (died): the queue's lease, at most PLACE_LEASE_MS. */
    leaseMs: number,
  ) {
    this.leaseMs = Math.min(leaseMs, PLACE_LEASE_MS);
    this.shares = { interactive: new GroupShares(shareOf(slots.interactive)), bulk: new GroupShares(shareOf(slots.bulk)) };
  }

  /** Where the groups' limits learn that a GitHub budget is spent ahead (the pacer). */
  paceWith(spentAhead: (installation: string) => boolean): void {
    for (const shares of Object.values(this.shares)) shares.paceWith(spentAhead);
  }

  /** Whether this replica's runs of `group` on `line` are under its limit (no Redis asked): a ticket refused here goes back at once. */
  mayEnter(line: JobPriority, group: string): boolean {
    return this.shares[line].mayEnter(group);
  }

  /**
   * A place for a run of `group` on `line`, if this replica's runs of it are under its limit and so
   * are those of every replica; else undefined (the ticket goes back). Rejects when Redis does (the
   * ticket fails and runs again). A held place is renewed every third of the lease until left.
   */
  async enter(line: JobPriority, group: string): Promise<Place | undefined> {
    const shares = this.shares[line];
    if (!shares.tryEnter(group)) return undefined;
    const [set, id] = [this.setOf(line, group), randomUUID()];
    let taken = false;
    try {
      taken = (await ACQUIRE_SLOT.run(this.redis, [set], [id, shares.limitOf(group), this.leaseMs])) === 1;
    } finally {
      if (!taken) shares.leave(group, false);
    }
    if (!taken) return undefined;
    // Redis away for a while: the place expires, and at worst one more run of the group starts elsewhere.
    const renew = setInterval(() => void RENEW.run(this.redis, [set], [id, this.leaseMs]).catch(() => undefined), Math.max(100, Math.floor(this.leaseMs / 3)));
    renew.unref();
    return {
      leave: async (ran) => {
        clearInterval(renew);
        await this.redis.zrem(set, id).catch(() => undefined);
        shares.leave(group, ran); // a ticket that ran no job says nothing of the budget
      },
    };
  }
}
