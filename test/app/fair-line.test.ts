// The fair line of the in-process queue: installations taking turns, each one's freshest key first
// (up to FRESH_IN_A_ROW times in a row), else its oldest; and how many runs one installation may
// have: within its share of a line's slots, following its GitHub budget.
import fc from "fast-check";
import pino from "pino";
import { InProcessLater } from "../../src/app/later.js";
import { FairLine, FRESH_IN_A_ROW, FRESH_MS, GroupShares, groupOf, shareOf, START_LIMIT } from "../../src/app/queue/fair-line.js";

describe("FairLine", () => {
  /** A line on a clock of the test's own, `t` ms. */
  let t = 0;
  const line = (): FairLine => new FairLine(() => t);
  const drain = (l: FairLine): string[] => {
    const taken: string[] = [];
    for (let next = l.take(() => true); next !== undefined; next = l.take(() => true)) taken.push(next.key);
    return taken;
  };
  beforeEach(() => (t = 0));

  test("installations take turns; within one, first come first served once nothing is fresh", () => {
    const l = line();
    for (const key of ["a1", "a2", "a3"]) l.add("A", key, t);
    l.add("B", "b1", t);
    l.add("A", "a1", t); // already waiting: not twice, and it keeps its place
    t = FRESH_MS + 1;
    expect(drain(l)).toEqual(["a1", "b1", "a2", "a3"]);
    expect(l.size).toBe(0);
  });

  test("fresh keys go first, up to FRESH_IN_A_ROW in a row: then the oldest", () => {
    const l = line();
    for (const key of ["a1", "a2", "a3", "a4", "a5", "a6"]) {
      l.add("A", key, t);
      t += 1;
    }
    expect(FRESH_IN_A_ROW).toBe(3);
    expect(drain(l)).toEqual(["a6", "a5", "a4", "a1", "a3", "a2"]);
  });

  test("keys touched at one moment (one delivery's jobs) keep their order", () => {
    const l = line();
    for (const key of ["a1", "a2", "a3", "a4"]) l.add("A", key, t);
    expect(drain(l)).toEqual(["a1", "a2", "a3", "a4"]);
  });

  test("a review arriving behind a stale backlog is taken at the next turn", () => {
    const l = line();
    for (let n = 1; n <= 100; n += 1) l.add("A", `burst#${n}`, t);
    t = 60_000;
    expect(l.take(() => true)?.key).toBe("burst#1");
    expect(l.take(() => true)?.key).toBe("burst#2");
    l.add("A", "review", t);
    t += 5_000;
    expect(l.take(() => true)?.key).toBe("review");
    // Two more: the newer, the other (three fresh in a row), then the oldest again.
    l.add("A", "review-2", t);
    t += 1;
    l.add("A", "review-3", t);
    const four = [1, 2, 3, 4].map(() => l.take(() => true)?.key);
    expect(four).toEqual(["review-3", "review-2", "burst#3", "burst#4"]);
    // No longer fresh: it waits its turn like any other.
    l.add("A", "late", t);
    t += FRESH_MS + 1;
    expect([l.take(() => true)?.key, l.take(() => true)?.key]).toEqual(["burst#5", "burst#6"]);
  });

  test("freshness is a person's last event: a key touched again goes first; one back after its run is placed by its own touch", () => {
    const l = line();
    for (const key of ["a1", "a2", "a3"]) l.add("A", key, t);
    t = 10;
    l.add("A", "a1", t); // a review on a1, waiting already: it keeps its place of arrival, and is the freshest
    t = 20;
    l.add("A", "a4", 5); // back after its run, for an event at 5: fresher than a2 and a3 only
    l.add("A", "a5", undefined); // a retry come due: never fresh
    expect(drain(l)).toEqual(["a1", "a4", "a2", "a3", "a5"]);
  });

  test("under a steady stream of fresh keys no key waits more than FRESH_IN_A_ROW + 1 times the turns first come, first served gives it", () => {
    const l = line();
    for (let n = 1; n <= 50; n += 1) l.add("A", `old#${n}`, t);
    const takenAt = new Map<string, number>();
    for (let turn = 1; turn <= 300; turn += 1) {
      t = turn;
      l.add("A", `new#${turn}`, t); // one arrival per turn: there is always a fresher key
      const next = l.take(() => true);
      if (next) takenAt.set(next.key, turn);
    }
    for (let n = 1; n <= 50; n += 1) expect(takenAt.get(`old#${n}`)).toBeLessThanOrEqual((FRESH_IN_A_ROW + 1) * n);
    expect(takenAt.get("old#50")).toBeGreaterThan(50); // the fresh did go first
  });

  test("a key deleted from the middle or either end leaves the others in order", () => {
    const l = line();
    for (const key of ["a1", "a2", "a3", "a4", "a5"]) l.add("A", key, t);
    l.delete("A", "a3");
    l.delete("A", "a1");
    l.delete("A", "a5");
    t = FRESH_MS + 1;
    expect(drain(l)).toEqual(["a2", "a4"]);
  });

  test("against a model: every key added is taken once, the oldest at least every FRESH_IN_A_ROW + 1 takes, and the freshest when it goes first", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), key: fc.integer({ min: 0, max: 12 }), touched: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant("take" as const), now: fc.integer({ min: 0, max: 100 + FRESH_MS }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        let now = 0;
        const l = new FairLine(() => now);
        /** The model: key -> [arrival number, touched]. */
        const model = new Map<string, [number, number | undefined]>();
        let arrivals = 0;
        let inARow = 0;
        for (const o of ops) {
          if (o.kind === "add") {
            const key = `k${o.key}`;
            l.add("A", key, o.touched);
            const found = model.get(key);
            if (!found) model.set(key, [arrivals++, o.touched]);
            else if (o.touched !== undefined && (found[1] === undefined || o.touched > found[1])) found[1] = o.touched;
          } else if (o.kind === "delete") {
            l.delete("A", `k${o.key}`);
            model.delete(`k${o.key}`);
          } else {
            now = o.now;
            const taken = l.take(() => true)?.key;
            if (model.size === 0) {
              expect(taken).toBeUndefined();
              continue;
            }
            const entries = [...model.entries()];
            const oldest = entries.reduce((a, b) => (b[1][0] < a[1][0] ? b : a))[0];
            const touched = entries.filter((e) => e[1][1] !== undefined);
            const latest = touched.length ? Math.max(...touched.map((e) => e[1][1] as number)) : undefined;
            const fresh = latest !== undefined && now - latest <= FRESH_MS;
            if (inARow < FRESH_IN_A_ROW && fresh) {
              // The freshest: one of the keys touched last.
              expect(touched.filter((e) => e[1][1] === latest).map((e) => e[0])).toContain(taken);
              inARow += 1;
            } else {
              expect(taken).toBe(oldest);
              inARow = 0;
            }
            model.delete(taken as string);
          }
          expect(l.size).toBe(model.size);
          // An installation with nothing waiting is forgotten, and starts afresh.
          if (model.size === 0) inARow = 0;
        }
      }),
      { numRuns: 300 },
    );
  });

  test("an installation that may not run now is passed over, not dropped", () => {
    const line = new FairLine();
    line.add("A", "a1", 0);
    line.add("B", "b1", 0);
    expect(line.take((group) => group !== "A")).toEqual({ group: "B", key: "b1" });
    expect(line.take((group) => group !== "A")).toBeUndefined();
    expect(line.take(() => true)).toEqual({ group: "A", key: "a1" });
  });

  test("a deleted key is gone, and its installation with it when it was the last", () => {
    const line = new FairLine();
    line.add("A", "a1", 0);
    line.add("A", "a2", 0);
    line.delete("A", "a1");
    line.delete("A", "missing");
    expect(line.size).toBe(1);
    line.delete("A", "a2");
    expect(line.take(() => true)).toBeUndefined();
  });

  test("groups and shares", () => {
    expect(groupOf(42)).toBe("42");
    expect(groupOf(undefined)).toBe("-");
    expect([1, 2, 3, 4, 8, 16].map(shareOf)).toEqual([1, 2, 3, 3, 6, 12]);
  });
});

