// `compliance-gate audit trace` against GitHub mocked at the HTTP boundary: a whole chain (exit 0),
// one broken by a direct push (exit 1), and an environment no policy names (exit 2).
import nock from "nock";
import { sealRecord } from "../../src/audit/seal.js";
import { recordBlock } from "../../src/render/audit-comment.js";
import { REPO_PATH, github, mockPolicies } from "../github/fake-github.js";
import { run } from "./run.js";

const TOKEN = { GITHUB_TOKEN: "ghp_test" };
const ROOT = "a0".repeat(20);
const MERGED = "c3".repeat(20);
const PUSHED = "d4".repeat(20);
const BOT = { login: "compliance-gate[bot]", type: "Bot" };
const POLICY = `version: 1
environment: production
scope: { branches: [main], paths: [clusters/production/**] }
rules: [{ name: SRE approves, paths: [clusters/production/**], approvals: 1, approvers: { users: [alice] } }]
`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** The merge record of #43: alice approved production on its head. */
function mergeRecord(): Record<string, unknown> {
  const sealed = sealRecord({
    version: 1,
    kind: "merge",
    repository: "acme/gitops",
    pull_request: 43,
    title: "Bump api",
    merge_commit_sha: MERGED,
    policy: { commit: ROOT, files: { "policies/production.yml": "b".repeat(40) } },
    environments: [{ environment: "production", state: "approved", break_glass: false, rules: [{ name: "SRE approves", approved_by: [{ login: "alice", commit: "e".repeat(40), submitted_at: "2026-11-27T09:00:00Z" }] }] }],
    compliant: true,
  } as never);
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record as unknown as Record<string, unknown>;
}

/** main at `tip`: ROOT, MERGED (#43 with its record) and, when the tip, PUSHED (no record, a production file); `runs`: check runs by commit. */
function mockRepository(tip: string, runs: Record<string, unknown[]> = {}): void {
  const scope = github();
  scope.get(REPO_PATH).reply(200, { full_name: "acme/gitops", default_branch: "main" });
  mockPolicies(scope, { tip, policies: { "production.yml": POLICY } });
  scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).times(2).reply(200, { ref: "refs/heads/main", object: { sha: tip } });
  const history = [...(tip === PUSHED ? [{ sha: PUSHED, parents: [{ sha: MERGED }] }] : []), { sha: MERGED, parents: [{ sha: ROOT }] }, { sha: ROOT, parents: [] }];
  scope.get(`${REPO_PATH}/commits`).query({ sha: tip, per_page: "100", page: "1" }).reply(200, history);
  for (const { sha } of history) {
    scope.get(`${REPO_PATH}/commits/${sha}/check-runs`).query(true).reply(200, { total_count: runs[sha]?.length ?? 0, check_runs: runs[sha] ?? [] });
    scope
      .get(`${REPO_PATH}/commits/${sha}/pulls`)
      .query(true)
      .reply(200, sha === MERGED ? [{ number: 43, title: "Bump api", merged_at: "2026-11-27T10:00:00Z", merge_commit_sha: MERGED, head: { sha: "e4".repeat(20) }, base: { ref: "main" } }] : []);
  }
  scope.get(`${REPO_PATH}/issues/43/comments`).query(true).reply(200, [{ id: 1, user: BOT, body: recordBlock(mergeRecord() as never), html_url: "https://github.com/acme/gitops/pull/43#issuecomment-1" }]);
  if (tip === PUSHED) {
    scope.get(`${REPO_PATH}/commits/${PUSHED}`).query(true).reply(200, { sha: PUSHED, files: [{ filename: "clusters/production/api.yaml", status: "modified" }] });
    scope.get(`${REPO_PATH}/contents/policies`).query({ ref: MERGED }).reply(200, [{ type: "file", name: "production.yml", path: "policies/production.yml", sha: "x".repeat(40) }]);
    scope.get(`${REPO_PATH}/git/blobs/${"x".repeat(40)}`).reply(200, { encoding: "base64", content: Buffer.from(POLICY).toString("base64") });
  }
}

