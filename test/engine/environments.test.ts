// Which environments judge a base branch.
import { decide } from "../../src/engine/decide.js";
import { environmentsFor } from "../../src/engine/environments.js";
import { sharedGlobs } from "../../src/engine/globs.js";
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

  it("a policy whose branch globs cannot compile judges every branch: it fails closed instead of disappearing", () => {
    const bad = policy({ ...base, environment: "bad", branches: ["a".repeat(70 * 1024)] });
    expect(environmentsFor(policySet([bad]), "main", "main").policies).toEqual([bad]);
    const [env] = decide(policySet([bad]), facts({ files: ["a/x"] })).environments;
    expect(env?.state).toBe("pending"); // its paths and rules are fine: it is decided (waiting for x), on every branch
  });

  // Changed on purpose (issue 7 review): which branches a policy judges is read from its branch globs
  // alone, so a policy whose path globs cannot compile (validation refuses those) fails closed where it
  // judges, and only there.
  it("a policy whose path globs cannot compile is an error on the branches it judges", () => {
    const bad = policy({ ...base, environment: "bad", branches: ["feature"], paths: ["a".repeat(70 * 1024)] });
    const [env] = decide(policySet([bad]), facts({ base: "feature", files: ["a/x"] })).environments;
    expect(env?.state).toBe("error");
    expect(env?.title).toMatch(/^Invalid policy: policies\/bad\.yml: glob "a{59}…" cannot be/);
    expect(env?.errors).toEqual([{ file: "policies/bad.yml", field: "", message: `glob "${"a".repeat(59)}…" cannot be compiled: pattern is too long` }]);
    expect(decide(policySet([bad]), facts({ base: "feature", files: [] })).environments[0]?.state).toBe("error");
    // its branches are known, and main is not one of them: compiling its paths was never needed
    expect(environmentsFor(policySet([bad]), "main", "main").policies).toEqual([]);
    expect(decide(policySet([bad]), facts({ files: ["a/x"] })).environments).toEqual([]);
  });

  it("deciding whether a policy applies compiles its branch globs only, through the shared cache", () => {
    const p = policy({ ...base, environment: "p", branches: ["only-branches-*"], paths: ["only-paths-1/**"], rules: [rule("r", ["only-paths-2/**"], 1, { users: ["x"] })] });
    expect(environmentsFor(policySet([p]), "main", "main").policies).toEqual([]);
    expect(environmentsFor(policySet([p]), "only-branches-1", "main").policies).toEqual([p]);
    expect(sharedGlobs.has("only-branches-*")).toBe(true);
    expect(sharedGlobs.has("only-paths-1/**")).toBe(false);
    expect(sharedGlobs.has("only-paths-2/**")).toBe(false);
  });

  it("reports a policy whose freeze names an unknown time zone as an error", () => {
    const p = policy({ ...base, environment: "tz", freeze: [{ kind: "recurring", name: "x", days: ["mon"], start: 0, end: 1440, timezone: "Nowhere/Land" }] });
    const [env] = decide(policySet([p]), facts({ files: ["a/x"] })).environments;
    expect(env?.state).toBe("error");
    expect(env?.errors[0]?.field).toBe("freeze");
  });
});
