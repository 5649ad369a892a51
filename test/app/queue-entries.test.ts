// The split of a merge group's commits into the queue's entries: pure, over commits and labels.
import { attribute, type EntryLabel } from "../../src/app/queue-entries.js";
import type { GroupCommit } from "../../src/github/merge-group-commits.js";

const BASE = "b".repeat(40);
const c = (sha: string, ...parents: string[]): GroupCommit => ({ sha, parents, author: "carol", committer: "web-flow" });
const event = (number: number, base?: string): EntryLabel => ({ number, base, source: "event" });
const ref = (number: number, base: string): EntryLabel => ({ number, base, source: "ref" });

test("rebase: each entry is its replayed commits, up to the commit it is stacked on", () => {
  const commits = [c("a1", BASE), c("a2", "a1"), c("b1", "a2"), c("b2", "b1"), c("b3", "b2")];
  const found = attribute({ mergeBase: BASE, commits }, "b3", new Map([["b3", [event(2, "a2")]], ["a2", [ref(1, BASE)]]]));
  expect(found).toEqual({
    entries: [
      { number: 2, head: "b3", base: "a2", commits: expect.arrayContaining(["b1", "b2", "b3"]), source: "event" },
      { number: 1, head: "a2", base: BASE, commits: expect.arrayContaining(["a1", "a2"]), source: "ref" },
    ],
    unowned: [],
    problems: [],
  });
  expect(found.entries[0]?.commits).toHaveLength(3);
});

test("merge: a PR's own commits, merged in by its entry's merge commit, are that entry's", () => {
  // #1's branch p1 (two commits), #2's branch p2 (one, branched from the base too).
  const commits = [c("p1a", BASE), c("p1b", "p1a"), c("m1", BASE, "p1b"), c("p2", BASE), c("m2", "m1", "p2")];
  const found = attribute({ mergeBase: BASE, commits }, "m2", new Map([["m2", [event(2, "m1")]], ["m1", [event(1, BASE)]]]));
  expect(found.entries.map((e) => [e.number, [...e.commits].sort()])).toEqual([
    [2, ["m2", "p2"]],
    [1, ["m1", "p1a", "p1b"]],
  ]);
});

test("the last commit of a group stacked on the base is its own entry even when its base is not said", () => {
  const found = attribute({ mergeBase: BASE, commits: [c("s1", BASE)] }, "s1", new Map([["s1", [event(7)]]]));
  expect(found.entries).toEqual([{ number: 7, head: "s1", base: BASE, commits: ["s1"], source: "event" }]);
});

test("commits no entry is known for belong to no PR, down to the next known entry", () => {
  const commits = [c("s1", BASE), c("x1", "s1"), c("x2", "x1"), c("s3", "x2")];
  const found = attribute({ mergeBase: BASE, commits }, "s3", new Map([["s3", [event(3, "x2")]], ["s1", [ref(1, BASE)]]]));
  expect(found.unowned).toEqual([{ head: "x2", base: "s1", commits: expect.arrayContaining(["x1", "x2"]) }]);
  expect(found.entries.map((e) => e.number)).toEqual([3, 1]);
});

test("an event outranks a ref; refs that disagree make the rest of the chain unattributable", () => {
  const commits = [c("s1", BASE), c("s2", "s1"), c("s3", "s2")];
  // A ref naming #9 for s3 is ignored: the event says #3.
  const trusted = attribute({ mergeBase: BASE, commits }, "s3", new Map([["s3", [event(3, "s2"), ref(9, "s2")]], ["s2", [ref(2, "s1")]], ["s1", [ref(1, BASE)]]]));
  expect(trusted.entries.map((e) => e.number)).toEqual([3, 2, 1]);
  expect(trusted.problems).toEqual([]);

  const disputed = attribute({ mergeBase: BASE, commits }, "s3", new Map([["s3", [event(3, "s2")]], ["s2", [ref(2, "s1"), ref(5, "s1")]], ["s1", [ref(1, BASE)]]]));
  expect(disputed.entries.map((e) => e.number)).toEqual([3]);
  expect(disputed.problems).toEqual([{ commits: expect.arrayContaining(["s1", "s2"]), reason: "the merge queue's refs disagree about s2 (#2 on s1, #5 on s1)" }]);
});

test("an entry said to be stacked on a commit that is not below it cannot be attributed", () => {
  const commits = [c("s1", BASE), c("s2", "s1")];
  const found = attribute({ mergeBase: BASE, commits }, "s2", new Map([["s2", [event(2, "s1")]], ["s1", [ref(1, "elsewhere")]]]));
  expect(found.problems).toEqual([{ commits: ["s1"], reason: "s1 is #1's entry, but the commit it is said to be stacked on, elsewhe, is not below it" }]);
});