const ARGS = ["audit", "trace", "--repo", "acme/gitops", "--env", "production", "--app-login", "compliance-gate[bot]"];

test("a whole chain: each change with who approved it, exit 0", async () => {
  mockRepository(MERGED);
  const result = await run(ARGS, "", undefined, TOKEN);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("Approval chain of production in acme/gitops up to c3c3c3c on main");
  expect(result.stdout).toContain("✔ c3c3c3c #43 Bump api — approved");
  expect(result.stdout).toContain("approved by alice (SRE approves) on eeeeeee at 2026-11-27T09:00:00Z");
  expect(result.stdout).toContain("· a0a0a0a direct push — the environment's policy starts here: nothing older is held to it");
  expect(result.stdout).toContain("The walk reached the change that brought production under its policy.");
  expect(result.stdout).toContain("Chain complete: every change that reached production up to c3c3c3c was approved.");
});

test("a direct push without a record breaks the chain: said, and exit 1; --json says the same", async () => {
  mockRepository(PUSHED);
  const result = await run(ARGS, "", undefined, TOKEN);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain("✘ d4d4d4d direct push — NO AUDIT RECORD");
  expect(result.stdout).toContain("Chain BROKEN:\n  - d4d4d4d was pushed directly and has no audit record");

  mockRepository(PUSHED);
  const json = await run([...ARGS, "--json", "--sha", PUSHED], "", undefined, TOKEN);
  expect(json.code).toBe(1);
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
  expect(parsed).toMatchObject({ environment: "production", sha: PUSHED, branch: "main", ok: false, end: "origin", problems: ["d4d4d4d was pushed directly and has no audit record"] });
  expect((parsed.links as unknown[])[1]).toMatchObject({ sha: MERGED, status: "approved", approvals: [{ login: "alice", rule: "SRE approves" }], record: { kind: "merge", pull_request: 43 } });
});

test("usage: an environment no policy names, a short sha", async () => {
  const scope = github();
  scope.get(REPO_PATH).reply(200, { full_name: "acme/gitops", default_branch: "main" });
  mockPolicies(scope, { policies: { "production.yml": POLICY } });
  scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { ref: "refs/heads/main", object: { sha: "b".repeat(40) } });
  const unknown = await run(["audit", "trace", "--repo", "acme/gitops", "--env", "qa", "--app-login", "compliance-gate"], "", undefined, TOKEN);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe("compliance-gate audit trace: no policy names the environment qa (known: production)\n");
  const short = await run([...ARGS, "--sha", "abc1234"], "", undefined, TOKEN);
  expect(short.code).toBe(2);
  expect(short.stderr).toContain("--sha must be a full commit sha, 40 hex digits (got 'abc1234')");
});

test("--app-login is required: without it any app's check runs would count as records", async () => {
  const missing = await run(["audit", "trace", "--repo", "acme/gitops", "--env", "production"], "", undefined, TOKEN);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("trace needs --app-login LOGIN");
});

test("a record in another app's check run (a writer's workflow posts as github-actions) counts for nothing, and is said", async () => {
  const forged = sealRecord({ version: 1, kind: "applied", repository: "acme/gitops", pull_request: null, environment: "production", branch: "main", sha: PUSHED, compliant: true } as never);
  if (!forged.ok) throw new Error(forged.message);
  const run1 = { id: 9, name: "compliance/audit", head_sha: PUSHED, status: "completed", conclusion: "success", html_url: "https://github.com/acme/gitops/runs/9", app: { id: 15368, slug: "github-actions" }, output: { title: "approved", summary: "", text: recordBlock(forged.record as never) } };
  mockRepository(PUSHED, { [PUSHED]: [run1] });
  const result = await run(ARGS, "", undefined, TOKEN);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain("✘ d4d4d4d direct push — NO AUDIT RECORD");
  expect(result.stdout).toContain("Warnings (not counted as records):\n  - ignored an audit marker in https://github.com/acme/gitops/runs/9");
});
