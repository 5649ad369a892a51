// touchedEnvironments(set, change): the environments a change touches, without weighing reviews —
// a table of the cases the audit meets, and the property that it is decide's answer, reviews aside.
import fc from "fast-check";
import { decide } from "../../src/engine/decide.js";
import { touchedEnvironments, type Change } from "../../src/engine/touched.js";
import type { ChangedFile, Facts, Review } from "../../src/engine/types.js";
import type { PolicySet } from "../../src/policy/types.js";
import { facts, file, invalid, oneOff, policy, policySet, rule } from "./build.js";

const production = policy({
  environment: "production",
  paths: ["clusters/production/**"],
  exclude: ["**/*.md"],
  rules: [rule("SRE", ["clusters/production/**"], 2, { teams: ["sre"] })],
});
const staging = policy({
  environment: "staging",
  branches: ["main", "release/*"],
  paths: ["clusters/staging/**"],
  rules: [rule("Platform", ["**"], 1, { users: ["pat"] })],
});
/** Minimatch refuses a pattern this long: the policy's globs cannot be compiled. */
const uncompilable = policy({ environment: "sandbox", paths: ["a".repeat(70_000)], rules: [] });

const change = (files: (string | ChangedFile)[], extra: Partial<Change> = {}): Change => ({
  base: "main",
  default_branch: "main",
  files: files.map((f) => (typeof f === "string" ? file(f) : f)),
  files_truncated: false,
  ...extra,
});

describe("touchedEnvironments", () => {
  const table: [string, PolicySet, Change, string[]][] = [
    ["a path in one scope", policySet([production, staging]), change(["clusters/production/api.yaml"]), ["production"]],
    ["paths in two scopes, sorted by name", policySet([staging, production]), change(["clusters/staging/a.yaml", "clusters/production/b.yaml"]), ["production", "staging"]],
    ["no path in any scope", policySet([production, staging]), change(["docs/runbook.md"]), []],
    ["an excluded path", policySet([production]), change(["clusters/production/README.md"]), []],
    ["a rename out of a scope touches it", policySet([production]), change([file("archive/api.yaml", "renamed", "clusters/production/api.yaml")]), ["production"]],
    ["no files at all", policySet([production, staging]), change([]), []],
    ["another base: only the environments judging it", policySet([production, staging]), change(["clusters/production/a.yaml", "clusters/staging/a.yaml"], { base: "release/1" }), ["staging"]],
    ["a base nobody judges", policySet([production, staging]), change(["clusters/production/a.yaml"], { base: "feature" }), []],
    ["files truncated: every environment judging the base", policySet([production, staging]), change([], { files_truncated: true }), ["production", "staging"]],
    ["files truncated on an unjudged base: none", policySet([production]), change([], { base: "feature", files_truncated: true }), []],
    [
      "an invalid file is touched on every base, whatever the files",
      policySet([production], [invalid("governance", [{ field: "rules", message: "required" }])]),
      change(["docs/runbook.md"], { base: "feature" }),
      ["governance"],
    ],
    ["two files naming one environment: touched", policySet([production, { ...production, file: "policies/prod2.yml" }]), change([]), ["production"]],
    ["a policy whose globs cannot be compiled: touched", policySet([uncompilable, production]), change(["docs/x.md"]), ["sandbox"]],
  ];
  test.each(table)("%s", (_name, set, c, expected) => {
    expect(touchedEnvironments(set, c)).toEqual(expected);
  });

  test("an active freeze does not matter: the change touches the environment all the same", () => {
    const frozen = policy({ environment: "production", paths: ["clusters/production/**"], rules: [], freeze: [oneOff("now", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")] });
    expect(touchedEnvironments(policySet([frozen]), change(["clusters/production/a.yaml"]))).toEqual(["production"]);
  });
});

const PATHS = ["clusters/production/api.yaml", "clusters/production/README.md", "clusters/staging/api.yaml", "apps/shop/overlays/production/patch.yaml", "docs/runbook.md"];

const setArb = fc
  .record({
    stagingBranches: fc.constantFrom<string[] | undefined>(undefined, ["main"], ["release/*"], ["main", "release/*"]),
    withInvalid: fc.boolean(),
    duplicated: fc.boolean(),
    broken: fc.boolean(),
  })
  .map(({ stagingBranches, withInvalid, duplicated, broken }): PolicySet => {
    const stagingPolicy = policy({
      environment: "staging",
      ...(stagingBranches ? { branches: stagingBranches } : {}),
      paths: ["clusters/staging/**", "apps/*/overlays/staging/**"],
      rules: [rule("Platform", ["**"], 1, { users: ["pat"] })],
    });
    return policySet(
      [
        production,
        policy({ environment: "apps", paths: ["apps/*/overlays/production/**"], rules: [rule("Apps", ["apps/**"], 1, { users: ["dave"] })] }),
        stagingPolicy,
        ...(duplicated ? [{ ...stagingPolicy, file: "policies/staging-2.yml" }] : []),
        ...(broken ? [uncompilable] : []),
      ],
      withInvalid ? [invalid("governance", [{ field: "rules", message: "required" }])] : [],
    );
  });

const fileArb = fc.oneof(
  fc.record<ChangedFile>({ path: fc.constantFrom(...PATHS), status: fc.constantFrom("added", "modified", "removed") }),
  fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...PATHS)).map(([path, previous_path]): ChangedFile => ({ path, previous_path, status: "renamed" })),
);

const reviewArb = fc.record<Review>({
  user: fc.constantFrom("alice", "dave", "pat"),
  state: fc.constantFrom("APPROVED", "CHANGES_REQUESTED", "COMMENTED"),
  commit: fc.constant("h2"),
  bot: fc.constant(false),
});

const factsArb = fc
  .record({
    base: fc.constantFrom("main", "release/1", "feature"),
    files: fc.array(fileArb, { maxLength: 5 }),
    truncated: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    reviews: fc.array(reviewArb, { maxLength: 4 }),
    labels: fc.subarray(["emergency"]),
  })
  .map(({ base, files, truncated, reviews, labels }): Facts => facts({ base, files, files_truncated: truncated, reviews, labels }));

test("touchedEnvironments is decide's environments that are not not_affected, whatever the reviews", () => {
  fc.assert(
    fc.property(setArb, factsArb, (set, f) => {
      const decided = decide(set, f)
        .environments.filter((env) => env.state !== "not_affected")
        .map((env) => env.environment);
      expect(touchedEnvironments(set, f)).toEqual(decided);
    }),
    { numRuns: 500 },
  );
});
