// Exceptions (SPEC §4.3) and deployments: a violation or a break-glass merge opens exactly one
// issue labelled compliance-exception, however many deliveries; `audit.deployment` records one
// GitHub deployment with a success status per environment.
import { createPrivateKey } from "node:crypto";
import { parseAuditComment } from "../../src/audit/comment.js";
import { verifyRecord } from "../../src/audit/seal.js";
import { AuditGitHub, BOT, MERGE_SHA, PARENT, mergedEvent, signingKeys } from "./audit-fake.js";
import { FakeGitHub, HEAD, NUMBER, POLICIES, commit, mockTeam, policyYaml, review, startApp, type TestApp, useTestApp } from "./helpers.js";

const keys = signingKeys();
const signingKey = createPrivateKey(keys.privateKey);

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
    audit.commit(MERGE_SHA, [PARENT, HEAD]);
  },
});

const unapproved = { commits: [commit("c1", "carol", "web-flow")] };

describe("a violation: merged while an environment was not approved", () => {
  test("opens one issue, labelled, linking the PR and saying what was missing; the label is created when missing", async () => {
    github.folder(PARENT, POLICIES).listsOnly(unapproved);
    await app.receive("pull_request", mergedEvent());

    expect(audit.labels).toEqual(new Set(["compliance-exception"]));
    expect(audit.issues).toHaveLength(1);
    const issue = audit.issues[0];
    expect(issue).toMatchObject({ labels: ["compliance-exception"], state: "open", user: BOT });
    expect(issue?.title).toBe("Compliance exception: #42 Bump api to 1.4.2 reached production without approval");
    expect(issue?.body.split("\n")[0]).toBe("<!-- compliance-gate:exception acme/gitops#42 -->");
    expect(issue?.body).toContain("https://github.com/acme/gitops/pull/42");
    expect(issue?.body).toContain("`production`: **pending**");
    expect(issue?.body).toContain("rule **production approvers**: 0 approvals of 1; could approve: @&#8203;alice");
    // The approvers are asked for the retrospective.
    expect(issue?.body).toContain("@alice: please review this change after the fact");
    // A copy of the record, the same as the comment's.
    const copy = parseAuditComment(issue?.body ?? "");
    expect(copy?.ok && verifyRecord(copy.record, keys.publicKey).ok).toBe(true);
    const comment = audit.auditComments()[0];
    const record = comment ? parseAuditComment(comment.body) : null;
    expect(record?.ok && copy?.ok && record.record["digest"] === copy.record["digest"]).toBe(true);
    expect(record?.ok && record.record["compliant"]).toBe(false);
    // The comment points at the issue.
    expect(comment?.body).toContain("**Exception** tracked in #100.");
  });

  test("a label that already exists is fine (422), and a redelivery in another replica opens no second issue", async () => {
    audit.labels.add("compliance-exception");
    github.folder(PARENT, POLICIES, { times: 2 }).listsOnly(unapproved).listsOnly(unapproved);
    await app.receive("pull_request", mergedEvent());
    expect(audit.issues).toHaveLength(1);

    // The comment is gone (an admin deleted it): the other replica redoes the audit, but finds the issue.
    audit.comments.length = 0;
    const other = await startApp({ config: { signingKey } });
    await other.receive("pull_request", mergedEvent());
    expect(audit.issues).toHaveLength(1);
    expect(audit.auditComments()).toHaveLength(1);
  });

  test("two replicas opening the same exception at once: the later issue is closed as a duplicate of the earlier", async () => {
    github.folder(PARENT, POLICIES, { times: 2 }).listsOnly(unapproved).listsOnly(unapproved);
    const other = await startApp({ config: { signingKey } });
    // Both search before either opens: the first issue POST waits for the second.
    audit.pairWrites("issue");
    const delivery = mergedEvent();
    await Promise.all([app.receive("pull_request", delivery), other.receive("pull_request", delivery)]);

    expect(audit.issues).toHaveLength(2);
    const open = audit.issues.filter((i) => i.state === "open");
    expect(open).toHaveLength(1);
    expect(open[0]?.number).toBe(100);
    const closed = audit.issues.filter((i) => i.state === "closed");
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ number: 101, state_reason: "not_planned" });
    // Both replicas may close it; each says what it is a duplicate of.
    expect(new Set(closed[0]?.comments)).toEqual(new Set(["Duplicate of #100: the same exception was reported twice at once. Follow up there."]));
    expect(audit.auditComments()).toHaveLength(1);
  });

  test("an installation that has not granted issues: write yet still gets the record, which says the issue is missing", async () => {
    github.folder(PARENT, POLICIES).listsOnly(unapproved);
    audit.fail("POST", /\/labels$/, 403);
    await app.receive("pull_request", mergedEvent());
    expect(audit.issues).toEqual([]);
    const comment = audit.auditComments()[0];
    expect(comment?.body).toContain("⚠️ The exception issue could not be opened: GitHub API error 403");
    // Refused for good: not tried again.
    expect(app.clock.pending).toEqual([]);
  });

  test("a GitHub outage while opening the issue holds the record back, to be tried again whole", async () => {
    github.folder(PARENT, POLICIES).listsOnly(unapproved).listsOnly(unapproved);
    audit.fail("POST", /\/issues$/, 502);
    await app.receive("pull_request", mergedEvent());
    expect(audit.auditComments()).toEqual([]);
    app.clock.advanceTo(app.clock.now + 10_000);
    await app.gate.later.idle();
    expect(audit.issues).toHaveLength(1);
    expect(audit.auditComments()).toHaveLength(1);
  });

  test("issue_on_exception: false records the violation without an issue", async () => {
    const quiet = policyYaml("production", "{ users: [alice] }", "audit: { issue_on_exception: false }");
    github.folder(PARENT, { "production.yml": quiet }).listsOnly(unapproved);
    await app.receive("pull_request", mergedEvent());
    expect(audit.issues).toEqual([]);
    expect(audit.auditComments()).toHaveLength(1);
  });
});