test("the in-process queue gives one installation at most its share of a line's slots", async () => {
  const later = new InProcessLater({ clock: Date.now, log: pino({ level: "silent" }), slots: { interactive: 4, bulk: 1 } });
  let release = (): void => undefined;
  const hold = new Promise<void>((resolve) => (release = resolve));
  let running = 0;
  let most = 0;
  later.handle("work", {
    run: async (job) => {
      running += 1;
      most = Math.max(most, running);
      if (!job.key.startsWith("warm")) await hold;
      running -= 1;
    },
  });
  await later.start();
  // Runs ending with room at GitHub (no pacer here) raise the installation's limit from START_LIMIT to its share.
  for (let n = 1; n <= 3; n += 1) await later.enqueue({ kind: "work", key: `warm#${n}`, installationId: 1, payload: {} });
  await later.idle();
  for (let n = 1; n <= 6; n += 1) await later.enqueue({ kind: "work", key: `busy#${n}`, installationId: 1, payload: {} });
  await new Promise((resolve) => setImmediate(resolve));
  expect(running).toBe(3);
  await later.enqueue({ kind: "work", key: "quiet#1", installationId: 2, payload: {} });
  expect(running).toBe(4);
  release();
  await later.idle();
  expect(most).toBe(4);
});

test("GroupShares: a group past its limit is refused until one of its runs ends; others are not held by it", () => {
  const shares = new GroupShares(2);
  expect(START_LIMIT).toBe(1);
  expect(shares.tryEnter("A")).toBe(true);
  expect(shares.tryEnter("A")).toBe(false);
  // Another group is not held by A's limit.
  expect(shares.tryEnter("B")).toBe(true);
  shares.leave("A"); // ended with room: A may have two now, its share
  expect(shares.mayEnter("A")).toBe(true);
  expect([shares.tryEnter("A"), shares.tryEnter("A"), shares.tryEnter("A")]).toEqual([true, true, false]);
});

