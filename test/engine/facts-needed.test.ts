// factsNeeded(set, base, defaultBranch, owner): what the GitHub side reads for a PR into a base —
// the teams and permissions of the environments judging it, and the checks they expect.
import { factsNeeded, type FactsNeeded } from "../../src/engine/facts-needed.js";
import type { PolicySet } from "../../src/policy/types.js";
import { invalid, policy, policySet, rule } from "./build.js";

const production = policy({
  environment: "production",
  paths: ["clusters/production/**"],
  rules: [rule("SRE", ["**"], 2, { teams: ["sre", "Other-Org/Security"] }), rule("Owners", ["**"], 1, { users: ["alice"] })],
  break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident", "sre"] } },
});
const staging = policy({
  environment: "staging",
  branches: ["main", "release/*"],
  paths: ["clusters/staging/**"],
  rules: [rule("Writers", ["**"], 1, { permission: "write", teams: ["acme/sre", "platform"] })],
});
const release = policy({
  environment: "release",
  branches: ["release/*"],
  paths: ["**"],
  rules: [rule("Release", ["**"], 1, { teams: ["release-managers"] })],
  break_glass: { label: "emergency", approvals: 1, approvers: { permission: "admin" } },
});
/** A second file for production: the environment cannot be evaluated, but its teams are still read. */
const productionAgain = policy({ environment: "production", file: "policies/production-2.yml", paths: ["**"], rules: [rule("Leads", ["**"], 1, { teams: ["leads"] })] });
/** Minimatch refuses a pattern this long: a policy whose globs cannot be compiled is taken to judge every branch. */
const uncompilable = policy({ environment: "sandbox", branches: ["a".repeat(70_000)], paths: ["**"], rules: [rule("Sandbox", ["**"], 1, { teams: ["sandbox"] })] });
const broken = invalid("zeta", [{ field: "rules", message: "must be a list" }]);

const team = (key: string, org: string, slug: string) => ({ key, org, slug });

describe("factsNeeded", () => {
  const table: [string, PolicySet, string, FactsNeeded][] = [
    [
      "teams of rules then break glass, bare slugs in the owner's org, distinct by key",
      policySet([production]),
      "main",
      {
        teams: [team("acme/sre", "acme", "sre"), team("Other-Org/Security", "Other-Org", "Security"), team("acme/incident", "acme", "incident")],
        permissions: false,
        checks: ["compliance/production"],
      },
    ],
    [
      "a team written as owner/slug is the one a bare slug names",
      policySet([production, staging]),
      "main",
      {
        teams: [team("acme/sre", "acme", "sre"), team("Other-Org/Security", "Other-Org", "Security"), team("acme/incident", "acme", "incident"), team("acme/platform", "acme", "platform")],
        permissions: true,
        checks: ["compliance/production", "compliance/staging"],
      },
    ],
    [
      "only the environments judging the base: another branch's teams and permissions are not read",
      policySet([release, production]),
      "main",
      {
        teams: [team("acme/sre", "acme", "sre"), team("Other-Org/Security", "Other-Org", "Security"), team("acme/incident", "acme", "incident")],
        permissions: false,
        checks: ["compliance/production"],
      },
    ],
    [
      "a release branch: the policies whose branches match it",
      policySet([production, staging, release]),
      "release/1.0",
      {
        teams: [team("acme/sre", "acme", "sre"), team("acme/platform", "acme", "platform"), team("acme/release-managers", "acme", "release-managers")],
        permissions: true,
        checks: ["compliance/release", "compliance/staging"],
      },
    ],
    [
      "an invalid file names no approvers, but its environment expects a check whatever the branch",
      policySet([release], [broken]),
      "main",
      { teams: [], permissions: false, checks: ["compliance/zeta"] },
    ],
    [
      "an environment of two files: one check, the teams of both",
      policySet([productionAgain, production]),
      "main",
      {
        teams: [team("acme/leads", "acme", "leads"), team("acme/sre", "acme", "sre"), team("Other-Org/Security", "Other-Org", "Security"), team("acme/incident", "acme", "incident")],
        permissions: false,
        checks: ["compliance/production"],
      },
    ],
    [
      "a policy whose globs cannot be compiled judges every branch (fail closed)",
      policySet([uncompilable]),
      "feature/x",
      { teams: [team("acme/sandbox", "acme", "sandbox")], permissions: false, checks: ["compliance/sandbox"] },
    ],
    ["no policy judges the base", policySet([production, staging]), "feature/x", { teams: [], permissions: false, checks: [] }],
  ];
  it.each(table)("%s", (_name, set, base, expected) => {
    expect(factsNeeded(set, base, "main", "acme")).toEqual(expected);
  });

  it("keys teams as written: two spellings of a slug are two keys, as facts.teams has always held them", () => {
    const set = policySet([policy({ environment: "p", paths: ["**"], rules: [rule("r", ["**"], 1, { teams: ["SRE", "sre"] })] })]);
    expect(factsNeeded(set, "main", "main", "Acme").teams).toEqual([team("Acme/SRE", "Acme", "SRE"), team("Acme/sre", "Acme", "sre")]);
  });

  it("judges the default branch when a policy names no branches", () => {
    expect(factsNeeded(policySet([production]), "trunk", "trunk", "acme").checks).toEqual(["compliance/production"]);
    expect(factsNeeded(policySet([production]), "main", "trunk", "acme").checks).toEqual([]);
  });
});
