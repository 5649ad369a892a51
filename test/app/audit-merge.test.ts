// Records on merge (SPEC §4.1, §4.2): one audit comment per merged PR that touched an environment,
// whose record verifies and cites who approved which commit under which policy version — and
// never a second one, however many deliveries, replicas or look-alike comments there are.
import { createPrivateKey } from "node:crypto";
import { parseAuditComment } from "../../src/audit/comment.js";
import { verifyRecord } from "../../src/audit/seal.js";
import { AuditGitHub, BOT, MERGED_AT, MERGE_SHA, PARENT, mergedEvent, signingKeys } from "./audit-fake.js";
import {
  FakeGitHub,
  HEAD,
  NUMBER,
  POLICIES,
  PRODUCTION,
  REPO_PATH,
  STAGING,
  blobSha,
  capturingLogger,
  commit,
  policyYaml,
  pullRequestEvent,
  review,
  startApp,
  type TestApp,
  useTestApp,
} from "./helpers.js";

const keys = signingKeys();
const signingKey = createPrivateKey(keys.privateKey);
const approved = { reviews: [review(1, "alice", "APPROVED")], commits: [commit("c1", "carol", "web-flow")] };

let github: FakeGitHub;
let audit: AuditGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
}, {
  app: { config: { signingKey } },
  prepare: (g) => {
    audit = new AuditGitHub(g);
  },
});

/** The merge commit, a true merge: its first parent is main just before the merge. */
function mergeCommit(): void {
  audit.commit(MERGE_SHA, [PARENT, HEAD]);
}

/** The one audit record on the PR, parsed. */
function theRecord(): Record<string, unknown> {
  const comments = audit.auditComments();
  expect(comments).toHaveLength(1);
  const parsed = parseAuditComment((comments[0] as { body: string }).body);
  if (!parsed?.ok) throw new Error(`no record: ${JSON.stringify(parsed)}`);
  return parsed.record;
}

test("a merged, approved PR gets one audit comment whose record verifies and cites approvers, commits, policy blobs", async () => {
  const { log, lines } = capturingLogger();
  app = await startApp({ config: { signingKey }, log });
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly(approved);

  await app.receive("pull_request", mergedEvent());

  const record = theRecord();
  expect(verifyRecord(record, keys.publicKey)).toEqual({ ok: true, digest_ok: true, signature_ok: true, problems: [] });
  expect(record).toMatchObject({
    version: 1,
    kind: "merge",
    repository: "acme/gitops",
    pull_request: NUMBER,
    title: "Bump api to 1.4.2",
    author: "carol",
    contributors: ["carol"],
    unlinked: [],
    base: "main",
    head_sha: HEAD,
    merge_commit_sha: MERGE_SHA,
    merged_by: "dave",
    merged_at: MERGED_AT,
    // Judged by main as it was just before the merge, cited by blob.
    policy: { commit: PARENT, files: { "policies/production.yml": blobSha(PRODUCTION), "policies/staging.yml": blobSha(STAGING) } },
    compliant: true,
  });
  expect(record["environments"]).toEqual([
    {
      environment: "production",
      policy_file: "policies/production.yml",
      state: "approved",
      break_glass: false,
      break_glass_approved_by: [],
      files: 1,
      uncovered: 0,
      freeze: null,
      changes_requested: [],
      unlinked_blocks: false,
      errors: [],
      rules: [
        {
          name: "production approvers",
          required: 1,
          satisfied: true,
          approved_by: [{ login: "alice", review_id: 1, commit: HEAD, submitted_at: "2026-11-01T10:00:00Z", via: ["user"] }],
        },
      ],
    },
  ]);
  const body = (audit.auditComments()[0] as { body: string }).body;
  expect(body).toContain("✅ Compliant");
  expect(body).toContain("signed with the app's Ed25519 key");
  // No exception, no deployment asked for; a copy of the record, where only the app can write, on the merge commit.
  expect(audit.issues).toEqual([]);
  expect(audit.deployments).toEqual([]);
  expect(github.checks).toEqual([expect.objectContaining({ name: "compliance/audit", head_sha: MERGE_SHA, external_id: `merge:${NUMBER}`, conclusion: "success" })]);
  expect(parseAuditComment((github.checks[0] as { output: { text: string } }).output.text)).toEqual({ ok: true, record });
  expect(github.scope.isDone()).toBe(true);

  const written = lines.find((l) => l["msg"] === "audit record of acme/gitops#42 written");
  expect(written).toMatchObject({ repository: "acme/gitops", pull_request: NUMBER, digest: record["digest"], compliant: true, signed: true, comment: expect.stringContaining("#issuecomment-") });
  expect(written?.["requests"]).toMatchObject({ writes: 2 });
});

