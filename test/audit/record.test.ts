// Building audit records from real decisions (SPEC §4.2, §4.3): what is listed, why approvals counted, compliance.
import { decide } from "../../src/engine/decide.js";
import type { Decision } from "../../src/engine/types.js";
import { buildMergeRecord, buildPushRecord, recordLabel, type MergeRecordInput } from "../../src/audit/record.js";
import { DESCRIPTION_CUT_MARKER, MAX_DESCRIPTION_BYTES } from "../../src/audit/merge-why.js";
import { canonicalJson } from "../../src/audit/canonical.js";
import { facts, invalid, oneOff, policy, policySet, review, rule, type FactsInput } from "../engine/build.js";

const HEAD = "h2";
const TEAMS = { sre: ["alice", "bob"], security: ["sec"], "incident-commanders": ["ic"] };

const SET = policySet([
  policy({
    environment: "production",
    branches: ["main"],
    paths: ["clusters/production/**"],
    rules: [
      rule("SRE approves cluster changes", ["clusters/production/**"], 2, { teams: ["sre"], users: ["bob"] }),
      rule("Security approves secrets", ["**/secrets/**"], 1, { teams: ["security"] }),
    ],
    break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident-commanders"] } },
  }),
  policy({ environment: "staging", branches: ["main"], paths: ["clusters/staging/**"], rules: [rule("Anyone", ["**"], 0)] }),
  policy({ environment: "dev", branches: ["dev"], paths: ["**"], rules: [rule("Anyone", ["**"], 0)] }),
]);

function decision(f: FactsInput): Decision {
  return decide(SET, facts({ teams: TEAMS, head: HEAD, ...f }));
}

function input(d: Decision, overrides: Partial<MergeRecordInput> = {}): MergeRecordInput {
  return {
    repository: "acme/gitops",
    pull: {
      number: 42,
      title: "Bump api",
      body: "Bumps api to 1.4.2 for the TLS fix.\n\nFixes #12",
      author: "carol",
      head_sha: HEAD,
      merge_commit_sha: "m1",
      merged_by: "dave",
      merged_at: "2026-12-01T10:00:00Z",
      base: "main",
    },
    contributors: ["carol", "Erin", "web-flow", "erin", "CAROL"],
    unlinked: [],
    linkedIssues: { issues: [{ repository: "acme/gitops", number: 12, title: "TLS handshake fails" }], total: 1 },
    decision: d,
    policy: { commit: "base1", files: { "policies/production.yml": "blob1", "policies/staging.yml": "blob2" } },
    evaluated_at: "2026-12-01T10:00:05Z",
    ...overrides,
  };
}

const approvedReviews = [
  review("alice", "APPROVED", { id: 11, submitted_at: "2026-12-01T09:00:00Z" }),
  review("bob", "APPROVED", { id: 12, submitted_at: "2026-12-01T09:10:00Z" }),
];

