// Direct pushes (SPEC §4.3): a push to a gated branch through commits of no merged PR that changes
// in-scope paths gets a record of kind "push" — in a compliance/audit check run on the push's head —
// and an exception issue; the pushes GitHub makes when it merges a PR (merge commit, squash,
// rebase) are not direct, whichever way the PR was merged.
import { createPrivateKey } from "node:crypto";
import { parseAuditComment } from "../../src/audit/comment.js";
import { verifyRecord } from "../../src/audit/seal.js";
import { AuditGitHub, BOT, listedMerged, signingKeys } from "./audit-fake.js";
import { FakeGitHub, POLICIES, REPO_PATH, blobSha, PRODUCTION, checkRunEvent, policyYaml, pushEvent, replyPages, type TestApp, useTestApp } from "./helpers.js";

const keys = signingKeys();
const signingKey = createPrivateKey(keys.privateKey);

/** main before the push. */
const BEFORE = "b0".repeat(20);

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

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A push of `commits` (sha and the paths each modifies) to `branch`, its head the last commit. */
function push(commits: [string, string[]][], options: { branch?: string; forced?: boolean; pusher?: string } = {}): Json {
  const payload = pushEvent({ before: BEFORE, ref: `refs/heads/${options.branch ?? "main"}`, forced: options.forced ?? false, paths: commits.map(([, paths]) => paths) });
  payload["commits"] = (payload["commits"] as Json[]).map((c, i) => ({
    ...c,
    id: commits[i]?.[0],
    author: { name: "Mallory", email: "mallory@example.com", username: "mallory" },
    committer: { name: "Mallory", email: "mallory@example.com", username: "mallory" },
  }));
  payload["after"] = commits.at(-1)?.[0];
  payload["sender"] = { ...(payload["sender"] as Json), login: options.pusher ?? "mallory" };
  payload["repository"] = { ...(payload["repository"] as Json), pushed_at: Date.parse("2026-11-25T09:59:00Z") / 1000 };
  return payload;
}

/** The record in the compliance/audit check run on `sha`. */
function checkRecord(sha: string): Record<string, unknown> {
  const runs = github.checks.filter((c) => c.name === "compliance/audit" && c.head_sha === sha);
  expect(runs).toHaveLength(1);
  const parsed = parseAuditComment(runs[0]?.output.text ?? "");
  if (!parsed?.ok) throw new Error("no record in the check run");
  return parsed.record;
}

const X = "c7".repeat(20);

test("a direct push changing a production path: a push record in compliance/audit on its head, and an exception issue", async () => {
  github.folder(BEFORE, POLICIES);
  await app.receive("push", push([[X, ["clusters/production/api.yaml"]]]));

  const run = github.checks.find((c) => c.name === "compliance/audit");
  expect(run).toMatchObject({ head_sha: X, status: "completed", conclusion: "failure", external_id: `push:${X}` });
  expect(run?.output.title).toBe("Direct push: compliance violation (production)");
  const record = checkRecord(X);
  expect(verifyRecord(record, keys.publicKey)).toMatchObject({ ok: true, signature_ok: true });
  expect(record).toMatchObject({
    kind: "push",
    repository: "acme/gitops",
    pull_request: null,
    base: "main",
    pusher: "mallory",
    pushed_at: "2026-11-25T09:59:00.000Z",
    before: BEFORE,
    after: X,
    commits: [{ sha: X, author: "mallory", committer: "mallory" }],
    contributors: ["mallory"],
    policy: { commit: BEFORE, files: { "policies/production.yml": blobSha(PRODUCTION) } },
    compliant: false,
    environments: [{ environment: "production", state: "pending", files: 1 }],
  });

  expect(audit.issues).toHaveLength(1);
  const issue = audit.issues[0];
  expect(issue).toMatchObject({ labels: ["compliance-exception"], user: BOT });
  expect(issue?.title).toBe(`Compliance exception: direct push to main (${X.slice(0, 7)}) reached production without approval`);
  expect(issue?.body.split("\n")[0]).toBe(`<!-- compliance-gate:exception acme/gitops@${BEFORE}..${X} -->`);
  expect(issue?.body).toContain(`https://github.com/acme/gitops/commit/${X}`);
  const copy = parseAuditComment(issue?.body ?? "");
  expect(copy?.ok && copy.record["digest"]).toBe(record["digest"]);
  expect(run?.output.text).toContain("**Exception** tracked in #100.");

  // Redelivered: the check run is there, nothing is written again.
  await app.receive("push", push([[X, ["clusters/production/api.yaml"]]]));
  expect(github.checks.filter((c) => c.name === "compliance/audit")).toHaveLength(1);
  expect(audit.issues).toHaveLength(1);
});

test("only the direct commits' files count: a direct commit outside every scope next to a PR's is no violation", async () => {
  const pr = "d1".repeat(20);
  // The push's head is not a merge commit; its first commit belongs to merged #7.
  audit.commitPulls.set(pr, [listedMerged({ number: 7, mergeSha: pr })]);
  github.folder(BEFORE, POLICIES);
  await app.receive("push", push([[pr, ["clusters/production/api.yaml"]], [X, ["docs/notes.md"]]]));
  expect(github.checks).toEqual([]);
  expect(audit.issues).toEqual([]);
});

