// The README's example plan is what `compliance-gate enforce` prints for it: rendered from the real
// use case over the fake of its ports, and compared with the block in the README.
import { readFileSync } from "node:fs";
import { EnforcementMemory, Enforcer } from "../../src/app/enforce.js";
import type { Policy } from "../../src/policy/types.js";
import { renderEnforcementPlan } from "../../src/render/enforcement-plan.js";
import { policy, rule } from "../engine/build.js";
import { FakeEnforcementGitHub } from "../fakes/enforcement-github.js";

const enforcing = (environment: string, branches: string[]): Policy => ({
  ...policy({ environment, branches, paths: [`clusters/${environment}/**`], rules: [rule("r", ["**"], 1, { users: ["alice"] })] }),
  enforce: { required_check: true },
});

test("the README's example plan is what the renderer prints", async () => {
  const github = new FakeEnforcementGitHub();
  github.policies.set("main", { policies: [enforcing("production", ["main", "release/*"]), enforcing("staging", ["main"])], invalid: [] });
  const outcome = await new Enforcer(new EnforcementMemory(), () => 0).enforce(github.ports(), {
    trigger: { kind: "setup", reason: "README", at: "2026-01-01T00:00:00Z" },
    apply: false,
    appId: 123456,
  });
  const text = renderEnforcementPlan({ ...outcome.view, policyCommit: "0123456789" });
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = /compliance-gate enforce --repo acme\/gitops --app-id 123456\n```\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBe(text);
});
