// The one-line titles of checks (SPEC §3).
import { decide } from "../../src/engine/decide.js";
import { describeNeeded, MAX_TITLE } from "../../src/engine/title.js";
import { formatPolicyError } from "../../src/policy/errors.js";
import { facts, invalid, policy, policySet, review, rule } from "./build.js";

describe("titles", () => {
  it("names at most three approvers and counts the rest", () => {
    expect(describeNeeded({ users: ["a", "b"], teams: ["acme/sre"], permission: "write" })).toBe("@a, @b or 2 others");
    expect(describeNeeded({ users: ["a"], teams: ["acme/sre"], permission: "write" })).toBe("@a, @acme/sre or anyone with write");
    expect(describeNeeded({ users: [], teams: [] })).toBe("");
  });

  it("formats policy errors as file:line:col: field: message", () => {
    expect(formatPolicyError({ file: "p.yml", line: 3, column: 5, field: "rules[0]", message: "bad" })).toBe("p.yml:3:5: rules[0]: bad");
    expect(formatPolicyError({ file: "p.yml", field: "", message: "bad" })).toBe("p.yml: bad");
  });

  it("cuts long titles with an ellipsis", () => {
    const long = invalid("production", [{ line: 1, column: 1, field: "x", message: "m".repeat(300) }, { field: "y", message: "n" }]);
    const [env] = decide(policySet([], [long]), facts()).environments;
    expect(env?.title.length).toBe(MAX_TITLE);
    expect(env?.title).toMatch(/… \(\+1 more\)$/);
  });

  it("keeps a title on one line", () => {
    const multi = invalid("production", [{ line: 2, column: 1, field: "", message: "bad indentation\n  at line 2\r\n" }]);
    const [env] = decide(policySet([], [multi]), facts()).environments;
    expect(env?.title).toBe("Invalid policy: policies/production.yml:2:1: bad indentation at line 2");
  });

  it("merges rules that wait for the same approvers, and names a rule nobody can approve", () => {
    const p = policy({
      environment: "production",
      paths: ["a/**"],
      rules: [
        rule("one", ["a/**"], 1, { teams: ["sre"] }),
        rule("two", ["a/**"], 2, { teams: ["sre"] }),
        rule("self", ["a/**"], 1, { users: ["carol"] }),
      ],
    });
    const [env] = decide(policySet([p]), facts({ files: ["a/x"] })).environments;
    expect(env?.title).toBe('Waiting for 2 approvals from @acme/sre and 1 approval for "self" (nobody eligible)');
  });

  it("counts many people requesting changes", () => {
    const p = policy({ environment: "production", paths: ["a/**"], rules: [rule("r", ["a/**"], 1, { users: ["a", "b", "c", "d"] })] });
    const reviews = ["d", "c", "b", "a"].map((u) => review(u, "CHANGES_REQUESTED"));
    const [env] = decide(policySet([p]), facts({ files: ["a/x"], reviews })).environments;
    expect(env?.title).toBe("Blocked: changes requested by @a, @b and 2 more");
  });
});
