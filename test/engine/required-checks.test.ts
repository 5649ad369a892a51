// What the policies want required where (SPEC §5).
import { checksWantedOn, wantedChecks } from "../../src/engine/required-checks.js";
import type { Policy, PolicySet } from "../../src/policy/types.js";
import { policy, rule } from "../engine/build.js";

function enforcing(environment: string, branches?: string[], required = true): Policy {
  return { ...policy({ environment, ...(branches ? { branches } : {}), paths: [`clusters/${environment}/**`], rules: [rule("r", ["**"], 1, { users: ["a"] })] }), enforce: { required_check: required } };
}
const set = (...policies: Policy[]): PolicySet => ({ policies, invalid: [] });

test("each enforcing environment's branches require its check and compliance/policy; others add nothing", () => {
  const wanted = wantedChecks(set(enforcing("production", ["main", "release/*"]), enforcing("staging", ["main"]), enforcing("dev", ["dev"], false)), "main");
  expect(wanted.targets).toEqual([
    { glob: "main", literal: true, ref: "refs/heads/main", checks: ["compliance/policy", "compliance/production", "compliance/staging"] },
    { glob: "release/*", literal: false, ref: "refs/heads/release/*", checks: ["compliance/policy", "compliance/production"] },
  ]);
  expect(wanted.unenforceable).toEqual([]);
});

test("no scope.branches means the default branch", () => {
  expect(wantedChecks(set(enforcing("production")), "trunk").targets).toEqual([
    { glob: "trunk", literal: true, ref: "refs/heads/trunk", checks: ["compliance/policy", "compliance/production"] },
  ]);
});

test("a glob rulesets cannot express is reported with its file and field, and enforced nowhere", () => {
  const wanted = wantedChecks(set(enforcing("production", ["main", "hot/+(a|b)"])), "main");
  expect(wanted.targets.map((t) => t.glob)).toEqual(["main"]);
  expect(wanted.unenforceable).toEqual([
    expect.objectContaining({ file: "policies/production.yml", field: "scope.branches[1]", glob: "hot/+(a|b)", environment: "production" }),
  ]);
});

test("invalid files are named: what they want is unknown", () => {
  const wanted = wantedChecks({ policies: [], invalid: [{ file: "policies/x.yml", environment: "x", errors: [] }] }, "main");
  expect(wanted).toEqual({ targets: [], unenforceable: [], invalid: ["policies/x.yml"] });
});

test("a branch's own policies say which checks it gets", () => {
  const own = set(enforcing("production", ["main", "release/*"]), enforcing("staging", ["main"]));
  expect(checksWantedOn(own, "release/1", "main")).toEqual(["compliance/policy", "compliance/production"]);
  expect(checksWantedOn(own, "feature", "main")).toEqual([]);
});
