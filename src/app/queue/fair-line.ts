// A line of keys waiting to run, fair between installations: the installations take turns, so one
// busy organisation (a burst of a hundred PRs, a policy push) does not hold up a review in another —
// whose own budget at GitHub is idle. Within an installation, its newest key goes first while it is
// fresh (arrived within FRESH_MS: a person is likely waiting on it), but never twice in a row; else
// its oldest: a review arriving behind the installation's own backlog runs at its next turn instead
// of after the whole backlog, and the oldest key still runs at least every other turn (no key waits
// more than twice as many turns as first come, first served would make it).

/** How long a key counts as fresh: a person who just reviewed or pushed looks for the check within it. */
export const FRESH_MS = 30_000;

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

/** One installation's keys in arrival order, taken from either end; each operation costs O(1). */
class Keys {
  private readonly nodes = new Map<string, NonNullable<Node>>();
  private oldest: Node = undefined;
  private newest: Node = undefined;
  /** Whether the last take was of the newest key. */
  private tookNewest = false;

  get size(): number {
    return this.nodes.size;
  }

  /** Adds `key` at the newest end; false when it is already waiting (it keeps its place). */
  add(key: string, now: number): boolean {
    if (this.nodes.has(key)) return false;
    const node = { key, at: now, older: this.newest, newer: undefined };
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
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
    this.nodes.delete(key);
    return true;
  }

  /** The newest key while fresh, unless the last take was the newest; else the oldest. */
  take(now: number): string | undefined {
    const newest = this.newest;
    this.tookNewest = !this.tookNewest && newest !== undefined && now - newest.at <= FRESH_MS;
    const node = this.tookNewest ? newest : this.oldest;
    if (node === undefined) return undefined;
    this.delete(node.key);
    return node.key;
  }
}

type Node = { key: string; at: number; older: Node; newer: Node } | undefined;

export class FairLine {
  /** Per group, its keys; the map's own order is the groups' turns. */
  private readonly groups = new Map<string, Keys>();
  private count = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.count;
  }

  add(group: string, key: string): void {
    let keys = this.groups.get(group);
    if (keys === undefined) {
      keys = new Keys();
      this.groups.set(group, keys);
    }
    if (keys.add(key, this.clock())) this.count += 1;
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

/**
 * The runs of one line in one process, per installation group, each group within its share of the
 * line's slots (shareOf): both queues keep a busy installation, whose runs wait on its own GitHub
 * budget, from holding every slot. And while a group's GitHub budget is spent ahead (`spentAhead`,
 * from the pacer), it starts no run beyond its first: more runs would not go faster — they share
 * one budget — but each would take longer, and so would a review arriving behind them.
 */
export class GroupShares {
  private readonly active = new Map<string, number>();
  private spentAhead: (group: string) => boolean = () => false;

  constructor(private readonly share: number) {}

  /** Where the queue learns that a group's GitHub budget is spent ahead (the pacer). */
  paceWith(spentAhead: (group: string) => boolean): void {
    this.spentAhead = spentAhead;
  }

  /** Whether `group` may start a run now: below its share, and its first run or its budget not spent ahead. */
  mayEnter(group: string): boolean {
    const active = this.active.get(group) ?? 0;
    return active < this.share && (active === 0 || !this.spentAhead(group));
  }

  /** Takes a place for `group` if it may start a run; false when it may not. */
  tryEnter(group: string): boolean {
    if (!this.mayEnter(group)) return false;
    this.active.set(group, (this.active.get(group) ?? 0) + 1);
    return true;
  }

  leave(group: string): void {
    const left = (this.active.get(group) ?? 1) - 1;
    if (left <= 0) this.active.delete(group);
    else this.active.set(group, left);
  }
}
