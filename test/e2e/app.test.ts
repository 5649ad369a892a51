// End to end over real HTTP: the app as `npm start` runs it (node lib/server.js), receiving
// signed webhooks on a free port and talking to a loopback stand-in for GitHub's API (GHE_HOST).
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { parseAuditComment } from "../../src/audit/comment.js";
import { readGapBlock } from "../../src/audit/enforcement-gap.js";
import { recordBlock } from "../../src/render/audit-comment.js";
import { REHEARSAL_OWNER } from "../../src/app/warm-up-payloads.js";
import { changeRecord } from "../fakes/deployment-github.js";
import { payload as harnessPayload } from "./harness.js";
import { APP_SLUG, startFakeGitHub, type FakeGitHub, type FakeState, type PostedCheck } from "../fakes/github-server.js";

const TIMEOUT = 60_000;

const SECRET = "e2e-webhook-secret";
const OWNER = "acme";
const REPO = "gitops";
const NUMBER = 7;
const H1 = "1".repeat(40);
const H2 = "2".repeat(40);

const POLICY = `version: 1
environment: production
scope:
  branches: [main]
  paths: [clusters/production/**]
rules:
  - name: SRE approves cluster changes
    paths: [clusters/production/**]
    approvals: 2
    approvers: { teams: [sre] }
enforce:
  required_check: true
`;

interface Example {
  name: string;
  examples: Array<Record<string, unknown> & { action: string }>;
}
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];