describe("buildMergeRecord", () => {
  test("an approved merge: the fields of SPEC §4.2 in its order, approvals with the team membership that made them count", () => {
    const record = buildMergeRecord(input(decision({ files: ["clusters/production/api.yaml", "clusters/production/db.yaml"], reviews: approvedReviews })));
    expect(Object.keys(record)).toEqual([
      "version", "kind", "repository", "pull_request", "title", "description", "linked_issues", "author", "contributors", "unlinked", "base", "head_sha",
      "merge_commit_sha", "merged_by", "merged_at", "policy", "environments", "compliant", "evaluated_at",
    ]);
    expect(record).toEqual({
      version: 1,
      kind: "merge",
      repository: "acme/gitops",
      pull_request: 42,
      title: "Bump api",
      description: "Bumps api to 1.4.2 for the TLS fix.\n\nFixes #12",
      linked_issues: [{ repository: "acme/gitops", number: 12, title: "TLS handshake fails" }],
      author: "carol",
      contributors: ["carol", "Erin"],
      unlinked: [],
      base: "main",
      head_sha: HEAD,
      merge_commit_sha: "m1",
      merged_by: "dave",
      merged_at: "2026-12-01T10:00:00Z",
      policy: { commit: "base1", files: { "policies/production.yml": "blob1", "policies/staging.yml": "blob2" } },
      environments: [
        {
          environment: "production",
          policy_file: "policies/production.yml",
          state: "approved",
          break_glass: false,
          break_glass_approved_by: [],
          files: 2,
          uncovered: 0,
          freeze: null,
          changes_requested: [],
          unlinked_blocks: false,
          errors: [],
          rules: [
            {
              name: "SRE approves cluster changes",
              required: 2,
              satisfied: true,
              approved_by: [
                { login: "alice", review_id: 11, commit: HEAD, submitted_at: "2026-12-01T09:00:00Z", via: ["team:acme/sre"] },
                { login: "bob", review_id: 12, commit: HEAD, submitted_at: "2026-12-01T09:10:00Z", via: ["user", "team:acme/sre"] },
              ],
            },
          ],
        },
      ],
      compliant: true,
      evaluated_at: "2026-12-01T10:00:05Z",
    });
    // Everything in it is JSON.
    expect(() => canonicalJson(record)).not.toThrow();
  });

  test("lists every evaluated environment the change touched, sorted; not_affected and unevaluated ones are left out", () => {
    const record = buildMergeRecord(input(decision({ files: ["clusters/staging/a.yaml", "clusters/production/api.yaml"], reviews: approvedReviews })));
    expect(record.environments.map((e) => [e.environment, e.state])).toEqual([
      ["production", "approved"],
      ["staging", "approved"],
    ]);
    const stagingOnly = buildMergeRecord(input(decision({ files: ["clusters/staging/a.yaml"] })));
    expect(stagingOnly.environments.map((e) => e.environment)).toEqual(["staging"]);
    expect(stagingOnly.compliant).toBe(true);
  });

  test("an unknown review id and time are null, never absent", () => {
    const record = buildMergeRecord(input(decision({ files: ["clusters/production/api.yaml"], reviews: [review("alice"), review("bob")] })));
    expect(record.environments[0]?.rules[0]?.approved_by[0]).toEqual({ login: "alice", review_id: null, commit: HEAD, submitted_at: null, via: ["team:acme/sre"] });
  });

  test("a violation: merged while pending is not compliant; the rule says who counted and that it was not satisfied", () => {
    const record = buildMergeRecord(
      input(decision({ files: ["clusters/production/api.yaml", "clusters/production/secrets/db.yaml"], reviews: approvedReviews })),
    );
    const production = record.environments[0];
    expect(production?.state).toBe("pending");
    expect(production?.rules.map((r) => [r.name, r.required, r.satisfied, r.approved_by.length])).toEqual([
      ["SRE approves cluster changes", 2, true, 2],
      ["Security approves secrets", 1, false, 0],
    ]);
    expect(record.compliant).toBe(false);
  });

  test("blocked by a freeze and by changes requested: the record says so", () => {
    const frozen = policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**"],
        rules: [rule("SRE", ["clusters/production/api.yaml"], 1, { teams: ["sre"] })],
        freeze: [oneOff("year-end", "2026-11-30T00:00:00Z", "2026-12-02T00:00:00Z")],
      }),
    ]);
    const d = decide(
      frozen,
      facts({ files: ["clusters/production/api.yaml", "clusters/production/other.yaml"], teams: TEAMS, reviews: [review("alice"), review("bob", "CHANGES_REQUESTED")] }),
    );
    const env = buildMergeRecord(input(d)).environments[0];
    expect(env).toMatchObject({ state: "blocked", freeze: "year-end", uncovered: 1, changes_requested: ["bob"], files: 2 });
  });

  test("lists the commit identities linked to no account and, under block, that they blocked: a violation", () => {
    const blocking = policySet([{ ...(SET.policies[0] as (typeof SET.policies)[0]), options: { ...(SET.policies[0] as (typeof SET.policies)[0]).options, unlinked_commits: "block" } }]);
    const unlinked = [
      { commit: "abc1234".padEnd(40, "0"), role: "author" as const, name: "carol", email: "carol@laptop" },
      { commit: "def5678".padEnd(40, "0"), role: "co-author" as const, name: "frank", email: "frank@contractor.example" },
    ];
    // The co-author dave (a noreply trailer) is a contributor like any committer.
    const f = facts({ files: ["clusters/production/api.yaml"], teams: TEAMS, reviews: approvedReviews, contributors: ["carol", "dave"], unlinked });
    const record = buildMergeRecord(input(decide(blocking, f), { contributors: f.contributors, unlinked: f.unlinked }));
    expect(record.contributors).toEqual(["carol", "dave"]);
    expect(record.unlinked).toEqual(unlinked);
    expect(record.environments[0]).toMatchObject({ environment: "production", state: "blocked", unlinked_blocks: true, uncovered: 0, freeze: null, changes_requested: [] });
    expect(record.compliant).toBe(false);
    // the same change under warn: compliant, and the identities are still listed for the auditor
    const warned = buildMergeRecord(input(decide(SET, f), { contributors: f.contributors, unlinked: f.unlinked }));
    expect(warned.compliant).toBe(true);
    expect(warned.unlinked).toEqual(unlinked);
    expect(warned.environments[0]?.unlinked_blocks).toBe(false);
  });

  test("break glass: approved and compliant, flagged, with who opened it", () => {
    const record = buildMergeRecord(
      input(decision({ files: ["clusters/production/api.yaml"], labels: ["emergency"], reviews: [review("ic", "APPROVED", { id: 7 })] })),
    );
    expect(record.environments[0]).toMatchObject({
      state: "approved",
      break_glass: true,
      break_glass_approved_by: [{ login: "ic", review_id: 7, commit: HEAD, submitted_at: null, via: ["team:acme/incident-commanders"] }],
    });
    expect(record.compliant).toBe(true);
  });

  test("an environment in error is listed with its errors and makes the record non-compliant", () => {
    const set = policySet(SET.policies, [invalid("legacy", [{ field: "rules[0].approvals", message: "must be an integer from 0 to 20", line: 9, column: 5 }])]);
    const d = decide(set, facts({ files: ["clusters/production/api.yaml"], teams: TEAMS, reviews: approvedReviews }));
    const record = buildMergeRecord(input(d));
    expect(record.environments.map((e) => [e.environment, e.state])).toEqual([
      ["legacy", "error"],
      ["production", "approved"],
    ]);
    expect(record.environments[0]?.errors).toEqual(["policies/legacy.yml:9:5: rules[0].approvals: must be an integer from 0 to 20"]);
    expect(record.compliant).toBe(false);
  });

  test("copies its inputs: changing the decision afterwards does not change the record", () => {
    const d = decision({ files: ["clusters/production/api.yaml"], reviews: approvedReviews });
    const i = input(d);
    const record = buildMergeRecord(i);
    const before = canonicalJson(record);
    d.environments[0]?.rules[0]?.approvals[0]?.via.push("user");
    i.policy.files["policies/x.yml"] = "x";
    expect(canonicalJson(record)).toBe(before);
  });

  test("its label is owner/name#number", () => {
    expect(recordLabel(buildMergeRecord(input(decision({ files: ["clusters/staging/a.yaml"] }))))).toBe("acme/gitops#42");
    expect(recordLabel({ repository: "acme/gitops" })).toBeNull();
    expect(recordLabel("x")).toBeNull();
  });
});