test("a push to a branch no environment gates is only looked at", async () => {
  github.folder(BEFORE, POLICIES);
  await app.receive("push", push([[X, ["clusters/production/api.yaml"]]], { branch: "feature" }));
  expect(github.checks).toEqual([]);
  expect(github.answered.map((a) => a.path)).toEqual([`${REPO_PATH}/contents/policies?ref=${BEFORE}`, ...Object.values(POLICIES).map((t) => `${REPO_PATH}/git/blobs/${blobSha(t)}`)]);
});

test("a direct push that needs no approval is recorded as compliant, without an issue", async () => {
  const open = policyYaml("production", "{ users: [alice] }").replace("approvals: 1", "approvals: 0");
  github.folder(BEFORE, { "production.yml": open });
  await app.receive("push", push([[X, ["clusters/production/api.yaml"]]]));
  expect(github.checks.find((c) => c.name === "compliance/audit")).toMatchObject({ conclusion: "success", output: { title: "Direct push: recorded" } });
  expect(checkRecord(X)).toMatchObject({ compliant: true });
  expect(audit.issues).toEqual([]);
});

test("who wrote a direct push is read as for a PR: co-authors are contributors, unlinked identities listed, and blocking under block", async () => {
  const open = policyYaml("production", "{ users: [alice] }", "options: { unlinked_commits: block }").replace("approvals: 1", "approvals: 0");
  github.folder(BEFORE, { "production.yml": open });
  const payload = push([[X, ["clusters/production/api.yaml"]]]);
  (payload["commits"] as Json[])[0] = {
    ...(payload["commits"] as Json[])[0],
    message: "Hotfix\n\nCo-authored-by: Trent <77+trent@users.noreply.github.com>\nCo-authored-by: Eve <eve@laptop>",
    author: { name: "mallory", email: "mallory@laptop" },
  };
  await app.receive("push", payload);
  const record = checkRecord(X);
  expect(record).toMatchObject({
    commits: [{ sha: X, author: null, committer: "mallory" }],
    contributors: ["mallory", "trent"],
    unlinked: [
      { commit: X, role: "author", name: "mallory", email: "mallory@laptop" },
      { commit: X, role: "co-author", name: "Eve", email: "eve@laptop" },
    ],
    // needing no approval, it would be compliant; whoever wrote it cannot be told, and the policy blocks on that
    compliant: false,
    environments: [{ environment: "production", state: "blocked", unlinked_blocks: true }],
  });
});

test("a direct push of a commit written as GitHub itself names nobody: unlinked, and blocking under block", async () => {
  const open = policyYaml("production", "{ users: [alice] }", "options: { unlinked_commits: block }").replace("approvals: 1", "approvals: 0");
  github.folder(BEFORE, { "production.yml": open });
  const payload = push([[X, ["clusters/production/api.yaml"]]]);
  const github_ = { name: "GitHub", email: "noreply@github.com", username: "web-flow" };
  (payload["commits"] as Json[])[0] = { ...(payload["commits"] as Json[])[0], author: github_, committer: github_ };
  await app.receive("push", payload);
  expect(checkRecord(X)).toMatchObject({
    commits: [{ sha: X, author: "web-flow", committer: "web-flow" }],
    contributors: [],
    unlinked: [{ commit: X, role: "author", name: "GitHub", email: "noreply@github.com" }],
    compliant: false,
    environments: [{ environment: "production", state: "blocked", unlinked_blocks: true }],
  });
});

