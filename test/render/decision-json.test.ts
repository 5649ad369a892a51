// The JSON of a decision (SPEC §6.2): exactly its fields, in its order; `unlinked` only where there are some.
import { decide } from "../../src/engine/decide.js";
import { decisionJson } from "../../src/render/decision-json.js";
import { facts, invalid, policy, policySet, review, rule } from "../engine/build.js";

const production = policy({
  environment: "production",
  branches: ["main"],
  paths: ["clusters/production/**"],
  rules: [rule("SRE approves", ["clusters/production/**"], 2, { teams: ["sre"] })],
});

test("every field of SPEC §6.2, in its order, with policy errors as file:line:col lines", () => {
  const set = policySet([production], [invalid("staging", [{ line: 3, column: 7, field: "rules", message: "must be a list" }])]);
  const json = decisionJson(
    decide(set, facts({ files: ["clusters/production/a.yaml", "clusters/staging/b.yaml"], reviews: [review("alice"), review("carol")], teams: { sre: ["alice", "carol"] } })),
  );
  expect(json).toMatchSnapshot();
  expect(Object.keys(json.environments[0] ?? {})).toEqual(["environment", "check", "state", "break_glass", "title", "files", "uncovered", "freeze", "rules", "errors"]);
});

test("unlinked commit identities come after freeze, and only when there are some", () => {
  const unlinked = [{ commit: "a".repeat(40), role: "author" as const, name: "carol", email: "carol@laptop" }];
  const json = decisionJson(decide(policySet([production]), facts({ files: ["clusters/production/a.yaml"], unlinked })));
  expect(Object.keys(json.environments[0] ?? {})).toEqual(["environment", "check", "state", "break_glass", "title", "files", "uncovered", "freeze", "unlinked", "rules", "errors"]);
  expect(json.environments[0]?.unlinked).toEqual(unlinked);
});