function example(event: string, action: string): Record<string, unknown> {
  const found = examples.find((d) => d.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no ${event}.${action} example`);
  return structuredClone(found);
}

/** A real payload shape, moved to acme/gitops#7 at `head` in installation 1 (the e2e harness's). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const payload = (event: string, action: string, head: string, extra: (p: Record<string, any>) => void = () => {}): Record<string, unknown> => harnessPayload(event, action, NUMBER, head, extra);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let github: FakeGitHub;
let app: ChildProcess;
let appUrl: string;
let appLog = "";
let delivery = 0;

async function deliver(event: string, body: unknown, secret = SECRET): Promise<number> {
  const text = JSON.stringify(body);
  const signature = `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;
  const response = await fetch(`${appUrl}/api/github/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": `e2e-${++delivery}`, "x-hub-signature-256": signature },
    body: text,
  });
  await response.text();
  return response.status;
}

/** The latest check named `name` posted on `sha`, waiting until `predicate` holds for it. */
async function latestCheck(name: string, sha: string, predicate: (c: PostedCheck) => boolean): Promise<PostedCheck> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const latest = github.checks.filter((c) => c.name === name && c.head_sha === sha).at(-1);
    if (latest && predicate(latest)) return latest;
    if (Date.now() > deadline) {
      throw new Error(`no ${name} on ${sha.slice(0, 7)} as expected; posted: ${JSON.stringify(github.checks)}; app log: ${appLog.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const state: FakeState = {
    owner: OWNER,
    repo: REPO,
    defaultBranch: "main",
    baseTip: "b".repeat(40),
    policies: { "production.yml": POLICY },
    pull: { number: NUMBER, author: "carol", head: H1, base: "main", labels: [], state: "open" },
    files: [{ filename: "clusters/production/api/deployment.yaml", status: "modified" }],
    reviews: [],
    commits: [H1],
    teams: { sre: ["alice", "bob"] },
  };
  github = await startFakeGitHub(state);
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    APP_ID: "1",
    PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    WEBHOOK_SECRET: SECRET,
    PORT: String(port),
    HOST: "127.0.0.1",
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: "info",
    NODE_ENV: "production",
    // Its requests are not this test's (test/app/startup-sweep.test.ts counts them).
    COMPLIANCE_STARTUP_SWEEP: "off",
  };
  app = spawn(process.execPath, ["lib/server.js"], { env, stdio: ["ignore", "pipe", "pipe"] });
  app.stdout?.on("data", (c: Buffer) => (appLog += c.toString()));
  app.stderr?.on("data", (c: Buffer) => (appLog += c.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${appUrl}/ping`);
      await r.text();
      break;
    } catch {
      if (Date.now() > deadline || app.exitCode !== null) throw new Error(`the app did not start: ${appLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, TIMEOUT);

afterAll(async () => {
  app?.kill("SIGTERM");
  await github?.close();
});

test("a wrongly signed delivery is refused and posts nothing", async () => {
  const status = await deliver("pull_request", payload("pull_request", "opened", H1), "not-the-secret");
  expect(status).toBeGreaterThanOrEqual(400);
  await new Promise((r) => setTimeout(r, 300));
  expect(github.checks).toEqual([]);
  expect(github.requests).toEqual([]);
}, TIMEOUT);

test("a PR opened, reviewed twice and synchronised ends with the right checks", async () => {
  expect(await deliver("pull_request", payload("pull_request", "opened", H1))).toBeLessThan(300);
  const opened = await latestCheck("compliance/production", H1, () => true);
  expect(opened).toMatchObject({ status: "in_progress", title: "Waiting for 2 approvals from @acme/sre" });

  github.state.reviews.push({ id: 1, user: "alice", state: "APPROVED", commit_id: H1, submitted_at: "2026-11-27T10:00:00Z" });
  expect(await deliver("pull_request_review", payload("pull_request_review", "submitted", H1, (p) => {
    p.review.user.login = "alice";
    p.review.state = "approved";
    p.review.commit_id = H1;
  }))).toBeLessThan(300);
  await latestCheck("compliance/production", H1, (c) => c.title === "Waiting for 1 approval from @acme/sre");

  github.state.reviews.push({ id: 2, user: "bob", state: "APPROVED", commit_id: H1, submitted_at: "2026-11-27T10:05:00Z" });
  expect(await deliver("pull_request_review", payload("pull_request_review", "submitted", H1, (p) => {
    p.review.user.login = "bob";
    p.review.state = "approved";
    p.review.commit_id = H1;
  }))).toBeLessThan(300);
  const approved = await latestCheck("compliance/production", H1, (c) => c.status === "completed");
  expect(approved).toMatchObject({ conclusion: "success" });

  // a new commit: approvals of the old head are stale (dismiss_stale defaults to true)
  github.state.pull.head = H2;
  github.state.commits.push(H2);
  expect(await deliver("pull_request", payload("pull_request", "synchronize", H2))).toBeLessThan(300);
  const synced = await latestCheck("compliance/production", H2, () => true);
  expect(synced).toMatchObject({ status: "in_progress", title: "Waiting for 2 approvals from @acme/sre" });

  const policy = await latestCheck("compliance/policy", H2, () => true);
  expect(policy).toMatchObject({ status: "completed", conclusion: "success" });
  expect(github.unexpected).toEqual([]);
}, TIMEOUT);

test("the app's own server serves /metrics: deliveries handled and refused, evaluations, GitHub's answers, the queue", async () => {
  const response = await fetch(`${appUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  const body = await response.text();
  // The wrongly signed delivery above, counted as unverified (nothing an unsigned delivery says is trusted, not even its event).
  expect(body).toMatch(/^compliance_gate_deliveries_rejected_total\{event="unverified",reason="signature"\} 1$/m);
  expect(body).toMatch(/^compliance_gate_deliveries_total\{event="pull_request\.opened"\} 1$/m);
  expect(body).toMatch(/^compliance_gate_evaluation_duration_seconds_count\{outcome="decided"\} [1-9]\d*$/m);
  // Through the pacer: every installation request is counted by its answer.
  expect(body).toMatch(/^compliance_gate_github_requests_total\{method="POST",status="201"\} [1-9]\d*$/m);
  expect(body).toMatch(/^compliance_gate_queue_jobs\{state="waiting"\} \d+$/m);
  expect(body).toMatch(/^compliance_gate_process_resident_memory_bytes \d+/m);
}, TIMEOUT);

test("before it is ready the app rehearses its delivery path: 200 deliveries handled, none counted, queued or sent on to GitHub", async () => {
  await eventually("the warm-up's end", () => (/warmed up: the delivery path ran its rehearsal, nothing was queued/.test(appLog) ? true : undefined));
  expect(appLog).toMatch(/deliveries"?: ?200/);
  const ready = await fetch(`${appUrl}/readyz`);
  expect(await ready.json()).toEqual({ ready: true, queue: true, credentials: true });
  // Nothing about the rehearsal's repository reached GitHub, and no delivery of it was counted.
  expect(github.requests.filter((r) => r.includes(REHEARSAL_OWNER))).toEqual([]);
  const body = await (await fetch(`${appUrl}/metrics`)).text();
  // The rehearsal sent 40 of each; the tests here send a few at most.
  for (const event of ["pull_request.opened", "pull_request.synchronize", "pull_request.labeled", "pull_request.unlabeled", "pull_request_review.submitted"]) {
    const counted = Number(new RegExp(`^compliance_gate_deliveries_total\\{event="${event.replace(".", "\\.")}"\\} (\\d+)$`, "m").exec(body)?.[1] ?? 0);
    expect([event, counted < 40]).toEqual([event, true]);
  }
}, TIMEOUT);

/** Waits until `found` returns something, failing with the app's log after 15 s. */
async function eventually<T>(what: string, found: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = found();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; requests: ${JSON.stringify(github.requests.slice(-30))}; app log: ${appLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Installation 1, in the shapes GitHub documents: the installation and the repository. */
function installationOf(): Record<string, unknown> {
  return { id: 1, node_id: "inst", account: { login: OWNER, type: "Organization" } };
}

test("install: the compliance-gate ruleset is created; deleted: restored and an issue opened; a merge in the gap is flagged in its record", async () => {
  // Installation: the ruleset that makes the checks binding, pinned to the app (APP_ID 1).
  const installed = example("installation", "created") as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  installed["installation"] = { ...installed["installation"], ...installationOf() };
  installed["repositories"] = [{ id: 1, node_id: "repo", name: REPO, full_name: `${OWNER}/${REPO}`, private: true }];
  expect(await deliver("installation", installed)).toBeLessThan(300);
  const ruleset = await eventually("the ruleset created", () => github.state.rulesets?.find((r) => r.name === "compliance-gate (app 1)"));
  expect(ruleset).toMatchObject({
    enforcement: "active",
    target: "branch",
    bypass_actors: [],
    conditions: { ref_name: { include: ["refs/heads/main"], exclude: [] } },
    rules: [
      { type: "deletion" },
      { type: "non_fast_forward" },
      {
        type: "required_status_checks",
        parameters: {
          required_status_checks: [
            { context: "compliance/policy", integration_id: 1 },
            { context: "compliance/production", integration_id: 1 },
          ],
        },
      },
    ],
  });

  // Someone deletes it: the event names them; the app restores it and opens one exception issue.
  github.state.rulesets = [];
  const deleted = {
    action: "deleted",
    repository_ruleset: { ...ruleset, source_type: "Repository", source: `${OWNER}/${REPO}` },
    repository: { id: 1, name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER, type: "Organization" }, default_branch: "main", html_url: `https://github.com/${OWNER}/${REPO}` },
    installation: installationOf(),
    sender: { login: "mallory", id: 66, type: "User" },
  };
  expect(await deliver("repository_ruleset", deleted)).toBeLessThan(300);
  await eventually("the ruleset restored", () => github.state.rulesets?.find((r) => r.name === "compliance-gate (app 1)"));
  const issue = await eventually("the exception issue", () => github.state.issues?.find((i) => i.labels.includes("compliance-exception")));
  const gap = readGapBlock(issue.body, { where: "the issue" }).gap;
  expect(gap).toMatchObject({ repository: `${OWNER}/${REPO}`, branches: ["main"], by: "mallory", event: "repository_ruleset.deleted" });
  expect(issue.title).toBe("Compliance exception: required checks weakened on main by mallory");
  if (gap?.from == null) throw new Error("the gap has no start");

  // A pull request merged inside that window: its audit record says so.
  const mergedAt = new Date((Date.parse(gap.from) + Date.parse(gap.until)) / 2).toISOString();
  const mergeSha = "3".repeat(40);
  github.state.gitCommits = { [mergeSha]: [github.state.baseTip, H2] };
  Object.assign(github.state.pull, { state: "closed", mergedAt, mergeCommit: mergeSha });
  const closed = payload("pull_request", "closed", H2, (p) => {
    p.pull_request.state = "closed";
    p.pull_request.merged = true;
    p.pull_request.merged_at = mergedAt;
    p.pull_request.merge_commit_sha = mergeSha;
    p.pull_request.merged_by = { login: "dave", type: "User" };
  });
  expect(await deliver("pull_request", closed)).toBeLessThan(300);
  const comment = await eventually("the audit comment", () => github.state.comments?.find((c) => c.issue === NUMBER && c.body.includes("compliance-gate:audit")));
  const parsed = parseAuditComment(comment.body);
  if (!parsed?.ok) throw new Error(`no record in ${comment.body}`);
  expect(parsed.record["enforcement_gap"]).toEqual({ from: gap.from, until: gap.until, by: "mallory", issue: `#${issue.number}` });
  expect(github.unexpected).toEqual([]);
}, TIMEOUT);

// SPEC §8 over real HTTP: a pipeline's deployment approved, then rejected once a freeze is on; a
// Flux status on a revision nobody approved opens one exception issue, however often it is sent.
const ROOT = "4".repeat(40);
const MERGED = "5".repeat(40);
const POLICY_PUSH = "6".repeat(40);
const DIRECT = "7".repeat(40);
const BOT = { login: `${APP_SLUG}[bot]`, type: "Bot" };

/** A delivery about acme/gitops in installation 1, on GitHub's example of `event` (the deployment example's parts for a protection rule). */
function repositoryPayload(event: string, fields: Record<string, unknown>): Record<string, unknown> {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const base = (event === "status" ? structuredClone(examples.find((d) => d.name === "status")?.examples[0]) : example(event === "deployment_protection_rule" ? "deployment" : event, "created")) as Record<string, any>;
  base.repository = { ...base.repository, name: REPO, full_name: `${OWNER}/${REPO}`, owner: { ...base.repository.owner, login: OWNER }, default_branch: "main" };
  /* eslint-enable @typescript-eslint/no-explicit-any */
  base.installation = { id: 1, node_id: "inst" };
  return { ...base, ...fields };
}

function protectionRule(sha: string, run: number): Record<string, unknown> {
  const deployment = { ...(example("deployment", "created").deployment as object), sha, ref: "main", environment: "production" };
  const payload = repositoryPayload("deployment_protection_rule", {
    action: "requested",
    environment: "production",
    event: "push",
    deployment_callback_url: `${github.url}/api/v3/repos/${OWNER}/${REPO}/actions/runs/${run}/deployment_protection_rule`,
    deployment,
  });
  delete payload.deployment_status;
  return payload;
}

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} did not happen; app log: ${appLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function auditRecordsOn(sha: string): Record<string, unknown>[] {
  return github.checks.flatMap((c) => {
    if (c.name !== "compliance/audit" || c.head_sha !== sha) return [];
    const parsed = parseAuditComment(c.text ?? "");
    return parsed?.ok ? [parsed.record] : [];
  });
}

/** Seconds-precision RFC 3339, as a policy's one-off window takes it. */
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

test("a pipeline's deployment is approved, then rejected while a freeze is on", async () => {
  const state = github.state;
  state.history = [
    { sha: MERGED, parents: [ROOT] },
    { sha: ROOT, parents: [] },
  ];
  state.baseTip = MERGED;
  state.otherPulls = [
    {
      pull: { number: 8, author: "carol", head: "8".repeat(40), base: "main", labels: [], state: "closed", mergedAt: "2026-11-27T09:00:00Z", mergeCommit: MERGED },
      files: [{ filename: "clusters/production/api/deployment.yaml", status: "modified" }],
      reviews: [],
      commits: ["8".repeat(40)],
    },
  ];
  state.comments = [{ id: 1, issue: 8, user: BOT, body: recordBlock(changeRecord("merge", "approved", { pull: 8, at: MERGED }) as never) }];

  expect(await deliver("deployment_protection_rule", protectionRule(MERGED, 101))).toBeLessThan(300);
  const approved = await waitFor("the answer to run 101", () => state.answers?.find((a) => a.run === 101));
  expect(approved).toMatchObject({ environment_name: "production", state: "approved" });
  expect(auditRecordsOn(MERGED)).toEqual([expect.objectContaining({ kind: "deployment", state: "approved", run_id: 101, chain: expect.objectContaining({ end: "origin" }) })]);

  // A push that only changes the policy: a freeze from an hour ago to an hour from now, and Flux named as a reporter.
  const now = Date.now();
  state.policies = {
    "production.yml": `${POLICY}freeze:\n  - { name: incident freeze, from: ${rfc3339(now - 3_600_000)}, until: ${rfc3339(now + 3_600_000)} }\nverify: { statuses: ["kustomization/apps-production/*"] }\n`,
  };
  state.history = [{ sha: POLICY_PUSH, parents: [MERGED] }, ...state.history];
  state.commitFiles = { [POLICY_PUSH]: [{ filename: "policies/production.yml", status: "modified" }] };
  state.baseTip = POLICY_PUSH;

  expect(await deliver("deployment_protection_rule", protectionRule(POLICY_PUSH, 102))).toBeLessThan(300);
  const rejected = await waitFor("the answer to run 102", () => state.answers?.find((a) => a.run === 102));
  expect(rejected).toMatchObject({ state: "rejected", comment: expect.stringContaining("production is frozen now (incident freeze), and 6666666 did not break glass") });
  // The earlier approved deployment of MERGED ends the walk: nothing before it is read again.
  expect(auditRecordsOn(POLICY_PUSH)).toEqual([expect.objectContaining({ kind: "deployment", state: "rejected", freeze: "incident freeze", chain: expect.objectContaining({ end: "baseline", baseline: MERGED }) })]);
  expect(github.unexpected).toEqual([]);
}, TIMEOUT);

test("a Flux status on a revision nobody approved opens one exception issue, however often it comes", async () => {
  const state = github.state;
  state.history = [{ sha: DIRECT, parents: [POLICY_PUSH] }, ...(state.history ?? [])];
  state.commitFiles = { ...state.commitFiles, [DIRECT]: [{ filename: "clusters/production/api/deployment.yaml", status: "modified" }] };
  state.baseTip = DIRECT;
  const status = repositoryPayload("status", { sha: DIRECT, state: "success", context: "kustomization/apps-production/1f2e3d4c", description: "reconciliation succeeded" });

  expect(await deliver("status", status)).toBeLessThan(300);
  const applied = await waitFor("the applied record", () => auditRecordsOn(DIRECT).find((r) => r.kind === "applied"));
  expect(applied).toMatchObject({ compliant: false, reasons: ["7777777 was pushed directly and has no audit record"] });
  // Only this test's issues: the enforcement test before it opened one of its own.
  const revisionIssues = (): string[] => (state.issues ?? []).map((i) => i.title).filter((title) => title.includes("breaks the approval chain"));
  expect(revisionIssues()).toEqual(["Compliance exception: 7777777 breaks the approval chain of production on main"]);

  expect(await deliver("status", status)).toBeLessThan(300);
  await new Promise((r) => setTimeout(r, 1000));
  expect(revisionIssues()).toHaveLength(1);
  expect(auditRecordsOn(DIRECT)).toHaveLength(1);
  expect(github.unexpected).toEqual([]);
}, TIMEOUT);
