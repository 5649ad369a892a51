// A line of keys waiting to run, fair between installations: the installations take turns, so one
// busy organisation (a burst of a hundred PRs, a policy push) does not hold up a review in another —
// whose own budget at GitHub is idle. Within an installation, the key a person's event came for last
// goes first while that is fresh (within FRESH_MS: the person is likely waiting on it), up to
// FRESH_IN_A_ROW times in a row; then its oldest: a review arriving behind the installation's own
// backlog runs at its next turn instead of after the whole backlog, and the oldest key still runs at
// least every FRESH_IN_A_ROW + 1 turns (no key waits more than that many times the turns first
// come, first served would make it).
import { LruCache } from "../../github/lru-cache.js";

/** How long a key counts as fresh: a person who just reviewed or pushed looks for the check within it. */
export const FRESH_MS = 30_000;

/**
 * How many fresh keys go before the oldest: three, so that one person's review is not held behind
 * the fresh keys of a burst that just arrived (each of them fresh too), while the oldest still runs
 * at least every fourth turn.
 */
export const FRESH_IN_A_ROW = 3;

/** The group of a job: its installation, or one group for jobs of none. */
export function groupOf(installationId: number | undefined): string {
  return installationId === undefined ? "-" : String(installationId);
}

/**
 * How many runs of one line one installation may have at once: all but a quarter of the line's
 * slots, from four slots up (below that, all: a line that small is one installation's). An
 * installation's runs wait on its own GitHub budget; the slots kept free let another's review
 * start at once.
 */
export function shareOf(slots: number): number {
  return slots < 4 ? slots : slots - Math.floor(slots / 4);
}

/** A waiting key, in two orders: of arrival, and of a person's last event on it. */
interface Node {
  key: string;
  /** When a person's event last came for it (clock ms); undefined: none did (a retry, bulk work). */
  touched: number | undefined;
  older: Node | undefined;
  newer: Node | undefined;
  touchedBefore: Node | undefined;
  touchedAfter: Node | undefined;
}

/**
 * One installation's keys: in arrival order (the oldest is taken from one end) and in the order of
 * a person's last event (the freshest from the other). Adding, deleting and taking cost O(1), but
 * placing a key by its touch walks past the keys touched at that moment or later (at most the keys
 * waiting: the in-process queue's MAX_WAITING).
 */
class Keys {
  private readonly nodes = new Map<string, Node>();
  private oldest: Node | undefined;
  private newest: Node | undefined;
  private leastTouched: Node | undefined;
  private lastTouched: Node | undefined;
  /** How many of the last takes in a row were of the freshest key. */
  private freshInARow = 0;

  get size(): number {
    return this.nodes.size;
  }

  /**
   * Adds `key` at the newest end, placed by `touched`; false when it is already waiting: it keeps
   * its place of arrival, and a later touch moves it among the touched.
   */
  add(key: string, touched: number | undefined): boolean {
    const found = this.nodes.get(key);
    if (found !== undefined) {
      if (touched !== undefined && (found.touched === undefined || touched > found.touched)) {
        this.unlinkTouched(found);
        found.touched = touched;
        this.linkTouched(found);
      }
      return false;
    }
    const node: Node = { key, touched, older: this.newest, newer: undefined, touchedBefore: undefined, touchedAfter: undefined };
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
    this.linkTouched(node);
    this.nodes.set(key, node);
    return true;
  }

  delete(key: string): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    this.unlinkTouched(node);
    this.nodes.delete(key);
    return true;
  }

  /** The key a person touched last while fresh, unless FRESH_IN_A_ROW such keys went just before; else the oldest. */
  take(now: number): string | undefined {
    const freshest = this.lastTouched;
    const fresh = this.freshInARow < FRESH_IN_A_ROW && freshest?.touched !== undefined && now - freshest.touched <= FRESH_MS;
    this.freshInARow = fresh ? this.freshInARow + 1 : 0;
    const node = fresh ? freshest : this.oldest;
    if (node === undefined) return undefined;
    this.delete(node.key);
    return node.key;
  }

  /**
   * Places a touched `node` among the touched: after those touched before it, before those touched
   * at the same moment or later (keys of one delivery keep their order). Untouched keys are never
   * fresh and are not placed.
   */
  private linkTouched(node: Node): void {
    const at = node.touched;
    if (at === undefined) return;
    let before = this.lastTouched;
    while (before !== undefined && (before.touched as number) >= at) before = before.touchedBefore;
    const after = before === undefined ? this.leastTouched : before.touchedAfter;
    node.touchedBefore = before;
    node.touchedAfter = after;
    if (before) before.touchedAfter = node;
    else this.leastTouched = node;
    if (after) after.touchedBefore = node;
    else this.lastTouched = node;
  }

  private unlinkTouched(node: Node): void {
    if (node.touched === undefined) return;
    if (node.touchedBefore) node.touchedBefore.touchedAfter = node.touchedAfter;
    else this.leastTouched = node.touchedAfter;
    if (node.touchedAfter) node.touchedAfter.touchedBefore = node.touchedBefore;
    else this.lastTouched = node.touchedBefore;
    node.touchedBefore = node.touchedAfter = undefined;
  }
}