test("request costs: a merge whose parent an evaluation already read costs 9 reads (two for enforcement gaps: the app's issues and its tip's compliance/audit runs; one for the issues it closes) and 2 writes, the record's copy and the comment (and GET /app once per process)", async () => {
  // The PR's last evaluation read main at PARENT: its policies are cached by commit.
  github.policies(POLICIES, { tip: PARENT }).pull().lists(approved);
  await app.receive("pull_request", pullRequestEvent("opened"));
  github.reset();

  mergeCommit();
  github.listsOnly(approved);
  await app.receive("pull_request", mergedEvent());
  expect(audit.auditComments()).toHaveLength(1);
  expect(github.answered.map((a) => `${a.method} ${a.path.replace(/\?.*/, "").replace(REPO_PATH, "")}`)).toEqual([
    "GET /app",
    `GET /issues/${NUMBER}/comments`,
    `GET /git/commits/${MERGE_SHA}`,
    `GET /pulls/${NUMBER}/files`,
    `GET /pulls/${NUMBER}/reviews`,
    `GET /pulls/${NUMBER}/commits`,
    "GET /issues",
    "GET /commits/heads%2Fmain/check-runs",
    // why: the issues it closes (GraphQL, a read)
    "POST /graphql",
    "POST /check-runs",
    `POST /issues/${NUMBER}/comments`,
    `GET /issues/${NUMBER}/comments`,
  ]);
  expect(github.cost()).toEqual({ reads: 10, free: 0, writes: 2 });
});

test("a redelivered merge writes no second comment: the same replica asks nothing, a fresh one finds the comment", async () => {
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly(approved);
  const delivery = mergedEvent();
  await app.receive("pull_request", delivery);
  expect(audit.auditComments()).toHaveLength(1);

  github.reset();
  await app.receive("pull_request", delivery);
  expect(github.answered).toEqual([]);

  // Another replica (or this one after a restart): it lists the comments, finds its own, and stops.
  const other = await startApp({ config: { signingKey } });
  await other.receive("pull_request", delivery);
  expect(audit.auditComments()).toHaveLength(1);
  expect(github.answered.map((a) => `${a.method} ${a.path.replace(/\?.*/, "")}`)).toEqual(["GET /app", `GET ${REPO_PATH}/issues/${NUMBER}/comments`]);
});

test("two replicas recording the same merge at once converge on one comment: the later one is deleted", async () => {
  mergeCommit();
  // Each replica gathers the facts cold.
  github.folder(PARENT, POLICIES, { times: 2 }).listsOnly(approved).listsOnly(approved);
  const replicaA = app;
  const replicaB = await startApp({ config: { signingKey } });
  // Both have listed the (empty) comments before either writes: the first write waits for the second.
  audit.pairWrites("comment");

  const delivery = mergedEvent();
  await Promise.all([replicaA.receive("pull_request", delivery), replicaB.receive("pull_request", delivery)]);

  const left = audit.auditComments();
  expect(left).toHaveLength(1);
  const deletes = github.answered.filter((a) => a.method === "DELETE");
  expect(deletes.length).toBeGreaterThanOrEqual(1);
  // The survivor is the earliest comment written.
  const written = github.answered.filter((a) => a.method === "POST" && a.path.endsWith("/comments")).length;
  expect(written).toBe(2);
  expect((left[0] as { id: number }).id).toBe(5000);
});

test("a marker comment written by a person is not taken for the record", async () => {
  audit.comments.push({
    id: 10,
    issue: NUMBER,
    body: "<!-- compliance-gate:audit v1 -->\n<details><summary>Audit record</summary>\n\n```json\n{\"compliant\": true}\n```\n</details>",
    user: { login: "mallory", type: "User" },
    html_url: "https://github.com/acme/gitops/pull/42#issuecomment-10",
  });
  // Nor one by another app with a look-alike name.
  audit.comments.push({ id: 11, issue: NUMBER, body: "<!-- compliance-gate:audit v1 -->", user: { login: "compliance-gate-fake[bot]", type: "Bot" }, html_url: "" });
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly(approved);

  await app.receive("pull_request", mergedEvent());

  expect(audit.auditComments().map((c) => c.user)).toEqual([BOT]);
  expect(audit.comments.map((c) => c.id).sort()).toEqual([10, 11, 5000]);
});

test("a PR that weakens its own policy is judged by the policy before the merge: a violation", async () => {
  // The PR lowers production's approvals to 0 and ships a cluster change with nobody's approval.
  // Main's tip now holds the weakened policy; the parent of the merge commit holds the real one.
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly({
    files: [
      { filename: "policies/production.yml", status: "modified" },
      { filename: "clusters/production/api.yaml", status: "modified" },
    ],
    commits: [commit("c1", "carol", "web-flow")],
  });

  await app.receive("pull_request", mergedEvent());

  const record = theRecord();
  expect(record).toMatchObject({ compliant: false, policy: { commit: PARENT } });
  expect((record["environments"] as { state: string }[]).map((e) => e.state)).toEqual(["pending"]);
  expect(audit.issues).toHaveLength(1);
  // Only the parent's policies were read: the tip's are never asked for.
  expect(github.answered.some((a) => a.path.includes("git/ref/heads"))).toBe(false);
});

