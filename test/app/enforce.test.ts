// The enforcement use case (SPEC §5) over a fake of its ports: find → compare → apply, drift
// restored with one exception issue, nothing written without the permission, nothing twice.
import { EnforcementMemory, Enforcer } from "../../src/app/enforce.js";
import type { EnforcementTrigger } from "../../src/engine/enforcement-drift.js";
import type { Policy, PolicySet } from "../../src/policy/types.js";
import { notRequiredLines } from "../../src/render/enforcement-plan.js";
import { policy, rule } from "../engine/build.js";
import { FakeEnforcementGitHub } from "../fakes/enforcement-github.js";

const APP = 4242;
const NOW = Date.parse("2026-11-25T10:00:00Z");
const PINNED = [
  { context: "compliance/policy", appId: APP },
  { context: "compliance/production", appId: APP },
];

function enforcing(environment: string, branches: string[] = ["main"]): Policy {
  return { ...policy({ environment, branches, paths: [`clusters/${environment}/**`], rules: [rule("r", ["**"], 1, { users: ["alice"] })] }), enforce: { required_check: true } };
}
const set = (...policies: Policy[]): PolicySet => ({ policies, invalid: [] });

const setup: EnforcementTrigger = { kind: "setup", reason: "installation", at: "2026-11-25T10:00:00.000Z" };
const deleted: EnforcementTrigger = { kind: "rules_changed", event: "repository_ruleset.deleted", sender: "mallory", at: "2026-11-25T09:59:58.000Z" };
const sweep: EnforcementTrigger = { kind: "sweep", at: "2026-11-25T10:00:00.000Z", lastVerified: "2026-11-24T10:00:00.000Z" };

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

const run = (trigger: EnforcementTrigger, apply = true) => enforcer.enforce(github.ports(), { trigger, apply, appId: APP });

test("a fresh repository gets the compliance-gate ruleset, its checks pinned to the app; a second run writes nothing", async () => {
  const first = await run(setup);
  expect(first.kind).toBe("applied");
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
  expect(github.own()).toMatchObject({ enforcement: "active", include: ["refs/heads/main"], exclude: [], bypass: [], checks: PINNED, target: "branch" });
  expect(github.issues).toEqual([]);

  const second = await run(setup);
  expect(second.kind).toBe("in_sync");
  expect(github.writes).toHaveLength(1);
});

test("a branch held by an organization ruleset that verifiably binds everyone (bypass list shown and empty): nothing is written", async () => {
  github.addRuleset({ name: "org baseline", source: "Organization", include: ["refs/heads/main"], checks: PINNED, bypass: [] });
  const outcome = await run(setup);
  expect(outcome.kind).toBe("in_sync");
  expect(outcome.view.plan.targets).toEqual([expect.objectContaining({ branch: "main", missing: [], via: "elsewhere" })]);
  expect(github.writes).toEqual([]);
});

test.each([
  ["its bypass actors are not shown (an organization's the app may not edit)", { source: "Organization", bypass: null }],
  ["someone may bypass it", { bypass: [{ type: "RepositoryRole", id: 5, mode: "always" }] }],
  ["it only evaluates", { enforcement: "evaluate" }],
  ["it excludes branches", { exclude: ["refs/heads/main"] }],
  ["it lets a branch be created without the checks", { skipOnCreate: true }],
])("another ruleset requiring the pinned checks does not count when %s: the app's own is created", async (_name, weaker) => {
  github.addRuleset({ name: "baseline", include: ["refs/heads/main"], checks: PINNED, ...weaker });
  await run(setup);
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
});

test("an organization ruleset whose bypass actors are invisible never replaces the app's own: the app keeps its ruleset", async () => {
  await run(setup);
  github.addRuleset({ name: "org baseline (bypass: repository admins)", source: "Organization", include: ["refs/heads/main"], checks: PINNED, bypass: null });
  const outcome = await run({ kind: "rules_changed", event: "repository_ruleset.edited", sender: "mallory", at: "2026-11-25T10:10:00.000Z" });
  expect(outcome.kind).toBe("in_sync");
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
  expect(github.own()).toBeDefined();
});

test("an organization ruleset that requires the checks from any app does not count: this app's ruleset pins them", async () => {
  github.addRuleset({ name: "org baseline", source: "Organization", include: ["refs/heads/main"], checks: PINNED.map((c) => ({ ...c, appId: null })), bypass: null });
  await run(setup);
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
});