export class FairLine {
  /** Per group, its keys; the map's own order is the groups' turns. */
  private readonly groups = new Map<string, Keys>();
  private count = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.count;
  }

  /**
   * Adds `key` to `group`'s keys (where it waits already, it keeps its place). `touched`: when a
   * person's event last came for it (clock ms; undefined: none did, and it is never fresh).
   */
  add(group: string, key: string, touched: number | undefined): void {
    let keys = this.groups.get(group);
    if (keys === undefined) {
      keys = new Keys();
      this.groups.set(group, keys);
    }
    if (keys.add(key, touched)) this.count += 1;
  }

  delete(group: string, key: string): void {
    const keys = this.groups.get(group);
    if (keys === undefined || !keys.delete(key)) return;
    this.count -= 1;
    if (keys.size === 0) this.groups.delete(group);
  }

  /**
   * Takes the next key: of the first group in turn that `may` run now, its fresh newest or its
   * oldest (Keys.take); that group goes to the back of the turns. Costs at most one look per group.
   */
  take(may: (group: string) => boolean): { group: string; key: string } | undefined {
    const now = this.clock();
    for (const [group, keys] of this.groups) {
      if (!may(group)) continue;
      const key = keys.take(now) as string;
      this.count -= 1;
      this.groups.delete(group);
      if (keys.size > 0) this.groups.set(group, keys);
      return { group, key };
    }
    return undefined;
  }
}

/** How many runs an installation not seen lately may have at once, before its budget says more. */
export const START_LIMIT = 1;

/**
 * The runs of one line in one process, per installation group, each group within its share of the
 * line's slots (shareOf): both queues keep a busy installation, whose runs wait on its own GitHub
 * budget, from holding every slot. Within that share a group's runs adapt to its budget at GitHub
 * (`spentAhead`, from the pacer): a run that ends while the budget is spent ahead halves how many the
 * group may have, one that ends while it is not adds one (between 1 and the share). More runs
 * would not go faster on a spent budget — they share it — but each would take longer, and so would
 * a review arriving behind them; on a budget with room, as many run as the share allows. A group
 * starts from START_LIMIT, not its share: a burst into an idle installation would otherwise start
 * its whole share at once, whose writes the spacing then spreads over seconds, while a review
 * arriving next waits for all of them; a budget with room grows the limit by one a run.
 */
export class GroupShares {
  private readonly active = new Map<string, number>();
  /** Per group, how many runs it may have now (START_LIMIT when unknown); the 10,000 groups seen last. */
  private readonly limits = new LruCache<string, number>({ maxEntries: 10_000 });
  private spentAhead: (group: string) => boolean = () => false;

  constructor(private readonly share: number) {}

  /** Where the queue learns that a group's GitHub budget is spent ahead (the pacer). */
  paceWith(spentAhead: (group: string) => boolean): void {
    this.spentAhead = spentAhead;
  }

  /** How many runs `group` may have now. */
  limitOf(group: string): number {
    return this.limits.get(group) ?? Math.min(START_LIMIT, this.share);
  }

  /** Whether `group` may start a run now. */
  mayEnter(group: string): boolean {
    return (this.active.get(group) ?? 0) < this.limitOf(group);
  }

  /** Takes a place for `group` if it may start a run; false when it may not. */
  tryEnter(group: string): boolean {
    if (!this.mayEnter(group)) return false;
    this.active.set(group, (this.active.get(group) ?? 0) + 1);
    return true;
  }

  /** A run of `group` ended: its place is free and, if a job ran (`ran`), how many it may have follows its budget. */
  leave(group: string, ran = true): void {
    const left = (this.active.get(group) ?? 1) - 1;
    if (left <= 0) this.active.delete(group);
    else this.active.set(group, left);
    if (!ran) return;
    const limit = this.limitOf(group);
    this.limits.set(group, this.spentAhead(group) ? Math.max(1, Math.floor(limit / 2)) : Math.min(this.share, limit + 1));
  }
}
