// Which environments judge a base branch.
import { decide } from "../../src/engine/decide.js";
import { environmentsFor } from "../../src/engine/environments.js";
import { facts, invalid, policy, policySet, rule } from "./build.js";

const base = { paths: ["a/**"], rules: [rule("r", ["a/**"], 1, { users: ["x"] })] };
const main = policy({ ...base, environment: "main-only" });
const release = policy({ ...base, environment: "release", branches: ["release/*", "hotfix-*"] });
const broken = invalid("broken", [{ field: "", message: "not valid YAML" }]);
const set = policySet([main, release], [broken]);

describe("environmentsFor", () => {
  it.each([
    ["main", ["main-only"]],
    ["release/1.2", ["release"]],
    ["release/1.2/x", []],
    ["hotfix-7", ["release"]],
    ["develop", []],
  ])("base %s keeps %j and every invalid file", (b, expected) => {
    const narrowed = environmentsFor(set, b, "main");
    expect(narrowed.policies.map((p) => p.environment)).toEqual(expected);
    expect(narrowed.invalid).toEqual([broken]);
  });

  it("agrees with the environments decide reports", () => {
    for (const b of ["main", "release/1.2", "develop"]) {
      const narrowed = environmentsFor(set, b, "main");
      const names = [...narrowed.policies.map((p) => p.environment), ...narrowed.invalid.map((p) => p.environment)].sort();
      expect(decide(set, facts({ base: b, default_branch: "main" })).environments.map((e) => e.environment)).toEqual(names);
    }
  });

  it("a policy whose globs cannot compile fails closed instead of disappearing", () => {
    const bad = policy({ ...base, environment: "bad", branches: ["feature"], paths: ["a".repeat(70 * 1024)] });
    expect(environmentsFor(policySet([bad]), "main", "main").policies).toEqual([bad]);
    const [env] = decide(policySet([bad]), facts({ files: ["a/x"] })).environments;
    expect(env?.state).toBe("error");
    expect(env?.title).toMatch(/^Invalid policy: policies\/bad\.yml: glob "a+…/);
  });

  it("reports a policy whose freeze names an unknown time zone as an error", () => {
    const p = policy({ ...base, environment: "tz", freeze: [{ kind: "recurring", name: "x", days: ["mon"], start: 0, end: 1440, timezone: "Nowhere/Land" }] });
    const [env] = decide(policySet([p]), facts({ files: ["a/x"] })).environments;
    expect(env?.state).toBe("error");
    expect(env?.errors[0]?.field).toBe("freeze");
  });
});
