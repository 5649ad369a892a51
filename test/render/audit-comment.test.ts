// The audit comment (SPEC §4.1): what people read, and the record at its end, whole.
import type { KeyObject } from "node:crypto";
import { AUDIT_MARKER, parseAuditComment, parseAuditComments } from "../../src/audit/comment.js";
import { sealRecord, verifyRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecordBody, PushRecordBody } from "../../src/audit/record.js";
import { renderAuditComment } from "../../src/render/audit-comment.js";
import { sizeOf } from "../../src/render/fit.js";
import { MAX_BODY } from "../../src/render/limits.js";
import { knownRecord } from "../audit/known-record.js";
import { fixedKeys } from "../audit/keys.js";

const { privateKey, publicKey } = fixedKeys(1);

function seal(record: MergeRecordBody | PushRecordBody, key: KeyObject | null = privateKey): AuditRecord {
  const result = sealRecord(record, key ?? undefined);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

function violation(): MergeRecordBody {
  const r = knownRecord();
  const env = r.environments[0];
  if (!env) throw new Error("no environment");
  r.environments = [
    { ...env, state: "pending", rules: [...env.rules, { name: "Security approves secrets", required: 1, satisfied: false, approved_by: [] }] },
    { ...env, environment: "staging", policy_file: "policies/staging.yml", state: "blocked", rules: [], uncovered: 2, freeze: "weekends", changes_requested: ["erin"] },
  ];
  r.compliant = false;
  return r;
}

function breakGlass(): MergeRecordBody {
  const r = knownRecord();
  const env = r.environments[0];
  if (!env) throw new Error("no environment");
  r.environments = [
    {
      ...env,
      break_glass: true,
      break_glass_approved_by: [{ login: "ic", review_id: 9, commit: r.head_sha, submitted_at: "2026-11-27T09:55:00Z", via: ["team:acme/incident-commanders"] }],
      rules: [{ ...(env.rules[0] as MergeRecordBody["environments"][0]["rules"][0]), satisfied: false, approved_by: [] }],
    },
  ];
  return r;
}

function push(): PushRecordBody {
  const r = knownRecord();
  return {
    version: 1,
    kind: "push",
    repository: r.repository,
    pull_request: null,
    base: "main",
    pusher: "mallory",
    pushed_at: "2026-11-28T03:00:00Z",
    before: "b".repeat(40),
    after: "a".repeat(40),
    contributors: ["mallory"],
    unlinked: [],
    commits: [{ sha: "c".repeat(40), author: "mallory", committer: "mallory" }],
    policy: r.policy,
    environments: [{ ...(r.environments[0] as PushRecordBody["environments"][0]), state: "pending", rules: [] }],
    compliant: false,
    evaluated_at: "2026-11-28T03:00:02Z",
  };
}

describe("renderAuditComment", () => {
  test("ends with exactly the marker, the collapsed block and the record pretty-printed", () => {
    const record = seal(knownRecord());
    const body = renderAuditComment(record);
    const ending = `${AUDIT_MARKER}\n<details><summary>Audit record</summary>\n\n\`\`\`json\n${JSON.stringify(record, null, 2)}\n\`\`\`\n</details>`;
    expect(body.endsWith(ending)).toBe(true);
    expect(body.split(AUDIT_MARKER)).toHaveLength(2);
  });

  test("a compliant merge", () => {
    expect(renderAuditComment(seal(knownRecord()), { serverUrl: "https://github.com/" })).toMatchSnapshot();
  });

  test("a violation: what was not approved, and why", () => {
    expect(renderAuditComment(seal(violation(), null), { notes: ["Opened #57 to track this exception."] })).toMatchSnapshot();
  });

  test("break glass", () => {
    expect(renderAuditComment(seal(breakGlass()))).toMatchSnapshot();
  });

  test("a direct push", () => {
    expect(renderAuditComment(seal(push()))).toMatchSnapshot();
  });

  test("commit identities linked to no GitHub account: listed, and named as the blocker where they blocked", () => {
    const r = violation();
    r.unlinked = [
      { commit: "abc1234".padEnd(40, "0"), role: "author", name: "carol", email: "carol@laptop" },
      { commit: "def5678".padEnd(40, "0"), role: "co-author", name: "@frank *x*", email: "frank@contractor.example" },
    ];
    r.environments = [{ ...(r.environments[0] as MergeRecordBody["environments"][0]), state: "blocked", unlinked_blocks: true }];
    const body = renderAuditComment(seal(r));
    const summary = body.slice(0, body.indexOf(AUDIT_MARKER));
    expect(summary).toContain(
      "⚠️ Separation of duties cannot be shown for 2 commit identities linked to no GitHub account: `abc1234` author carol \\<carol@&#8203;laptop\\>; `def5678` co-author @&#8203;frank \\*x\\* \\<frank@&#8203;contractor.example\\>.",
    );
    expect(summary).toContain("- Blocked: who wrote some commits cannot be told (identities linked to no GitHub account)");
    expect(body).toMatchSnapshot();
  });

  test("user strings cannot forge a marker, mention anyone or break the Markdown", () => {
    const r = knownRecord();
    r.title = `<!-- compliance-gate:audit v1 -->\n\`\`\`json\n{"forged": true}\n\`\`\` @everyone **bold** [x](http://evil)`;
    r.author = "@octocat";
    const record = seal(r);
    const body = renderAuditComment(record);
    const summary = body.slice(0, body.indexOf(AUDIT_MARKER));
    expect(summary).not.toMatch(/(^|[^\\])<!--/);
    expect(summary).not.toContain("\n```");
    expect(summary).not.toMatch(/@[a-z]/);
    expect(summary).toContain("@&#8203;everyone");
    expect(summary).toContain("by @&#8203;octocat");
    expect(summary).toContain("\\*\\*bold\\*\\*");
    const parsed = parseAuditComment(body);
    expect(parsed).toEqual({ ok: true, record: JSON.parse(JSON.stringify(record)) });
    expect(parseAuditComments(body)).toHaveLength(1);
    expect(parsed?.ok && verifyRecord(parsed.record, publicKey).ok).toBe(true);
  });

  test("nobody is @mentioned: an audit comment must not notify everyone it names", () => {
    const body = renderAuditComment(seal(breakGlass()));
    expect(body.slice(0, body.indexOf(AUDIT_MARKER))).not.toContain("@");
  });

  test("a summary too long for GitHub is cut; the record never is", () => {
    const r = knownRecord();
    const env = r.environments[0] as MergeRecordBody["environments"][0];
    const rule = env.rules[0] as MergeRecordBody["environments"][0]["rules"][0];
    // A summary over the limit from a record under it: many rules, nobody approved yet.
    r.environments = Array.from({ length: 40 }, (_, i) => ({
      ...env,
      environment: `env-${String(i).padStart(2, "0")}`,
      rules: Array.from({ length: 10 }, (_, j) => ({ ...rule, name: `rule ${j} ${"x".repeat(40)}`, satisfied: false, approved_by: [] })),
    }));
    r.compliant = false;
    const record = seal(r);
    const body = renderAuditComment(record);
    expect(sizeOf(body)).toBeLessThanOrEqual(MAX_BODY);
    expect(body).toContain("left out to fit GitHub's size limit");
    const parsed = parseAuditComment(body);
    expect(parsed?.ok && verifyRecord(parsed.record, publicKey)).toMatchObject({ ok: true });
  });
});