describe("break glass", () => {
  const policy = policyYaml(
    "production",
    "{ users: [alice], teams: [sre] }",
    ["break_glass:", "  label: emergency", "  approvals: 1", "  approvers: { teams: [incident-commanders] }"].join("\n"),
  );

  test("a break-glass merge is compliant, and opens an issue asking the environment's approvers for a retrospective", async () => {
    github.folder(PARENT, { "production.yml": policy }).listsOnly({ reviews: [review(1, "ian", "APPROVED")], commits: [commit("c1", "carol", "web-flow")] });
    mockTeam(github.scope, "acme", "sre", ["bob"]);
    mockTeam(github.scope, "acme", "incident-commanders", ["ian"]);

    await app.receive("pull_request", mergedEvent({ labels: ["emergency"] }));

    const comment = audit.auditComments()[0];
    const parsed = comment ? parseAuditComment(comment.body) : null;
    expect(parsed?.ok && parsed.record).toMatchObject({
      compliant: true,
      environments: [{ environment: "production", state: "approved", break_glass: true, break_glass_approved_by: [{ login: "ian", via: ["team:acme/incident-commanders"] }] }],
    });
    expect(audit.issues).toHaveLength(1);
    const issue = audit.issues[0];
    expect(issue?.title).toBe("Break glass: #42 Bump api to 1.4.2 needs a retrospective review (production)");
    expect(issue?.labels).toEqual(["compliance-exception"]);
    expect(issue?.body).toContain("@alice, @acme/sre: please review this change after the fact");
    expect(issue?.body).toContain("**approved by break glass**");
  });

  test("the label decides as the PR was merged: a label removed since does not undo the break glass", async () => {
    // The webhook's pull_request is the PR at its merge; nothing reads the labels again.
    github.folder(PARENT, { "production.yml": policy }).listsOnly({ reviews: [review(1, "ian", "APPROVED")], commits: [commit("c1", "carol", "web-flow")] });
    mockTeam(github.scope, "acme", "sre", ["bob"]);
    mockTeam(github.scope, "acme", "incident-commanders", ["ian"]);
    await app.receive("pull_request", mergedEvent({ labels: ["emergency"] }));
    expect(audit.issues[0]?.title).toContain("Break glass");
  });
});

describe("audit.deployment", () => {
  const deployed = policyYaml("production", "{ users: [alice] }", "audit: { deployment: true }");

  test("records one deployment at the merge commit with a success status, once", async () => {
    github.folder(PARENT, { "production.yml": deployed, "staging.yml": policyYaml("staging", "{ users: [bob] }", "audit: { deployment: true }") }).listsOnly({
      reviews: [review(1, "alice", "APPROVED")],
      commits: [commit("c1", "carol", "web-flow")],
    });
    await app.receive("pull_request", mergedEvent());

    // Staging was not touched: no deployment there.
    expect(audit.deployments).toHaveLength(1);
    const deployment = audit.deployments[0];
    const record = parseAuditComment(audit.auditComments()[0]?.body ?? "");
    expect(deployment).toMatchObject({ sha: MERGE_SHA, environment: "production", statuses: ["success"], deleted: false, creator: BOT });
    expect(deployment?.payload).toEqual({ pull_request: NUMBER, digest: record?.ok ? record.record["digest"] : "?" });
    expect(deployment?.description).toMatch(/^#42 merged; audit sha256:/);

    // Its comment gone, a fresh replica redoes the audit: the deployment is found, not made again.
    audit.comments.length = 0;
    github.folder(PARENT, { "production.yml": deployed, "staging.yml": policyYaml("staging", "{ users: [bob] }", "audit: { deployment: true }") }).listsOnly({
      reviews: [review(1, "alice", "APPROVED")],
      commits: [commit("c1", "carol", "web-flow")],
    });
    const other = await startApp({ config: { signingKey } });
    await other.receive("pull_request", mergedEvent());
    expect(audit.deployments).toHaveLength(1);
    expect(audit.deployments[0]?.statuses).toEqual(["success"]);
  });

  test("without deployments: write the record is written, saying the deployment is missing", async () => {
    github.folder(PARENT, { "production.yml": deployed }).listsOnly({ reviews: [review(1, "alice", "APPROVED")], commits: [commit("c1", "carol", "web-flow")] });
    audit.fail("POST", /\/deployments$/, 403);
    await app.receive("pull_request", mergedEvent());
    expect(audit.deployments).toEqual([]);
    expect(audit.auditComments()[0]?.body).toContain("⚠️ The deployment to production could not be recorded: GitHub API error 403");
  });

  test("a deployment created without its status (a crash between) gets the status on the next try", async () => {
    audit.deployments.push({ id: 1, sha: MERGE_SHA, environment: "production", description: "", payload: {}, creator: BOT, statuses: [], deleted: false });
    github.folder(PARENT, { "production.yml": deployed }).listsOnly({ reviews: [review(1, "alice", "APPROVED")], commits: [commit("c1", "carol", "web-flow")] });
    await app.receive("pull_request", mergedEvent());
    expect(audit.deployments).toHaveLength(1);
    expect(audit.deployments[0]?.statuses).toEqual(["success"]);
  });
});
