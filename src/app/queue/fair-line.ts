// A line of keys waiting to run, fair between installations: each installation's keys wait in
// arrival order, and the installations take turns, so one busy organisation (a burst of a hundred
// PRs, a policy push) does not hold up a review in another — whose own budget at GitHub is idle.

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

export class FairLine {
  /** Per group, its keys in arrival order; the map's own order is the groups' turns. */
  private readonly groups = new Map<string, Set<string>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(group: string, key: string): void {
    let keys = this.groups.get(group);
    if (keys === undefined) {
      keys = new Set();
      this.groups.set(group, keys);
    }
    if (!keys.has(key)) {
      keys.add(key);
      this.count += 1;
    }
  }

  delete(group: string, key: string): void {
    const keys = this.groups.get(group);
    if (keys === undefined || !keys.delete(key)) return;
    this.count -= 1;
    if (keys.size === 0) this.groups.delete(group);
  }

  /**
   * Takes the next key: the oldest of the first group in turn that `may` run now; that group goes
   * to the back of the turns. Costs at most one look per group.
   */
  take(may: (group: string) => boolean): { group: string; key: string } | undefined {
    for (const [group, keys] of this.groups) {
      if (!may(group)) continue;
      const key = keys.values().next().value as string;
      keys.delete(key);
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
 * budget, from holding every slot.
 */
export class GroupShares {
  private readonly active = new Map<string, number>();

  constructor(private readonly share: number) {}

  /** Whether `group` is below its share now. */
  mayEnter(group: string): boolean {
    return (this.active.get(group) ?? 0) < this.share;
  }

  /** Takes a place for `group` if it is below its share; false when it is not. */
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
