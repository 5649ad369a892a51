// `compliance-gate enforce` against a fake GitHub (nock at the HTTP boundary): the plan, --apply,
// --json, and the exit codes (0 in sync, 1 a difference remains, 2 usage).
import nock from "nock";
import { REPO_PATH, github, mockPolicies } from "../github/fake-github.js";
import { run } from "./run.js";

const TOKEN = { GITHUB_TOKEN: "ghp_test" };
const ARGS = ["enforce", "--repo", "acme/gitops", "--app-id", "4242"];
const PRODUCTION = `version: 1
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
const PINNED = [
  { context: "compliance/policy", integration_id: 4242 },
  { context: "compliance/production", integration_id: 4242 },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/**
 * acme/gitops with its policies and the rulesets given, main unprotected classically. `again`: the
 * second look of --apply (after the plan), through the same ports within seconds: main's tip is
 * not asked again (one view of it per session, 10 s), and its policies are cached by commit.
 */
function mockFind(scope: nock.Scope, rulesets: Record<string, unknown>[], again = false): void {
  scope.get(REPO_PATH).reply(200, { id: 1, full_name: "acme/gitops", default_branch: "main" });
  if (!again) mockPolicies(scope, { policies: { "production.yml": PRODUCTION } });
  scope.get(`${REPO_PATH}/rulesets`).query(true).reply(200, rulesets.map((r) => ({ id: r["id"], name: r["name"], source_type: "Repository", enforcement: r["enforcement"] })));
  for (const r of rulesets) scope.get(`${REPO_PATH}/rulesets/${r["id"] as number}`).query(true).reply(200, r);
  const active = rulesets.flatMap((r) => (r["rules"] as Record<string, unknown>[]).map((rule) => ({ ...rule, ruleset_source_type: "Repository", ruleset_id: r["id"] })));
  scope.get(`${REPO_PATH}/rules/branches/main`).query(true).reply(200, active);
  scope.get(`${REPO_PATH}/branches/main/protection`).reply(404, { message: "Branch not protected" });
}

const OURS = {
  id: 7,
  name: "compliance-gate (app 4242)",
  target: "branch",
  source_type: "Repository",
  enforcement: "active",
  bypass_actors: [],
  conditions: { ref_name: { include: ["refs/heads/main"], exclude: [] } },
  rules: [{ type: "deletion" }, { type: "non_fast_forward" }, { type: "required_status_checks", parameters: { strict_required_status_checks_policy: false, required_status_checks: PINNED } }],
};

test("a repository without the ruleset: the plan says what would be created, exit 1, nothing written", async () => {
  const scope = github();
  mockFind(scope, []);
  const r = await run(ARGS, "", undefined, TOKEN);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/main +not required: compliance\/policy, compliance\/production/);
  expect(r.stdout).toContain('+ create ruleset "compliance-gate (app 4242)"');
  expect(r.stdout).toContain("Run again with --apply");
  expect(scope.pendingMocks()).toEqual([]);
});

test("--apply creates it, exit 0; --json says in_sync when it is there", async () => {
  const scope = github();
  mockFind(scope, []);
  mockFind(scope, [], true);
  let sent: unknown;
  scope.post(`${REPO_PATH}/rulesets`, (body: unknown) => ((sent = body), true)).reply(201, { ...OURS });
  const applied = await run([...ARGS, "--apply"], "", undefined, TOKEN);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain("Applied: 1 of 1 changes.");
  expect(sent).toMatchObject({
    name: "compliance-gate (app 4242)",
    enforcement: "active",
    bypass_actors: [],
    rules: [{ type: "deletion" }, { type: "non_fast_forward" }, { parameters: { do_not_enforce_on_create: false, required_status_checks: PINNED } }],
  });
  expect(scope.pendingMocks()).toEqual([]);

  const again = github();
  mockFind(again, [OURS]);
  const json = await run([...ARGS, "--json"], "", undefined, TOKEN);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({ repository: "acme/gitops", app_id: 4242, in_sync: true, changes: [], targets: [{ branch: "main", missing: [], via: "ruleset" }] });
});

test("--apply without the permission: GitHub refuses, exit 1, and the output says what to do", async () => {
  const scope = github();
  mockFind(scope, []);
  mockFind(scope, [], true);
  scope.post(`${REPO_PATH}/rulesets`).reply(403, { message: "Resource not accessible by integration" });
  const r = await run([...ARGS, "--apply"], "", undefined, TOKEN);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain("Applied: 0 of 1 changes.");
  expect(r.stdout).toContain("failed: create ruleset \"compliance-gate (app 4242)\": GitHub API error 403");
  expect(r.stdout).toContain("GitHub refused the change: the token (or the app) needs administration: write on the repository");
});

test.each([
  [["enforce", "--app-id", "1"], "enforce needs --repo OWNER/NAME"],
  [["enforce", "--repo", "acme/gitops"], "enforce needs --app-id N"],
  [["enforce", "--repo", "acme/gitops", "--app-id", "x1"], "--app-id must be a GitHub App id"],
  [["enforce", "--repo", "acme/gitops", "--app-id", "1", "extra"], "enforce takes no arguments"],
])("%j is a usage error (exit 2)", async (argv, message) => {
  const r = await run(argv, "", undefined, TOKEN);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
});

test("without GITHUB_TOKEN: exit 2, saying what the token is for", async () => {
  const r = await run(ARGS, "", undefined, {});
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("GITHUB_TOKEN is not set");
});

test("an organization ruleset requiring the pinned checks is read in full; without a visible bypass list it does not count", async () => {
  const scope = github();
  scope.get(REPO_PATH).reply(200, { id: 1, full_name: "acme/gitops", default_branch: "main" });
  mockPolicies(scope, { policies: { "production.yml": PRODUCTION } });
  scope.get(`${REPO_PATH}/rulesets`).query(true).reply(200, [{ id: 90, name: "org baseline", source_type: "Organization", enforcement: "active" }]);
  const org = { ...OURS, id: 90, name: "org baseline", source_type: "Organization", source: "acme" } as Record<string, unknown>;
  delete org["bypass_actors"];
  scope.get(`${REPO_PATH}/rulesets/90`).query(true).reply(200, org);
  scope.get(`${REPO_PATH}/rules/branches/main`).query(true).reply(200, OURS.rules.map((rule) => ({ ...rule, ruleset_source_type: "Organization", ruleset_source: "acme", ruleset_id: 90 })));
  scope.get(`${REPO_PATH}/branches/main/protection`).reply(404, { message: "Branch not protected" });
  const r = await run(ARGS, "", undefined, TOKEN);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('+ create ruleset "compliance-gate (app 4242)"');
  expect(scope.pendingMocks()).toEqual([]);
});

test("a wrong --app-id is warned about before anything is written: --apply refuses to re-pin the checks unless --force", async () => {
  const scope = github();
  // The checks are pinned to app 4242 today; the command is given 4343.
  mockFind(scope, [OURS]);
  const r = await run(["enforce", "--repo", "acme/gitops", "--app-id", "4343", "--apply"], "", undefined, TOKEN);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("warning: GitHub takes compliance-gate's checks from app 4242 here, not from app 4343: is --app-id right?");
  expect(r.stderr).toContain("nothing applied: check --app-id, or run again with --apply --force");
  // Planned, not written: no POST is mocked, so a write would have failed the command.
  expect(r.stdout).toContain('+ create ruleset "compliance-gate (app 4343)"');
});