test("the clock is the merge time: a freeze window active then shows, although it is over now", async () => {
  const frozen = policyYaml("production", "{ users: [alice] }", ["freeze:", "  - name: morning freeze", "    from: 2026-11-25T09:00:00Z", "    until: 2026-11-25T09:58:00Z"].join("\n"));
  mergeCommit();
  github.folder(PARENT, { "production.yml": frozen }).listsOnly(approved);

  await app.receive("pull_request", mergedEvent());

  const record = theRecord();
  expect(record["environments"]).toMatchObject([{ environment: "production", state: "blocked", freeze: "morning freeze" }]);
  expect(record["compliant"]).toBe(false);
});

test("approvals given after the merge do not make it compliant", async () => {
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly({
    reviews: [{ id: 7, user: { login: "alice", type: "User" }, state: "APPROVED", commit_id: HEAD, submitted_at: "2026-11-25T09:59:00Z", body: "" }],
    commits: [commit("c1", "carol", "web-flow")],
  });

  await app.receive("pull_request", mergedEvent());

  expect(theRecord()).toMatchObject({ compliant: false });
});

test("a rebase merge is judged by the policies before its first replayed commit", async () => {
  // #42 had two commits; the rebase replayed them as r1 (parent PARENT) and r2 (the merge commit).
  const r1 = "6a".repeat(20);
  const own = [
    { sha: "c1", commit: { message: "weaken the policy", author: { email: "carol@example.com", date: "2026-11-20T08:00:00Z" } } },
    { sha: "c2", commit: { message: "ship it", author: { email: "carol@example.com", date: "2026-11-20T09:00:00Z" } } },
  ];
  audit.commit(MERGE_SHA, [r1], { message: "ship it", author: { email: "carol@example.com", date: "2026-11-20T09:00:00Z" } });
  audit.histories.set(MERGE_SHA, [
    { sha: MERGE_SHA, parents: [{ sha: r1 }], commit: own[1]?.commit },
    { sha: r1, parents: [{ sha: PARENT }], commit: own[0]?.commit },
    { sha: PARENT, parents: [{ sha: "7b".repeat(20) }], commit: { message: "earlier", author: { email: "x@example.com", date: "2026-11-19T00:00:00Z" } } },
  ]);
  github.scope.get(`${REPO_PATH}/pulls/${NUMBER}/commits`).query(true).reply(200, own);
  github.folder(PARENT, POLICIES).listsOnly(approved);

  await app.receive("pull_request", mergedEvent({ commitCount: 2 }));

  expect(theRecord()).toMatchObject({ policy: { commit: PARENT }, compliant: true });
});

test("a PR that touched no environment gets no comment", async () => {
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly({ files: [{ filename: "docs/README.md", status: "modified" }] });

  await app.receive("pull_request", mergedEvent());

  expect(audit.comments).toEqual([]);
  expect(github.answered.some((a) => a.method !== "GET")).toBe(false);
});

test("a merge into a branch without policies is left alone", async () => {
  mergeCommit();
  github.noPoliciesAt(PARENT);
  await app.receive("pull_request", mergedEvent());
  expect(audit.comments).toEqual([]);
});

test("audit.comment: false on every environment touched: no comment", async () => {
  const quiet = policyYaml("production", "{ users: [alice] }", "audit: { comment: false }");
  mergeCommit();
  github.folder(PARENT, { "production.yml": quiet }).listsOnly(approved);
  await app.receive("pull_request", mergedEvent());
  expect(audit.comments).toEqual([]);
});

test("a PR closed without merging asks GitHub nothing", async () => {
  await app.receive("pull_request", pullRequestEvent("closed"));
  expect(github.answered).toEqual([]);
});

test("a comment GitHub refuses is written again later (retry), once", async () => {
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly(approved).listsOnly(approved);
  audit.fail("POST", /\/issues\/42\/comments$/, 502);

  await app.receive("pull_request", mergedEvent());
  expect(audit.auditComments()).toHaveLength(0);
  expect(app.clock.pending).toEqual([app.clock.now + 10_000]);

  app.clock.advanceTo(app.clock.now + 10_000);
  await app.gate.later.idle();
  expect(audit.auditComments()).toHaveLength(1);
  expect(app.clock.pending).toEqual([]);
});

test("the record says why: the description at the merge (bounded) and the issues GitHub says the PR closes", async () => {
  mergeCommit();
  github.folder(PARENT, POLICIES).listsOnly(approved);
  audit.closing.set(NUMBER, [{ number: 12, title: "TLS handshake fails", repository: "acme/gitops" }]);
  const event = mergedEvent();
  event["pull_request"]["body"] = `Bumps api for the TLS fix.\n\nFixes #12\n\n${"x".repeat(5000)}`;
  await app.receive("pull_request", event);
  const record = theRecord();
  expect(verifyRecord(record, keys.publicKey).ok).toBe(true);
  expect(record["linked_issues"]).toEqual([{ repository: "acme/gitops", number: 12, title: "TLS handshake fails" }]);
  expect(String(record["description"])).toMatch(/^Bumps api for the TLS fix\.\n\nFixes #12\n\nx+\n\n\[… cut by compliance-gate: the description is longer than 4 KiB\]$/);
  expect(Buffer.byteLength(String(record["description"]))).toBeLessThan(4096 + 100);
  expect((audit.auditComments()[0] as { body: string }).body).toContain("Closes acme/gitops#12 TLS handshake fails.");
});
