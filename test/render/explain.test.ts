// What `compliance-gate explain` prints: each environment's check under its name, never cut.
import { decide } from "../../src/engine/decide.js";
import { renderExplain } from "../../src/render/explain.js";
import { facts, policy, policySet, rule } from "../engine/build.js";

const production = policy({
  environment: "production",
  branches: ["main"],
  paths: ["clusters/production/**"],
  rules: [rule("SRE approves", ["clusters/production/**"], 1, { teams: ["sre"] })],
});
const context = { repository: "acme/gitops", pullNumber: 42, policyCommit: "b".repeat(40), warnings: [], serverUrl: "https://github.com" };

test("each environment's title and summary under its check's name", () => {
  const f = facts({ files: ["clusters/production/a.yaml"] });
  expect(renderExplain(decide(policySet([production]), f), { ...context, facts: f })).toMatchSnapshot();
});

test("a summary far over GitHub's limit is printed whole", () => {
  const files = Array.from({ length: 3000 }, (_, i) => `clusters/production/${"d".repeat(40)}/file-${i}.yaml`);
  const f = facts({ files });
  const out = renderExplain(decide(policySet([production]), f), { ...context, facts: f });
  expect(out.length).toBeGreaterThan(65_535 * 2);
  expect(out).not.toContain("Cut to fit");
  expect(out).toContain("file-2999.yaml");
});

test("a base branch no policy judges: says the app posts no check", () => {
  const f = facts({ base: "develop", files: ["clusters/production/a.yaml"] });
  expect(renderExplain(decide(policySet([production]), f), { ...context, facts: f })).toBe(
    "# acme/gitops#42: compliance checks\n\n" +
      "Head `h2` into `develop`, judged by the policies at `bbbbbbb` (the tip of `develop`), at 2026-12-01T10:00:00.000Z.\n\n" +
      "No policy judges the base branch `develop`: the app posts no compliance check on this pull request.\n",
  );
});