describe("buildPushRecord", () => {
  const push = {
    branch: "main",
    before: "b0".repeat(20),
    after: "a1".repeat(20),
    pusher: "mallory",
    pushed_at: "2026-12-01T11:00:00Z",
    commits: [
      { sha: "c1", author: "mallory", committer: "web-flow" },
      { sha: "c2", author: null, committer: "Mallory" },
      { sha: "c3", author: "trent", committer: "mallory" },
    ],
    contributors: [],
    unlinked: [],
  };
  const policyVersion = { commit: "base1", files: { "policies/production.yml": "blob1" } };

  test("a direct push that needed approvals is a violation, with pusher, before, after and its commits", () => {
    const d = decide(SET, facts({ author: "mallory", contributors: ["mallory", "trent"], files: ["clusters/production/api.yaml"], teams: TEAMS }));
    const record = buildPushRecord({ repository: "acme/gitops", push, decision: d, policy: policyVersion, evaluated_at: "2026-12-01T11:00:02Z" });
    expect(record).toMatchObject({
      version: 1,
      kind: "push",
      repository: "acme/gitops",
      pull_request: null,
      base: "main",
      pusher: "mallory",
      pushed_at: "2026-12-01T11:00:00Z",
      before: push.before,
      after: push.after,
      contributors: ["mallory", "trent"],
      commits: push.commits,
      compliant: false,
      evaluated_at: "2026-12-01T11:00:02Z",
    });
    expect(record.environments.map((e) => [e.environment, e.state])).toEqual([["production", "pending"]]);
    expect(recordLabel(record)).toBe("acme/gitops@a1a1a1a");
  });

  test("a direct push that only touched paths needing no approval is compliant", () => {
    const d = decide(SET, facts({ author: "mallory", files: ["clusters/staging/api.yaml"], teams: TEAMS }));
    const record = buildPushRecord({ repository: "acme/gitops", push, decision: d, policy: policyVersion, evaluated_at: "2026-12-01T11:00:02Z" });
    expect(record.compliant).toBe(true);
  });
});

describe("why: the description and the linked issues", () => {
  const d = (): Decision => decision({ files: ["clusters/production/api.yaml"], reviews: approvedReviews });
  const withBody = (body: string | null) => ({ ...input(d()).pull, body });

  test("a description over 4 KiB is cut at 4 KiB, never inside a character, and says so", () => {
    const long = `${"é".repeat(3000)}`; // 6,000 bytes
    const record = buildMergeRecord(input(d(), { pull: withBody(long) }));
    expect(record.description?.endsWith(DESCRIPTION_CUT_MARKER)).toBe(true);
    const kept = (record.description as string).slice(0, -DESCRIPTION_CUT_MARKER.length);
    expect(kept).toBe("é".repeat(2048));
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(MAX_DESCRIPTION_BYTES);
    expect(buildMergeRecord(input(d(), { pull: withBody("x".repeat(MAX_DESCRIPTION_BYTES)) })).description).toBe("x".repeat(MAX_DESCRIPTION_BYTES));
    expect(buildMergeRecord(input(d(), { pull: withBody(null) })).description).toBe("");
  });

  test("at most 20 linked issues, the total said when there are more; null when GitHub could not say", () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ repository: "acme/gitops", number: i + 1, title: `t${i}` }));
    const record = buildMergeRecord(input(d(), { linkedIssues: { issues: many, total: 25 } }));
    expect(record.linked_issues).toHaveLength(20);
    expect(record.linked_issues_total).toBe(25);
    const unknown = buildMergeRecord(input(d(), { linkedIssues: null }));
    expect(unknown.linked_issues).toBeNull();
    expect("linked_issues_total" in unknown).toBe(false);
  });
});
