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
 * The runs of one line in one process, per installation group, each group within its share (the
 * queue in Redis: its workers take tickets in turn order, and this keeps a busy installation from
 * holding every slot while its runs wait on its own GitHub budget).
 */
export class GroupShares {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly share: number) {}

  /** Takes a place for `group`, now or once one of its runs ends within `waitMs`; false when none did. */
  async enter(group: string, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while ((this.active.get(group) ?? 0) >= this.share) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          const list = this.waiting.get(group) ?? [];
          this.waiting.set(group, list.filter((w) => w !== wake));
          resolve();
        }, left);
        this.waiting.set(group, [...(this.waiting.get(group) ?? []), wake]);
      });
    }
    this.active.set(group, (this.active.get(group) ?? 0) + 1);
    return true;
  }

  leave(group: string): void {
    const left = (this.active.get(group) ?? 1) - 1;
    if (left <= 0) this.active.delete(group);
    else this.active.set(group, left);
    const [next, ...rest] = this.waiting.get(group) ?? [];
    if (rest.length === 0) this.waiting.delete(group);
    else this.waiting.set(group, rest);
    next?.();
  }
}
