// The deliveries of SPEC §8 through the whole app, GitHub mocked at the HTTP boundary: a
// deployment_protection_rule answered on its run (the payload checked against GitHub's webhook
// description), a Flux commit status and an Argo CD deployment status verified, and the app's own
// deployments (audit.deployment) left alone.
import nock from "nock";
import { runIdOf } from "../../src/app/deployment-events.js";
import { parseAuditComment } from "../../src/audit/comment.js";
import { recordBlock } from "../../src/render/audit-comment.js";
import { changeRecord } from "../fakes/deployment-github.js";
import { webhookSchemaErrors } from "../fakes/webhook-schema.js";
import { AuditGitHub, BOT, SLUG } from "./audit-fake.js";
import { API, APP_ID, FakeGitHub, INSTALLATION, OWNER, REPO, REPO_PATH, example, policyYaml, type TestApp, useTestApp } from "./helpers.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = "a0".repeat(20);
const MERGED = "c3".repeat(20);
const PUSHED = "d4".repeat(20);
const POLICY = policyYaml("production", "{ users: [alice] }", 'verify: { statuses: ["kustomization/apps-production/*"], deployments: [production] }');

let github: FakeGitHub;
let audit: AuditGitHub;
let app: TestApp;
let answers: Json[];

useTestApp(
  (g, a) => {
    github = g;
    app = a;
  },
  {
    prepare: (g) => {
      audit = new AuditGitHub(g);
      answers = [];
      nock(API)
        .persist()
        .post(new RegExp(`^${REPO_PATH}/actions/runs/\\d+/deployment_protection_rule$`))
        .reply((uri, body) => {
          answers.push({ run: Number(/runs\/(\d+)\//.exec(uri)?.[1]), ...(body as Json) });
          g.answered.push({ method: "POST", path: uri, status: 204 });
          return [204, ""];
        });
    },
  },
);

/** main: ROOT (no policies at its parent: it has none), then MERGED (#43, approved), optionally PUSHED (no record). */
function main(tip: string): void {
  const chain = tip === PUSHED ? [PUSHED, MERGED, ROOT] : [MERGED, ROOT];
  const parents: Record<string, string[]> = { [PUSHED]: [MERGED], [MERGED]: [ROOT], [ROOT]: [] };
  audit.histories.set(tip, chain.map((sha) => ({ sha, parents: (parents[sha] ?? []).map((p) => ({ sha: p })) })));
  audit.commitPulls.set(MERGED, [{ number: 43, title: "Bump api", merged_at: "2026-11-25T09:00:00Z", merge_commit_sha: MERGED, head: { sha: "e4".repeat(20) }, base: { ref: "main" }, updated_at: "2026-11-25T09:00:00Z" }]);
  audit.comments.push({ id: 1, issue: 43, user: BOT, html_url: "https://github.com/acme/gitops/pull/43#issuecomment-1", body: recordBlock(changeRecord("merge", "approved", { pull: 43, at: MERGED }) as never) });
  github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).times(3).reply(200, { ref: "refs/heads/main", object: { sha: tip, type: "commit" } });
  github.folder(tip, { "production.yml": POLICY }, { times: 1 });
  github.scope.get(new RegExp(`^${REPO_PATH}/compare/[0-9a-f]{40}\\.\\.\\.main`)).reply(200, { status: "identical", total_commits: 0, commits: [], files: [] });
  if (tip === PUSHED) {
    github.scope.get(`${REPO_PATH}/commits/${PUSHED}`).query(true).reply(200, { sha: PUSHED, files: [{ filename: "clusters/production/api.yaml", status: "modified" }] });
    github.folder(MERGED, { "production.yml": POLICY }, { blobs: false });
  }
}

/** A deployment_protection_rule delivery: the deployment example's deployment, moved to acme/gitops and `sha`. */
function protectionRule(sha: string, runId = 4242): Json {
  const source = example("deployment", "created");
  const deployment = { ...source["deployment"], sha, ref: "main", environment: "production", original_environment: "production" };
  return {
    action: "requested",
    environment: "production",
    event: "push",
    deployment_callback_url: `${API}${REPO_PATH}/actions/runs/${runId}/deployment_protection_rule`,
    deployment,
    pull_requests: [],
    repository: { ...source["repository"], name: REPO, full_name: `${OWNER}/${REPO}`, owner: { ...source["repository"]["owner"], login: OWNER }, default_branch: "main", html_url: `https://github.com/${OWNER}/${REPO}` },
    installation: { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
    sender: { ...source["sender"], login: "carol" },
  };
}

function inRepository(payload: Json): Json {
  payload["repository"] = { ...payload["repository"], name: REPO, full_name: `${OWNER}/${REPO}`, owner: { ...payload["repository"]["owner"], login: OWNER }, default_branch: "main", html_url: `https://github.com/${OWNER}/${REPO}` };
  payload["installation"] = { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
  return payload;
}

function auditRecords(sha: string): Json[] {
  return github.checks.filter((c) => c.name === "compliance/audit" && c.head_sha === sha).map((c) => {
    const parsed = parseAuditComment(c.output.text ?? "");
    if (!parsed?.ok) throw new Error("no record in the check run");
    return parsed.record;
  });
}

test("the hand-built deployment_protection_rule payload is GitHub's shape", () => {
  expect(webhookSchemaErrors("webhook-deployment-protection-rule-requested", protectionRule(MERGED))).toEqual([]);
  expect(webhookSchemaErrors("webhook-deployment-protection-rule-requested", { ...protectionRule(MERGED), action: "approved" })).not.toEqual([]);
});

test("the run is read from the callback address, and only when it is this repository's", () => {
  const source = { owner: "acme", repo: "gitops" };
  expect(runIdOf(`${API}/repos/acme/gitops/actions/runs/77/deployment_protection_rule`, source)).toBe(77);
  expect(runIdOf(`https://ghe.example.com/api/v3/repos/Acme/GitOps/actions/runs/78/deployment_protection_rule`, source)).toBe(78);
  expect(runIdOf(`${API}/repos/evil/gitops/actions/runs/77/deployment_protection_rule`, source)).toBeNull();
  expect(runIdOf("not a url", source)).toBeNull();
  expect(runIdOf(undefined, source)).toBeNull();
});

test("a deployment of an approved chain is approved on its run, with a sealed record on the commit", async () => {
  main(MERGED);
  await app.receive("deployment_protection_rule", protectionRule(MERGED));
  expect(answers).toEqual([{ run: 4242, environment_name: "production", state: "approved", comment: expect.stringContaining("compliance-gate approves c3c3c3c for production") }]);
  const [record] = auditRecords(MERGED);
  expect(record).toMatchObject({ kind: "deployment", state: "approved", environment: "production", github_environment: "production", run_id: 4242, requested_by: "carol", branch: "main", chain: { end: "origin" } });
  expect(github.checks.find((c) => c.name === "compliance/audit")).toMatchObject({ conclusion: "success", external_id: expect.stringMatching(/^deployment:production:4242:\d+$/), output: { title: "Deployment to production: approved" } });
});

test("a deployment of a commit pushed past review is rejected, saying what is missing", async () => {
  main(PUSHED);
  await app.receive("deployment_protection_rule", protectionRule(PUSHED));
  expect(answers).toEqual([expect.objectContaining({ state: "rejected", comment: expect.stringContaining("- d4d4d4d was pushed directly and has no audit record") })]);
  expect(auditRecords(PUSHED)).toEqual([expect.objectContaining({ kind: "deployment", state: "rejected", reasons: ["d4d4d4d was pushed directly and has no audit record"] })]);
});

test("a Flux status on an approved revision: an applied record; on a CI context: nothing", async () => {
  main(MERGED);
  const status = inRepository(example("status"));
  Object.assign(status, { sha: MERGED, state: "success", context: "kustomization/apps-production/1f2e3d4c", description: "ReconciliationSucceeded" });
  await app.receive("status", status);
  expect(auditRecords(MERGED)).toEqual([expect.objectContaining({ kind: "applied", compliant: true, reporter: expect.objectContaining({ type: "status", context: "kustomization/apps-production/1f2e3d4c" }) })]);
  expect(audit.issues).toEqual([]);

  await app.receive("status", { ...status, context: "ci/build" });
  await app.receive("status", { ...status, state: "pending" });
  expect(auditRecords(MERGED)).toHaveLength(1);
});

test("an Argo CD deployment status on an unapproved revision opens one exception issue; the app's own deployments are not reports", async () => {
  main(PUSHED);
  const payload = inRepository(example("deployment_status", "created"));
  payload["deployment"] = { ...payload["deployment"], sha: PUSHED, environment: "production", creator: { login: "argocd-notifications[bot]", type: "Bot" } };
  payload["deployment_status"] = { ...payload["deployment_status"], state: "success", environment: "production" };
  await app.receive("deployment_status", payload);
  expect(auditRecords(PUSHED)).toEqual([expect.objectContaining({ kind: "applied", compliant: false, reporter: expect.objectContaining({ type: "deployment", environment: "production" }) })]);
  expect(audit.issues.map((i) => i.title)).toEqual(["Compliance exception: d4d4d4d breaks the approval chain of production on main"]);
  expect(audit.issues[0]?.labels).toEqual(["compliance-exception"]);

  const before = github.answered.length;
  await app.receive("deployment_status", { ...payload, deployment: { ...payload["deployment"], performed_via_github_app: { id: APP_ID, slug: SLUG } } });
  expect(github.answered.length).toBe(before);
});

/** This app as GitHub describes a GitHub App in a payload (`performed_via_github_app`). */
function theApp(payload: Json): Json {
  return {
    id: APP_ID,
    slug: SLUG,
    node_id: "MDM6QXBwMTIzNDU=",
    owner: payload["repository"]["owner"],
    name: "compliance-gate",
    description: "",
    external_url: "https://example.com",
    html_url: `https://github.com/apps/${SLUG}`,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    permissions: { issues: "write" },
    events: ["issues"],
  };
}

/** An issues.closed delivery: GitHub's example, moved to acme/gitops, with `body`, closed by `by` for `reason`. */
function issueClosed(body: string, by: string, reason: "completed" | "not_planned" = "completed"): Json {
  const payload = inRepository(example("issues", "opened"));
  payload["action"] = "closed";
  // The app's own exception issue.
  payload["issue"] = { ...payload["issue"], number: 12, body, state: "closed", state_reason: reason, closed_at: "2026-11-26T09:00:00Z", performed_via_github_app: theApp(payload) };
  payload["sender"] = { ...payload["sender"], login: by, type: "User" };
  return payload;
}

test("an issue holding a re-baseline line, closed as completed by an approver: a sealed re-baseline on the commit, said on the issue; closed as not planned: nothing", async () => {
  const line = `compliance-gate rebaseline: production main ${MERGED}`;
  expect(webhookSchemaErrors("webhook-issues-closed", issueClosed(line, "alice"))).toEqual([]);
  const before = github.answered.length;
  await app.receive("issues", issueClosed(line, "alice", "not_planned"));
  await app.receive("issues", issueClosed("no line here", "alice"));
  expect(github.answered.length).toBe(before);

  main(MERGED);
  await app.receive("issues", issueClosed(`Accepting after review.\n\n${line}\n`, "alice"));
  expect(auditRecords(MERGED)).toEqual([expect.objectContaining({ kind: "rebaseline", environment: "production", branch: "main", sha: MERGED, issue: 12, accepted_by: "alice", via: ["production approvers: user"] })]);
  expect(github.checks.find((c) => c.name === "compliance/audit")).toMatchObject({ conclusion: "success", external_id: "rebaseline:production:12", output: { title: "Re-baseline of production on main: accepted" } });
  expect(audit.comments.filter((c) => c.issue === 12).map((c) => c.body)).toEqual([expect.stringContaining("Re-baseline recorded")]);
});
