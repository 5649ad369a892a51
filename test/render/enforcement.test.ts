// The enforcement plan as `compliance-gate enforce` prints it, and the exception issue of a gap.
import { sealGap } from "../../src/audit/enforcement-gap.js";
import { compareEnforcement } from "../../src/engine/enforcement.js";
import { enforcementIssueBody, enforcementIssueTitle, duration } from "../../src/render/enforcement-issue.js";
import { enforcementPlanJson, renderEnforcementPlan, type PlanView } from "../../src/render/enforcement-plan.js";

const APP = 4242;

function view(): PlanView {
  const plan = compareEnforcement(
    {
      rulesets: [
        {
          id: 7, name: "compliance-gate (app 4242)", source: "Repository", enforcement: "evaluate", target: "branch",
          include: ["refs/heads/main"], exclude: [], bypass: [{ type: "Team", id: 234, mode: "always" }],
          checks: [{ context: "compliance/policy", appId: APP }, { context: "compliance/production", appId: APP }],
          strict: false, skipOnCreate: false, otherRules: [{ type: "deletion" }, { type: "non_fast_forward" }], updatedAt: "2026-11-25T08:00:00Z",
        },
      ],
      branches: [
        { branch: "main", active: [], classic: { kind: "unprotected" } },
        { branch: "stable", active: [], classic: { kind: "protected", checks: [{ context: "ci/build", appId: 15368 }], strict: true, enforceAdmins: true } },
      ],
    },
    {
      targets: [
        { glob: "main", literal: true, ref: "refs/heads/main", checks: ["compliance/policy", "compliance/production"] },
        { glob: "release/*", literal: false, ref: "refs/heads/release/*", checks: ["compliance/policy", "compliance/production"] },
        { glob: "stable", literal: true, ref: "refs/heads/stable", checks: ["compliance/policy", "compliance/production"] },
      ],
      mayRemove: true,
      appId: APP,
    },
  );
  return {
    repository: "acme/gitops",
    defaultBranch: "main",
    policyCommit: "0123456789abcdef0123456789abcdef01234567",
    plan,
    unenforceable: [{ file: "policies/production.yml", environment: "production", field: "scope.branches[2]", glob: "hotfix/+(eu|us)", reason: "GitHub's branch patterns have no extglobs such as +(…), @(…), !(…), ?(…), *(…)" }],
    canWrite: true,
  };
}

test("the plan: wanted, required now, what someone weakened, the changes, and what cannot be enforced", () => {
  expect(renderEnforcementPlan(view())).toMatchSnapshot();
});

test("the plan as JSON says whether it is in sync", () => {
  const json = enforcementPlanJson(view());
  expect(json).toMatchObject({ repository: "acme/gitops", app_id: APP, in_sync: false, can_write: true });
  expect((json["changes"] as { summary: string }[]).map((c) => c.summary)).toEqual([
    "update the required checks of stable's branch protection",
    'update ruleset "compliance-gate (app 4242)" (#7)',
  ]);
});

test("the gap's issue names who, what, when and for how long, and ends with its record", () => {
  const gap = {
    version: 1 as const,
    repository: "acme/gitops",
    branches: ["main"],
    from: "2026-11-25T09:59:58.000Z",
    until: "2026-11-25T10:02:03.000Z",
    restored: true,
    found_at: "2026-11-25T09:59:58.000Z",
    by: "mallory",
    event: "repository_ruleset.deleted",
    what: ["compliance/policy, compliance/production were not required on main"],
  };
  expect(enforcementIssueTitle(gap)).toBe("Compliance exception: required checks weakened on main by mallory");
  const landed = [{ branch: "main", commits: [{ sha: "a".repeat(40), title: "Merge pull request #12 from acme/bump", at: "2026-11-25T10:00:00Z" }], complete: true }];
  expect(enforcementIssueBody("acme/gitops@enforcement:2026-11-25T09:59:58.000Z", sealGap(gap), { landed })).toMatchSnapshot();
  expect(enforcementIssueBody("k", sealGap({ ...gap, by: null, event: null, from: null }))).toContain("Unguarded since a time that is not known");
  expect(enforcementIssueBody("k", sealGap({ ...gap, restored: false }))).toContain("compliance-gate could not restore them");
});

test.each([
  [400, "under a second"],
  [5_000, "5 seconds"],
  [125_000, "2 minutes 5 seconds"],
  [90_061_000, "1 day 1 hour"],
])("%d ms is %s", (ms, words) => {
  expect(duration(ms)).toBe(words);
});

test("compliance/policy says which check is not required where, and how to fix it, whatever its verdict", async () => {
  const { renderNoPolicyChanges, withNotRequired } = await import("../../src/render/policy-check.js");
  const output = withNotRequired(renderNoPolicyChanges("policies"), [
    "production's check is not required on main: grant compliance-gate the administration permission, or require compliance/production by hand",
  ]);
  expect(output.title).toBe("No policy changes");
  expect(output.summary).toContain("### ⚠️ Not required");
  expect(output.summary).toContain("production's check is not required on main: grant compliance-gate the administration permission, or require compliance/production by hand");
  expect(withNotRequired(renderNoPolicyChanges("policies"), [])).toEqual(renderNoPolicyChanges("policies"));
});
