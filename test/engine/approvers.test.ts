// Who is an approver, and what the GitHub side must gather for it (teams, permissions).
import { approverVia, directoryOf, holdsAtLeast, permissionNeeded, qualifyTeam } from "../../src/engine/approvers.js";
import { ignoredReason, judgedOf, stancesOf } from "../../src/engine/approvals.js";
import { approvers, DEFAULT_OPTIONS, facts, policy, policySet, review, rule } from "./build.js";

const prod = policy({
  environment: "production",
  paths: ["a/**"],
  rules: [rule("SRE", ["a/**"], 1, { teams: ["sre", "other/Security"] }), rule("Owners", ["a/**"], 1, { users: ["alice"] })],
  break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident-commanders", "sre"] } },
});
const staging = policy({ environment: "staging", paths: ["b/**"], rules: [rule("Write", ["b/**"], 1, { permission: "write" })] });

describe("permissionNeeded", () => {
  it("is true only when some rule or break glass names a permission", () => {
    expect(permissionNeeded(policySet([prod]))).toBe(false);
    expect(permissionNeeded(policySet([prod, staging]))).toBe(true);
    const bg = policy({ ...prod, environment: "x", paths: ["a/**"], rules: prod.rules, break_glass: { label: "e", approvals: 1, approvers: { permission: "admin" } } });
    expect(permissionNeeded([bg])).toBe(true);
  });
});

describe("team references", () => {
  it.each([
    ["sre", "acme", "acme/sre"],
    ["ACME/SRE", "acme", "acme/sre"],
    ["other/sre", "acme", "other/sre"],
    ["sre", undefined, "sre"],
    ["acme/sre", undefined, "sre"],
  ])("%s with owner %s is %s", (ref, owner, expected) => expect(qualifyTeam(ref, owner)).toBe(expected));

  it("matches members through bare or qualified keys, case-insensitively", () => {
    const dir = directoryOf({ repository: "acme/gitops", teams: { sre: ["Alice"], "ACME/sre": ["bob"], "other/security": ["sam"] }, permissions: {} });
    const a = approvers({ teams: ["acme/SRE", "other/security"] });
    expect(approverVia(a, "alice", dir)).toEqual(["team:acme/sre"]);
    expect(approverVia(a, "BOB", dir)).toEqual(["team:acme/sre"]);
    expect(approverVia(a, "sam", dir)).toEqual(["team:other/security"]);
    expect(approverVia(a, "eve", dir)).toEqual([]);
  });

  it("says every way a reviewer is an approver", () => {
    const dir = directoryOf({ repository: "acme/gitops", teams: { sre: ["alice"] }, permissions: { Alice: "admin" } });
    expect(approverVia(approvers({ users: ["ALICE"], teams: ["sre"], permission: "maintain" }), "alice", dir)).toEqual([
      "user",
      "team:acme/sre",
      "permission:admin",
    ]);
  });
});

describe("permissions", () => {
  it.each([
    ["admin", "write", true],
    ["maintain", "maintain", true],
    ["write", "maintain", false],
    ["triage", "write", false],
    ["read", "write", false],
    [undefined, "write", false],
  ] as const)("%s holds at least %s: %s", (held, needed, expected) => expect(holdsAtLeast(held, needed)).toBe(expected));
});

describe("stances and reasons", () => {
  it("takes each reviewer's latest non-comment review, as written", () => {
    const stances = stancesOf([review("Alice"), review("bob", "CHANGES_REQUESTED"), review("alice", "COMMENTED"), review("ALICE", "DISMISSED"), review("carol", "COMMENTED")]);
    expect(stances.map((s) => [s.login, s.review.state])).toEqual([
      ["ALICE", "DISMISSED"],
      ["bob", "CHANGES_REQUESTED"],
    ]);
  });

  it("gives the reason about the person before the reason about the review", () => {
    const f = facts({ author: "carol", contributors: ["carol", "dave"], reviews: [] });
    const judged = judgedOf(f, directoryOf(f));
    const a = approvers({ users: ["carol", "dave", "erin", "x[bot]"] });
    const reason = (user: string, extra: Parameters<typeof review>[2] = {}, state: "APPROVED" | "DISMISSED" = "APPROVED") => {
      const [stance] = stancesOf([review(user, state, extra)]);
      if (!stance) throw new Error("no stance");
      return ignoredReason(stance, approverVia(a, user, judged.dir), a, DEFAULT_OPTIONS, judged);
    };
    expect(reason("zed", { commit: "old" })).toBe("not_an_approver");
    expect(reason("y[bot]", { bot: true })).toBe("not_an_approver");
    expect(reason("carol", { commit: "old" })).toBe("author");
    expect(reason("dave", { commit: "old" })).toBe("contributor");
    expect(reason("dave", {}, "DISMISSED")).toBe("contributor");
    expect(reason("erin", { commit: "old" }, "DISMISSED")).toBe("dismissed");
    expect(reason("erin", { commit: "old" })).toBe("stale");
    expect(reason("erin")).toBeNull();
    expect(reason("x[bot]", { bot: true })).toBeNull();
  });
});