test("classic protection binding administrators, with other checks: ours are merged in, theirs kept, and nothing more next time", async () => {
  github.classic.set("main", { kind: "protected", checks: [{ context: "ci/build", appId: 15368 }, { context: "compliance/production", appId: null }], strict: true, enforceAdmins: true });
  await run(setup);
  expect(github.writes).toEqual(["PATCH protection main"]);
  expect(github.classic.get("main")).toEqual({
    kind: "protected",
    strict: true,
    enforceAdmins: true,
    checks: [{ context: "ci/build", appId: 15368 }, ...PINNED],
  });
  expect(github.rulesets).toEqual([]);
  await run(sweep);
  expect(github.writes).toHaveLength(1);
  expect(github.issues).toEqual([]);
});

test("classic protection that lets administrators merge past it (enforce_admins off, GitHub's default) does not count: the app's ruleset is created", async () => {
  github.classic.set("main", { kind: "protected", checks: [{ context: "ci/build", appId: null }, ...PINNED], strict: false, enforceAdmins: false });
  const outcome = await run(setup);
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
  expect(outcome.view.plan.targets).toEqual([expect.objectContaining({ branch: "main", via: "ruleset" })]);
  expect(github.classic.get("main")).toMatchObject({ checks: [{ context: "ci/build", appId: null }, ...PINNED] });
});

test("classic protection added by an admin next to the app's ruleset changes nothing: the ruleset stays, nobody is blamed", async () => {
  await run(setup);
  github.classic.set("main", { kind: "protected", checks: [{ context: "ci/build", appId: null }], strict: false, enforceAdmins: false });
  const outcome = await run({ kind: "rules_changed", event: "branch_protection_rule.created", sender: "admin", at: "2026-11-25T10:10:00.000Z" });
  expect(outcome.kind).toBe("in_sync");
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
  expect(github.own()).toBeDefined();
  expect(github.issues).toEqual([]);
});

test("classic protection binding administrators that already requires the pinned checks does not take the app's ruleset away", async () => {
  await run(setup);
  github.classic.set("main", { kind: "protected", checks: PINNED, strict: false, enforceAdmins: true });
  const outcome = await run(sweep);
  expect(outcome.kind).toBe("in_sync");
  expect(github.own()).toBeDefined();
});

test("enforce_admins switched off where the app relied on classic protection: its ruleset is created and the gap reported", async () => {
  github.classic.set("main", { kind: "protected", checks: PINNED, strict: false, enforceAdmins: true });
  expect((await run(setup)).kind).toBe("in_sync");
  github.classic.set("main", { kind: "protected", checks: PINNED, strict: false, enforceAdmins: false });
  const outcome = await run({ kind: "rules_changed", event: "branch_protection_rule.edited", sender: "mallory", at: "2026-11-25T10:10:00.000Z" });
  expect(outcome.kind).toBe("applied");
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)", "POST check-run main", "POST issue"]);
  expect(github.gaps()[0]?.what).toEqual([
    "compliance/policy, compliance/production were not required on main: its branch protection requires them but lets administrators merge past it (enforce_admins is off)",
  ]);
});

test("a deleted ruleset is restored and its sealed record kept in a check run and one exception issue naming who, what, when and how long; the redelivered event writes nothing", async () => {
  await run(setup);
  github.rulesets = [];
  clock = NOW + 3_000;
  const outcome = await run(deleted);
  expect(outcome.kind).toBe("applied");
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)", "POST ruleset compliance-gate (app 4242)", "POST check-run main", "POST issue"]);
  const record = {
    version: 1,
    repository: "acme/gitops",
    branches: ["main"],
    from: "2026-11-25T09:59:58.000Z",
    until: "2026-11-25T10:00:03.000Z",
    restored: true,
    found_at: "2026-11-25T09:59:58.000Z",
    by: "mallory",
    event: "repository_ruleset.deleted",
    what: ["compliance/policy, compliance/production were not required on main"],
    digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
  };
  expect(github.gaps()).toEqual([record]);
  expect(github.keptGaps()).toEqual([record]);
  expect(github.checkRuns[0]?.externalId).toBe("enforcement:main:2026-11-25T09:59:58.000Z");
  expect(github.issues[0]?.title).toBe("Compliance exception: required checks weakened on main by mallory");
  expect(github.issues[0]?.body).toContain("@mallory weakened the required checks");
  expect(github.issues[0]?.body).toContain("5 seconds");

  await run(deleted);
  expect(github.writes).toHaveLength(4);
  expect(github.issues).toHaveLength(1);
});

