// The fair line of the in-process queue: per installation first come first served, installations
// taking turns; and the share of a line's slots one installation may hold.
import pino from "pino";
import { InProcessLater } from "../../src/app/later.js";
import { FairLine, GroupShares, groupOf, shareOf } from "../../src/app/queue/fair-line.js";

describe("FairLine", () => {
  test("installations take turns; each one's keys come in arrival order", () => {
    const line = new FairLine();
    for (const key of ["a1", "a2", "a3"]) line.add("A", key);
    line.add("B", "b1");
    line.add("A", "a1"); // already waiting: not twice
    const taken: string[] = [];
    for (let next = line.take(() => true); next !== undefined; next = line.take(() => true)) taken.push(next.key);
    expect(taken).toEqual(["a1", "b1", "a2", "a3"]);
    expect(line.size).toBe(0);
  });

  test("an installation that may not run now is passed over, not dropped", () => {
    const line = new FairLine();
    line.add("A", "a1");
    line.add("B", "b1");
    expect(line.take((group) => group !== "A")).toEqual({ group: "B", key: "b1" });
    expect(line.take((group) => group !== "A")).toBeUndefined();
    expect(line.take(() => true)).toEqual({ group: "A", key: "a1" });
  });

  test("a deleted key is gone, and its installation with it when it was the last", () => {
    const line = new FairLine();
    line.add("A", "a1");
    line.add("A", "a2");
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
    run: async () => {
      running += 1;
      most = Math.max(most, running);
      await hold;
      running -= 1;
    },
  });
  await later.start();
  for (let n = 1; n <= 6; n += 1) await later.enqueue({ kind: "work", key: `busy#${n}`, installationId: 1, payload: {} });
  await new Promise((resolve) => setImmediate(resolve));
  expect(running).toBe(3);
  await later.enqueue({ kind: "work", key: "quiet#1", installationId: 2, payload: {} });
  expect(running).toBe(4);
  release();
  await later.idle();
  expect(most).toBe(4);
});

test("GroupShares: a group past its share is refused until one of its runs ends; others are not held by it", () => {
  const shares = new GroupShares(2);
  expect(shares.tryEnter("A")).toBe(true);
  expect(shares.tryEnter("A")).toBe(true);
  expect(shares.tryEnter("A")).toBe(false);
  // Another group is not held by A's share.
  expect(shares.tryEnter("B")).toBe(true);
  shares.leave("A");
  expect(shares.mayEnter("A")).toBe(true);
  expect(shares.tryEnter("A")).toBe(true);
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