test("GroupShares: from START_LIMIT, a run ending with room adds one (up to the share), one ending on a spent budget halves it (down to one)", () => {
  const shares = new GroupShares(6);
  const spent = new Set<string>();
  shares.paceWith((group) => spent.has(group));
  expect(shares.limitOf("A")).toBe(START_LIMIT);
  expect([shares.tryEnter("A"), shares.tryEnter("A")]).toEqual([true, false]);
  for (let n = 0; n < 10; n += 1) {
    shares.leave("A");
    shares.tryEnter("A");
  }
  expect(shares.limitOf("A")).toBe(6); // never above the share
  while (shares.tryEnter("A"));
  spent.add("A");
  shares.leave("A", false); // no job ran (its key's lease was taken elsewhere): its budget said nothing
  expect(shares.limitOf("A")).toBe(6);
  spent.delete("A");
  shares.tryEnter("A");
  spent.add("A");
  shares.leave("A");
  expect(shares.limitOf("A")).toBe(3);
  shares.leave("A");
  shares.leave("A");
  expect(shares.limitOf("A")).toBe(1); // never below one
  expect(shares.tryEnter("A")).toBe(false); // three still run
  shares.leave("A");
  shares.leave("A");
  shares.leave("A");
  expect(shares.tryEnter("A")).toBe(true); // none runs: its one
  expect(shares.tryEnter("A")).toBe(false);
  // Another group is not held by A's budget: it starts from START_LIMIT.
  expect([shares.tryEnter("B"), shares.tryEnter("B")]).toEqual([true, false]);
});

test("the in-process queue lets installations take turns: a busy one's backlog does not hold up another's job", async () => {
  const later = new InProcessLater({ clock: Date.now, log: pino({ level: "silent" }), slots: { interactive: 3, bulk: 1 } });
  let release = (): void => undefined;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const order: string[] = [];
  later.handle("work", {
    run: async (job) => {
      order.push(job.key);
      await hold;
    },
  });
  await later.start();
  for (let n = 1; n <= 10; n += 1) await later.enqueue({ kind: "work", key: `busy#${n}`, installationId: 1, payload: {} });
  await later.enqueue({ kind: "work", key: "quiet#1", installationId: 2, payload: {} });
  release();
  await later.idle();
  expect(new Set(order).size).toBe(11);
  // First come, first served would run it eleventh: it runs at the first or second slot that frees.
  expect(order.indexOf("quiet#1")).toBeLessThanOrEqual(4);
});

test("the in-process queue: runs of an installation on a spent budget come down to one, and a fresh review runs next", async () => {
  let now = Date.now();
  const later = new InProcessLater({ clock: () => now, log: pino({ level: "silent" }), slots: { interactive: 8, bulk: 1 } });
  later.paceWith((installation) => installation === "1");
  const order: string[] = [];
  const releases: (() => void)[] = [];
  later.handle("work", {
    run: async (job) => {
      order.push(job.key);
      await new Promise<void>((resolve) => releases.push(resolve));
    },
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  await later.start();
  for (let n = 1; n <= 8; n += 1) await later.enqueue({ kind: "work", key: `busy#${n}`, installationId: 1, payload: {} });
  await settle();
  expect(order).toEqual(["busy#1"]); // START_LIMIT, before its budget is known
  await later.enqueue({ kind: "work", key: "other#1", installationId: 2, payload: {} });
  now += 1_000;
  await later.enqueue({ kind: "work", key: "review#1", installationId: 1, payload: {} });
  await settle();
  expect(order.at(-1)).toBe("other#1"); // another installation is not held
  // The run ends on a spent budget: the limit stays at one, and the fresh review goes next, alone.
  releases.shift()?.();
  await settle();
  expect(order.slice(2)).toEqual(["review#1"]);
  const drain = setInterval(() => releases.shift()?.(), 1);
  await later.idle();
  clearInterval(drain);
  expect(order).toHaveLength(10);
});