test.each([
  ["a bypass actor added", { bypass: [{ type: "User", id: 7, mode: "always" }] }, /lets user #7 \(always\) bypass it/],
  ["repository admins allowed to bypass it", { bypass: [{ type: "RepositoryRole", id: 5, mode: "pull_request" }] }, /lets repository admins \(through pull requests\) bypass it/],
  ["its force-push rule removed", { otherRules: [{ type: "deletion" }] }, /no longer forbids force pushes \(its non_fast_forward rule is gone\)/],
  ["its deletion rule removed", { otherRules: [{ type: "non_fast_forward" }] }, /no longer forbids deleting the branch/],
  ["a branch allowed to be created without the checks", { skipOnCreate: true }, /lets a branch be created without the checks \(do_not_enforce_on_create\)/],
  ["the ruleset set to evaluate", { enforcement: "evaluate" }, /is set to evaluate/],
  ["the ruleset disabled", { enforcement: "disabled" }, /is set to disabled/],
  ["a check dropped", { checks: [PINNED[0] as { context: string; appId: number }] }, /does not require compliance\/production|not required on main/],
  ["the source app changed", { checks: [PINNED[0] as { context: string; appId: number }, { context: "compliance/production", appId: 999 }] }, /takes compliance\/production from app 999/],
  ["main excluded", { exclude: ["refs/heads/main"] }, /excludes refs\/heads\/main/],
])("%s, found by the sweep: restored, and one issue says it was found, since the ruleset changed", async (_name, weakened, what) => {
  await run(setup);
  const own = github.own();
  if (!own) throw new Error("no ruleset");
  Object.assign(own, weakened, { updatedAt: "2026-11-25T08:00:00Z" });
  clock = NOW + 60_000;
  const outcome = await run(sweep);
  expect(outcome.kind).toBe("applied");
  expect(github.writes.slice(1)).toEqual([`PUT ruleset ${own.id}`, "POST check-run main", "POST issue"]);
  expect(github.own()).toMatchObject({ enforcement: "active", bypass: [], exclude: [], checks: PINNED });
  const gap = github.gaps()[0];
  expect(gap).toMatchObject({ by: null, event: null, branches: ["main"], until: "2026-11-25T10:01:00.000Z" });
  expect(gap?.what.join("\n")).toMatch(what);
  expect(github.issues[0]?.body).toContain("Who did it is not known");
  await run(sweep);
  expect(github.writes).toHaveLength(4);
});

test("a policy that newly asks for a check updates the ruleset without an exception: nothing was taken away", async () => {
  await run(setup);
  github.policies.set("main", set(enforcing("production"), enforcing("staging")));
  const outcome = await run({ kind: "setup", reason: "policy change", at: "2026-11-25T10:05:00.000Z" });
  expect(outcome.kind).toBe("applied");
  expect(github.own()?.checks?.map((c) => c.context)).toEqual(["compliance/policy", "compliance/production", "compliance/staging"]);
  expect(github.issues).toEqual([]);
});

test("without the administration permission nothing is written, nothing retried, and compliance/policy can say what is not required", async () => {
  github.refuseWrites = 403;
  const outcome = await run(setup);
  expect(outcome.kind).toBe("cannot");
  expect(github.writes).toEqual([]);
  const state = memory.get("acme", "gitops");
  expect(state?.notRequired).toEqual([{ branch: "main", missing: ["compliance/policy", "compliance/production"], reason: null }]);
  expect(notRequiredLines(state?.notRequired ?? [])).toEqual([
    "compliance/policy is not required on main: grant compliance-gate the administration permission, or require compliance/policy by hand",
    "production's check is not required on main: grant compliance-gate the administration permission, or require compliance/production by hand",
  ]);
});

test("a plan without --apply writes nothing and says what it would do", async () => {
  const outcome = await run(setup, false);
  expect(outcome.kind).toBe("planned");
  expect(outcome.view.plan.changes).toEqual([{ kind: "create_ruleset", spec: { name: "compliance-gate (app 4242)", include: ["refs/heads/main"], checks: ["compliance/policy", "compliance/production"], otherRules: [] } }]);
  expect(github.writes).toEqual([]);
});

test("patterns are targeted by the ruleset; another branch's own policies decide its checks", async () => {
  github.policies.set("main", set(enforcing("production", ["main", "release/*", "stable"])));
  github.policies.set("stable", set(enforcing("production", ["stable"]), enforcing("staging", ["stable"])));
  await run(setup);
  expect(github.rulesets.map((r) => [r.name, r.include, r.checks?.map((c) => c.context)])).toEqual([
    ["compliance-gate (app 4242)", ["refs/heads/main", "refs/heads/release/*"], ["compliance/policy", "compliance/production"]],
    ["compliance-gate (app 4242): stable", ["refs/heads/stable"], ["compliance/policy", "compliance/production", "compliance/staging"]],
  ]);
  await run(sweep);
  expect(github.writes).toHaveLength(2);
});

test("policies that no longer enforce remove this app's ruleset, and only this app's, with a notice saying so", async () => {
  await run(setup);
  const other = github.addRuleset({ name: "team rules", include: ["refs/heads/main"], checks: [{ context: "ci", appId: 1 }] });
  github.policies.set("main", set({ ...enforcing("production"), enforce: { required_check: false } }));
  await run({ kind: "setup", reason: "policy change", at: "2026-11-25T10:05:00.000Z" });
  expect(github.rulesets).toEqual([other]);
  expect(github.issues.map((i) => i.title)).toEqual(["Compliance notice: required checks removed from main"]);
  expect(github.gaps()).toEqual([]);
});

test("an invalid policy file keeps this app's ruleset: what it wants is unknown", async () => {
  await run(setup);
  github.policies.set("main", { policies: [], invalid: [{ file: "policies/production.yml", environment: "production", errors: [] }] });
  const outcome = await run(sweep);
  expect(outcome.kind).toBe("in_sync");
  expect(outcome.view.plan.notes).toEqual(["the ruleset compliance-gate (app 4242) is kept: an invalid policy file might still want what it requires"]);
  expect(github.rulesets).toHaveLength(1);
});

test("what cannot be required on a pattern is said on the pull requests into each branch it matches", async () => {
  const { EnforcementService } = await import("../../src/app/enforce-service.js");
  const service = new EnforcementService({} as ConstructorParameters<typeof EnforcementService>[0]);
  service.memory.set("acme", "gitops", { lastVerified: null, notRequired: [{ branch: "release/*", missing: ["compliance/production"] }] });
  expect(service.notRequiredOn("acme", "gitops", "release/7")).toEqual([
    "production's check is not required on release/7: grant compliance-gate the administration permission, or require compliance/production by hand",
  ]);
  expect(service.notRequiredOn("acme", "gitops", "main")).toEqual([]);
});

test("two registrations of the app on one repository each keep a ruleset named with their id: no fight, no exception issue", async () => {
  const staging = new Enforcer(new EnforcementMemory(), () => clock);
  await run(setup);
  await staging.enforce(github.ports(), { trigger: setup, apply: true, appId: 5151 });
  for (let round = 0; round < 3; round++) {
    clock += 60_000;
    await staging.enforce(github.ports(), { trigger: { kind: "rules_changed", event: "repository_ruleset.created", sender: "compliance-gate[bot]", at: new Date(clock).toISOString() }, apply: true, appId: 5151 });
    clock += 60_000;
    await run({ kind: "rules_changed", event: "repository_ruleset.created", sender: "compliance-gate-staging[bot]", at: new Date(clock).toISOString() });
  }
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)", "POST ruleset compliance-gate (app 5151)"]);
  expect(github.issues).toEqual([]);
});

test("a ruleset named compliance-gate before the id was in the name is this app's when it takes the checks from it: renamed, nobody blamed", async () => {
  const legacy = github.addRuleset({ name: "compliance-gate", include: ["refs/heads/main"], checks: PINNED });
  const outcome = await run(sweep);
  expect(github.writes).toEqual([`PUT ruleset ${legacy.id}`]);
  expect(github.rulesets.map((r) => r.name)).toEqual(["compliance-gate (app 4242)"]);
  expect(outcome.kind === "applied" && outcome.gap).toBeNull();
});

test("a ruleset named compliance-gate that takes the checks from another app is that registration's: left alone", async () => {
  const theirs = github.addRuleset({ name: "compliance-gate", include: ["refs/heads/main"], checks: PINNED.map((c) => ({ ...c, appId: 5151 })) });
  await run(setup);
  expect(github.writes).toEqual(["POST ruleset compliance-gate (app 4242)"]);
  expect(github.rulesets[0]).toEqual(theirs);
});
