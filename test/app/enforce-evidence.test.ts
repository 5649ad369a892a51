// Enforcement's evidence (SPEC §5, "drift is evidence") over the fake of its ports: a gap is never
// lost (issues turned off, a failure while opening the issue, a restore GitHub refuses, a run that
// got in first), its start is the safe lower bound, and the app stops fighting what keeps undoing it.
import { gapCovers } from "../../src/audit/enforcement-gap.js";
import { EnforcementMemory, Enforcer } from "../../src/app/enforce.js";
import type { EnforcementTrigger } from "../../src/engine/enforcement-drift.js";
import type { Policy, PolicySet } from "../../src/policy/types.js";
import { notRequiredLines } from "../../src/render/enforcement-plan.js";
import { policy, rule } from "../engine/build.js";
import { FakeEnforcementGitHub } from "../fakes/enforcement-github.js";

const APP = 4242;
const NOW = Date.parse("2026-11-25T10:00:00Z");

function enforcing(environment: string, branches: string[] = ["main"]): Policy {
  return { ...policy({ environment, branches, paths: [`clusters/${environment}/**`], rules: [rule("r", ["**"], 1, { users: ["alice"] })] }), enforce: { required_check: true } };
}
const set = (...policies: Policy[]): PolicySet => ({ policies, invalid: [] });
const setup: EnforcementTrigger = { kind: "setup", reason: "installation", at: "2026-11-25T10:00:00.000Z" };
const rules = (event: string, sender = "mallory", at = "2026-11-25T10:10:00.000Z"): Extract<EnforcementTrigger, { kind: "rules_changed" }> => ({ kind: "rules_changed", event, sender, at });

let github: FakeEnforcementGitHub;
let memory: EnforcementMemory;
let clock: number;
let enforcer: Enforcer;
beforeEach(() => {
  github = new FakeEnforcementGitHub();
  github.policies.set("main", set(enforcing("production")));
  memory = new EnforcementMemory();
  clock = NOW;
  enforcer = new Enforcer(memory, () => clock);
});
const run = (trigger: EnforcementTrigger) => enforcer.enforce(github.ports(), { trigger, apply: true, appId: APP });

test("issues turned off (410) after the restore: the run succeeds, and the sealed record is in the compliance/audit check run", async () => {
  await run(setup);
  github.rulesets = [];
  github.failIssues = 410;
  clock = NOW + 600_000;
  const outcome = await run(rules("repository_ruleset.deleted"));
  expect(outcome.kind).toBe("applied");
  expect(github.own()).toBeDefined();
  expect(github.issues).toEqual([]);
  expect(github.keptGaps()).toEqual([expect.objectContaining({ by: "mallory", branches: ["main"], restored: true })]);
  expect(outcome.problems).toEqual([expect.stringContaining("the exception issue could not be opened (GitHub API error 410")]);
});

test("a failure while opening the issue (502): the run fails, the gap is kept, and the next run of any kind opens the issue with it", async () => {
  await run(setup);
  github.rulesets = [];
  github.failIssues = 502;
  clock = NOW + 600_000;
  await expect(run(rules("repository_ruleset.deleted"))).rejects.toThrow(/502/);
  expect(github.own()).toBeDefined();
  github.failIssues = undefined;
  clock = NOW + 700_000;
  const later = await run({ kind: "sweep", at: "2026-11-25T10:11:40.000Z", lastVerified: null });
  expect(later.kind).toBe("in_sync");
  expect(github.gaps()).toEqual([expect.objectContaining({ by: "mallory", event: "repository_ruleset.deleted", until: "2026-11-25T10:10:00.000Z" })]);
  expect(github.checkRuns).toHaveLength(1);
});

