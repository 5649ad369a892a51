// Warnings of `validate` (and compliance/policy) about enforcement (SPEC §5): the policy governing
// policies/** must make its check required, and the policies may name at most 100 literal branches to enforce.
import { policyWarnings } from "../../src/engine/warnings.js";
import { loadPolicySet } from "../../src/policy/load.js";

const governance = (enforce: boolean): { path: string; text: string } => ({
  path: "policies/governance.yml",
  text: `version: 1\nenvironment: governance\nscope:\n  paths: [policies/**]\nrules:\n  - name: leads\n    paths: [policies/**]\n    approvals: 1\n    approvers: { users: [alice, bob] }\n${enforce ? "enforce:\n  required_check: true\n" : ""}`,
});

test("the policy that governs policies/** without a required check is warned about; with one, not", () => {
  expect(policyWarnings(loadPolicySet([governance(false)]), "policies")).toEqual([
    {
      file: "policies/governance.yml",
      field: "enforce.required_check",
      message: "this policy governs policies/** but does not make compliance/governance a required check: a merge past it can change every policy; set enforce: { required_check: true }",
    },
  ]);
  expect(policyWarnings(loadPolicySet([governance(true)]), "policies")).toEqual([]);
});

test("more than 100 literal branches to enforce (the default branch of a policy naming none counts) is warned about: the app requires the checks on none of them", () => {
  const branches = Array.from({ length: 100 }, (_, i) => `env-${i}`).join(", ");
  const many = { path: "policies/many.yml", text: `version: 1\nenvironment: many\nscope:\n  branches: [${branches}]\n  paths: [clusters/**]\nrules:\n  - name: r\n    paths: ["**"]\n    approvals: 1\n    approvers: { users: [alice] }\nenforce:\n  required_check: true\n` };
  const warnings = policyWarnings(loadPolicySet([governance(true), many]), "policies");
  expect(warnings).toEqual([
    {
      file: "policies",
      field: "",
      message: "the policies name 101 branches to enforce (enforce.required_check), more than 100: compliance-gate requires the checks on none of them; name them with patterns such as release/*",
    },
  ]);
});