describe("the push GitHub makes when it merges a PR is not a direct push", () => {
  test("merge commit: the head is #42's merge commit, the other commits #42's own", async () => {
    const c1 = "e1".repeat(20);
    const merge = "e2".repeat(20);
    audit.commitPulls.set(merge, [listedMerged({ mergeSha: merge })]);
    replyPages(github.scope, `${REPO_PATH}/pulls/42/commits`, [{ sha: c1 }]);
    github.folder(BEFORE, POLICIES);
    await app.receive("push", push([[c1, ["clusters/production/api.yaml"]], [merge, ["clusters/production/api.yaml"]]]));
    expect(github.checks).toEqual([]);
    expect(audit.issues).toEqual([]);
    expect(github.scope.isDone()).toBe(true);
  });

  test("squash: the one commit is #42's merge commit (one lookup)", async () => {
    const squash = "e3".repeat(20);
    audit.commitPulls.set(squash, [listedMerged({ mergeSha: squash })]);
    github.folder(BEFORE, POLICIES);
    await app.receive("push", push([[squash, ["clusters/production/api.yaml"]]]));
    expect(github.checks).toEqual([]);
    expect(github.answered.filter((a) => a.path.includes("/pulls"))).toHaveLength(1);
  });

  test("rebase: #42's commits replayed with new shas, the last one its merge commit", async () => {
    const [r1, r2] = ["e4".repeat(20), "e5".repeat(20)];
    audit.commitPulls.set(r2, [listedMerged({ mergeSha: r2 })]);
    replyPages(github.scope, `${REPO_PATH}/pulls/42/commits`, [{ sha: "0c1".padEnd(40, "0") }, { sha: "0c2".padEnd(40, "0") }]);
    github.folder(BEFORE, POLICIES);
    await app.receive("push", push([[r1, ["clusters/production/api.yaml"]], [r2, ["clusters/production/db.yaml"]]]));
    expect(github.checks).toEqual([]);
  });

  test("merge queue: two PRs in one push, each commit found to be one of theirs", async () => {
    const [a1, ma, b1, mb] = ["f1", "f2", "f3", "f4"].map((x) => x.repeat(20)) as [string, string, string, string];
    audit.commitPulls.set(mb, [listedMerged({ number: 43, mergeSha: mb })]);
    audit.commitPulls.set(a1, [listedMerged({ number: 41, mergeSha: ma })]);
    audit.commitPulls.set(ma, [listedMerged({ number: 41, mergeSha: ma })]);
    replyPages(github.scope, `${REPO_PATH}/pulls/43/commits`, [{ sha: b1 }]);
    replyPages(github.scope, `${REPO_PATH}/pulls/41/commits`, [{ sha: a1 }]);
    github.folder(BEFORE, POLICIES);
    await app.receive("push", push([[a1, ["clusters/production/a.yaml"]], [ma, ["clusters/production/a.yaml"]], [b1, ["clusters/production/b.yaml"]], [mb, ["clusters/production/b.yaml"]]]));
    expect(github.checks).toEqual([]);
  });

  test("on a branch other than the default, the merged PR is found by its merge commit among the branch's closed PRs", async () => {
    const squash = "e6".repeat(20);
    const release = policyYaml("production", "{ users: [alice] }").replace("branches: [main]", "branches: [release]");
    // GitHub lists merged PRs of a commit only on the default branch.
    audit.closedPulls = [listedMerged({ base: "release", mergeSha: squash })];
    github.folder(BEFORE, { "production.yml": release });
    await app.receive("push", push([[squash, ["clusters/production/api.yaml"]]], { branch: "release" }));
    expect(github.checks).toEqual([]);
  });

  test("but a PR merged into another branch does not cover a push of its commits to this one", async () => {
    const squash = "e7".repeat(20);
    audit.commitPulls.set(squash, [listedMerged({ base: "develop", mergeSha: squash })]);
    github.folder(BEFORE, POLICIES);
    await app.receive("push", push([[squash, ["clusters/production/api.yaml"]]]));
    expect(checkRecord(squash)).toMatchObject({ kind: "push", compliant: false });
  });
});

test("a force push is direct whatever its commits: what it dropped changed the environment too", async () => {
  const squash = "e8".repeat(20);
  audit.commitPulls.set(squash, [listedMerged({ mergeSha: squash })]);
  github.folder(BEFORE, POLICIES);
  github.scope.get(`${REPO_PATH}/compare/${BEFORE}...${squash}`).query(true).reply(200, { total_commits: 1, commits: [{ sha: squash }], files: [] });
  github.scope
    .get(`${REPO_PATH}/compare/${squash}...${BEFORE}`)
    .query(true)
    .reply(200, { total_commits: 1, commits: [{ sha: BEFORE }], files: [{ filename: "clusters/production/dropped.yaml", status: "modified" }] });
  // A force push may also have changed policies: the open PRs are re-evaluated (none here).
  replyPages(github.scope, `${REPO_PATH}/pulls`, [], { query: { base: "main", state: "open" } });
  await app.receive("push", push([[squash, ["docs/notes.md"]]], { forced: true }));
  expect(checkRecord(squash)).toMatchObject({ kind: "push", compliant: false, environments: [{ environment: "production", files: 1 }] });
  expect(audit.issues).toHaveLength(1);
});

test("new and deleted branches, and tags, are not audited", async () => {
  await app.receive("push", { ...push([[X, ["clusters/production/api.yaml"]]]), created: true });
  await app.receive("push", { ...push([[X, ["clusters/production/api.yaml"]]]), deleted: true });
  await app.receive("push", { ...push([[X, ["clusters/production/api.yaml"]]]), ref: "refs/tags/v1" });
  expect(github.answered).toEqual([]);
});

test("a push whose audit GitHub fails is audited again later", async () => {
  github.folder(BEFORE, POLICIES);
  audit.fail("POST", /\/issues$/, 502);
  await app.receive("push", push([[X, ["clusters/production/api.yaml"]]]));
  expect(github.checks).toEqual([]);
  app.clock.advanceTo(app.clock.now + 10_000);
  await app.gate.later.idle();
  expect(checkRecord(X)).toMatchObject({ kind: "push" });
  expect(audit.issues).toHaveLength(1);
});

test("Re-run on compliance/audit re-evaluates nothing: it is a record, not a verdict", async () => {
  await app.receive("check_run", checkRunEvent({ name: "compliance/audit", externalId: `push:${X}`, pulls: [] }));
  expect(github.answered).toEqual([]);
});