test("a restore GitHub refuses (422): the gap is still recorded, saying so, and compliance/policy gives the real reason", async () => {
  await run(setup);
  const own = github.own();
  if (!own) throw new Error("no ruleset");
  own.enforcement = "evaluate";
  github.refuseWrites = 422;
  const outcome = await run(rules("repository_ruleset.edited"));
  expect(outcome.kind).toBe("cannot");
  github.refuseWrites = undefined;
  expect(github.gaps()).toEqual([expect.objectContaining({ by: "mallory", restored: false })]);
  expect(github.gaps()[0]?.what).toEqual([
    `the ruleset ${own.name} is set to evaluate`,
    "compliance/policy, compliance/production were not required on main",
    expect.stringMatching(/^and compliance-gate could not restore it: GitHub API error 422/),
  ]);
  expect(github.issues[0]?.body).toContain("compliance-gate could not restore them");
  const lines = notRequiredLines(memory.get("acme", "gitops")?.notRequired ?? []);
  expect(lines[0]).toMatch(/^compliance\/policy is not required on main: GitHub refused to require it \(GitHub API error 422/);
  expect(lines.join("\n")).not.toContain("administration permission");
  // Found again while still refused: no second record.
  github.refuseWrites = 422;
  await run({ kind: "sweep", at: "2026-11-26T10:00:00.000Z", lastVerified: null });
  github.refuseWrites = undefined;
  expect(github.issues).toHaveLength(1);
});

test("a run that restored the ruleset before the deletion's event was handled reports it, and the event still names who deleted it", async () => {
  await run(setup);
  const deleted = structuredClone(github.own());
  if (!deleted) throw new Error("no ruleset");
  github.rulesets = [];
  clock = NOW + 600_000;
  // A push that changed policies got in first.
  await run({ kind: "setup", reason: "policy change on main", at: "2026-11-25T10:10:00.000Z" });
  expect(github.own()).toBeDefined();
  expect(github.gaps()).toEqual([expect.objectContaining({ by: null, from: "2026-11-25T10:00:00.000Z", until: "2026-11-25T10:10:00.000Z" })]);
  clock = NOW + 605_000;
  const deletion = await run({ ...rules("repository_ruleset.deleted", "mallory", "2026-11-25T10:10:05.000Z"), ruleset: { state: deleted, deleted: true } });
  expect(deletion.kind).toBe("in_sync");
  expect(deletion.gap).toMatchObject({ by: "mallory", from: "2026-11-25T10:00:00.000Z", what: [`the ruleset ${deleted.name} was deleted`] });
  expect(github.issues.map((i) => i.title)).toContain("Compliance exception: required checks weakened on main by mallory");
});

test("after a restart, a run that restored the deleted ruleset silently leaves the deletion's gap with an unknown start, not a late one", async () => {
  await run(setup);
  const deleted = structuredClone(github.own());
  if (!deleted) throw new Error("no ruleset");
  github.rulesets = [];
  const restarted = new Enforcer(new EnforcementMemory(), () => clock);
  clock = NOW + 600_000;
  // Nothing verified since the restart: this run cannot tell a deletion from a first setup.
  await restarted.enforce(github.ports(), { trigger: { kind: "setup", reason: "policy change on main", at: "2026-11-25T10:10:00.000Z" }, apply: true, appId: APP });
  expect(github.issues).toEqual([]);
  clock = NOW + 605_000;
  const deletion = await restarted.enforce(github.ports(), { trigger: { ...rules("repository_ruleset.deleted", "mallory", "2026-11-25T10:10:05.000Z"), ruleset: { state: deleted, deleted: true } }, apply: true, appId: APP });
  expect(deletion.gap).toMatchObject({ by: "mallory", from: null });
});

test("the same event delivered again hours later (redelivered from the app's settings) records nothing new", async () => {
  await run(setup);
  const deleted = structuredClone(github.own());
  if (!deleted) throw new Error("no ruleset");
  github.rulesets = [];
  clock = NOW + 600_000;
  const event = { ...rules("repository_ruleset.deleted", "mallory", "2026-11-25T10:10:00.000Z"), ruleset: { state: deleted, deleted: true } };
  await run(event);
  expect(github.issues).toHaveLength(1);
  clock = NOW + 5 * 3_600_000;
  const again = await run({ ...event, at: new Date(clock).toISOString() });
  expect(again).toMatchObject({ kind: "in_sync", gap: null });
  expect(github.issues).toHaveLength(1);
});

test("an event edit that only strengthens the app's ruleset is no evidence", async () => {
  await run(setup);
  const state = structuredClone(github.own());
  if (!state) throw new Error("no ruleset");
  const outcome = await run({ ...rules("repository_ruleset.edited"), ruleset: { state, deleted: false } });
  expect(outcome).toMatchObject({ kind: "in_sync", gap: null });
  expect(github.issues).toEqual([]);
});

test("the default branch switched to one without policies removes nothing; switched to policies that drop main, the removal is reported with who switched", async () => {
  await run(setup);
  github.policies.set("tmp", null);
  github.defaultBranch = "tmp";
  const outcome = await run({ kind: "sweep", at: "2026-11-26T10:00:00.000Z", lastVerified: null });
  expect(outcome.kind).toBe("no_policies");
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
  expect(github.issues).toEqual([]);

  github.policies.set("tmp", set(enforcing("production", ["tmp"])));
  await run(rules("repository.edited", "mallory"));
  expect(github.own()?.include).toEqual(["refs/heads/tmp"]);
  expect(github.issues.map((i) => i.title)).toEqual(["Compliance notice: required checks removed from main"]);
  expect(github.issues[0]?.body).toContain("@mallory's change (`repository.edited`)");
});

test("a sweep after a restart finds a deletion whose start is unknown: every merge before the restore is flagged, start unknown", async () => {
  await run(setup);
  github.rulesets = [];
  const restarted = new Enforcer(new EnforcementMemory(), () => clock);
  clock = Date.parse("2026-11-26T10:00:00Z");
  const outcome = await restarted.enforce(github.ports(), { trigger: { kind: "sweep", at: "2026-11-26T10:00:00.000Z", lastVerified: null }, apply: true, appId: APP });
  expect(outcome.gap).toMatchObject({ from: null, by: null });
  if (outcome.gap === null) throw new Error("no gap");
  expect(gapCovers(outcome.gap, "main", Date.parse("2026-11-25T12:00:00Z"))).toBe(true);
  expect(gapCovers(outcome.gap, "main", Date.parse("2026-11-26T10:00:01Z"))).toBe(false);
  expect(github.issues[0]?.body).toContain("Unguarded since a time that is not known");
});

test("a sweep dates a gap from the last time the requirement was verified, not from a later edit of the ruleset", async () => {
  await run(setup);
  const own = github.own();
  if (!own) throw new Error("no ruleset");
  Object.assign(own, { enforcement: "evaluate", updatedAt: "2026-11-25T15:00:00Z" });
  clock = Date.parse("2026-11-26T10:00:00Z");
  const outcome = await run({ kind: "sweep", at: "2026-11-26T10:00:00.000Z", lastVerified: "2026-11-25T10:00:00.000Z" });
  expect(outcome.gap?.from).toBe("2026-11-25T10:00:00.000Z");
  if (outcome.gap === null) throw new Error("no gap");
  expect(gapCovers(outcome.gap, "main", Date.parse("2026-11-25T12:00:00Z"))).toBe(true);
  expect(github.issues[0]?.body).toContain("Unguarded from about");
});

test("a rules event after a restart does not blame its sender for checks that may have been missing before: found at", async () => {
  github.rulesets = [];
  const outcome = await run(rules("branch_protection_rule.edited", "innocent"));
  expect(outcome.gap).toMatchObject({ by: null, event: "branch_protection_rule.edited", from: null });
  expect(github.issues[0]?.title).toBe("Compliance exception: required checks weakened on main");
  expect(github.issues[0]?.body).toContain("while handling `branch_protection_rule.edited`");
});

test("the merges that landed in the window are listed in the issue", async () => {
  await run(setup);
  github.commits.set("main", [{ sha: "a".repeat(40), title: "Merge pull request #12 from acme/bump", at: "2026-11-25T10:05:00Z" }]);
  github.rulesets = [];
  clock = NOW + 600_000;
  await run(rules("repository_ruleset.deleted"));
  expect(github.issues[0]?.body).toContain("**Landed on `main` in the window**");
  expect(github.issues[0]?.body).toContain("`aaaaaaa` Merge pull request \\#12 from acme/bump (2026-11-25T10:05:00Z)");
});

test("drift undone again and again: after five restores within an hour the app stops, opens one issue saying so, and compliance/policy says it", async () => {
  await run(setup);
  for (let round = 0; round < 7; round++) {
    github.rulesets = [];
    clock += 60_000;
    await run(rules("repository_ruleset.deleted", "terraform-bot", new Date(clock).toISOString()));
  }
  const posts = github.writes.filter((w) => w.startsWith("POST ruleset"));
  expect(posts).toHaveLength(1 + 5);
  expect(github.issues.filter((i) => i.title.includes("keep being undone"))).toHaveLength(1);
  expect(notRequiredLines(memory.get("acme", "gitops")?.notRequired ?? [])[0]).toMatch(/keeps being undone: compliance-gate restored it 5 times within an hour/);
  clock += 3_600_000;
  await run(rules("repository_ruleset.deleted", "terraform-bot", new Date(clock).toISOString()));
  expect(github.own()).toBeDefined();
});
