// The keys a person's event came for lately, per installation, in Redis: the queue in Redis runs the
// freshest of them ahead of the tickets' arrival order — as the in-process FairLine does — but at
// most FRESH_IN_A_ROW tickets in a row on one replica run a fresh key before their own (every ticket
// runs its own key too: the tickets' first-come-first-served order still moves). A review arriving
// behind its installation's backlog then runs at the next slot that installation gets, on any replica.
import type { Redis } from "ioredis";
import { LuaScript } from "../../github/lua-script.js";
import { LruCache } from "../../github/lru-cache.js";
import { FRESH_IN_A_ROW, FRESH_MS } from "./fair-line.js";

/** Keys kept per installation at most: the 1,000 touched last (others wait their ticket's turn). */
export const MAX_FRESH = 1_000;
/** A set of fresh keys goes this long after its last touch (its keys are stale long before). */
export const FRESH_SET_MS = FRESH_MS * 2;

/** Forgets KEYS[1]'s member ARGV[1] if its touch is not after ARGV[2]: a run starting then serves it. */
const SERVED = new LuaScript(
  `
local touched = redis.call("ZSCORE", KEYS[1], ARGV[1])
if touched and tonumber(touched) <= tonumber(ARGV[2]) then redis.call("ZREM", KEYS[1], ARGV[1]) end
return 0`,
  1,
);

export class FreshKeys {
  /** Per installation, how many fresh keys its last ticket runs on this replica took in a row (10,000 installations at most). */
  private readonly inARow = new LruCache<string, number>({ maxEntries: 10_000 });

  constructor(
    private readonly redis: Redis,
    /** The sorted set of a group's fresh keys (member: key; score: when a person's event last came); a put touches it (PUT, redis-scripts.ts). */
    readonly setOf: (group: string) => string,
    private readonly clock: () => number,
  ) {}

  /**
   * The freshest key of `group` to run before a ticket's own, taken out of the set; undefined when
   * none is fresh, or when the last FRESH_IN_A_ROW ticket runs of `group` on this replica took one.
   */
  async take(group: string): Promise<string | undefined> {
    const inARow = this.inARow.get(group) ?? 0;
    if (inARow >= FRESH_IN_A_ROW) {
      this.inARow.delete(group);
      return undefined;
    }
    const set = this.setOf(group);
    const answers = await this.redis.multi().zremrangebyscore(set, "-inf", `(${this.clock() - FRESH_MS}`).zpopmax(set).exec();
    const popped = answers?.[1]?.[1] as string[] | undefined;
    const key = popped?.[0];
    if (key !== undefined) this.inARow.set(group, inARow + 1);
    else this.inARow.delete(group);
    return key;
  }

  /** The run of `key` starts at `at`: the events before are its; one after keeps the key fresh. */
  async served(group: string, key: string, at: number): Promise<void> {
    await SERVED.run(this.redis, [this.setOf(group)], [key, at]);
  }
}
