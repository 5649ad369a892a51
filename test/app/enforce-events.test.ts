// The events that start enforcement (SPEC §5), through Probot and a fake GitHub at the HTTP
// boundary: an installation makes the checks required, a deleted ruleset is restored with an
// exception issue naming its sender, this app's own writes start nothing.
import nock from "nock";
import { readGapBlock } from "../../src/audit/enforcement-gap.js";
import { AuditGitHub } from "./audit-fake.js";
import { API, APP_ID, INSTALLATION, POLICIES, REPO_PATH, example, inOurRepository, policyYaml, pushEvent, replyPages, type FakeGitHub, type TestApp, useTestApp } from "./helpers.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ENFORCING = { ...POLICIES, "production.yml": policyYaml("production", "{ users: [alice] }", "enforce: { required_check: true }") };

let github: FakeGitHub;
let audit: AuditGitHub;
let app: TestApp;
let rulesets: Json[];

useTestApp(
  (g, a) => {
    github = g;
    app = a;
  },
  {
    app: { enforceOnEvents: true },
    prepare: (g) => {
      audit = new AuditGitHub(g);
      rulesets = [];
      const scope = nock(API).persist();
      const record = (method: string, path: string, status: number): void => void g.answered.push({ method, path, status });
      scope.get(new RegExp(`^${REPO_PATH}/rulesets\\?`)).reply((uri) => {
        record("GET", uri, 200);
        return [200, rulesets.map((r) => ({ id: r["id"], name: r["name"], source_type: "Repository", enforcement: r["enforcement"] }))];
      });
      scope.get(new RegExp(`^${REPO_PATH}/rulesets/\\d+\\?`)).reply((uri) => {
        record("GET", uri, 200);
        const found = rulesets.find((r) => r["id"] === Number(/rulesets\/(\d+)/.exec(uri)?.[1]));
        return found ? [200, { ...found, source_type: "Repository" }] : [404, { message: "Not Found" }];
      });
      scope.post(`${REPO_PATH}/rulesets`).reply((uri, body) => {
        record("POST", uri, 201);
        const created = { ...(body as Json), id: 40 + rulesets.length, updated_at: "2026-11-25T10:00:00Z" };
        rulesets.push(created);
        return [201, created];
      });
      scope.get(new RegExp(`^${REPO_PATH}/rules/branches/main\\?`)).reply((uri) => {
        record("GET", uri, 200);
        return [200, rulesets.filter((r) => r["enforcement"] === "active").flatMap((r) => (r["rules"] as Json[]).map((rule) => ({ ...rule, ruleset_source_type: "Repository", ruleset_id: r["id"] })))];
      });
      scope.get(`${REPO_PATH}/branches/main/protection`).reply((uri) => {
        record("GET", uri, 404);
        return [404, { message: "Branch not protected" }];
      });
      // A gap's record is kept in a compliance/audit check run on the branch's tip (read below); the commits that landed meanwhile are listed.
      scope.get(`${REPO_PATH}/commits`).query((q) => q["sha"] === "main").reply(200, []);
      // The base tip, answered alike every time: the policies are read once and cached by commit.
      scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { ref: "refs/heads/main", object: { sha: "b".repeat(40), type: "commit" } });
      g.folder("b".repeat(40), ENFORCING);
    },
  },
);

function requiredChecks(): Json[] {
  return rulesets.flatMap((r) => (r["rules"] as Json[]).flatMap((rule) => (rule["parameters"]?.["required_status_checks"] ?? []) as Json[]));
}

test("installation.created: the compliance-gate ruleset requires the policy's checks, pinned to the app", async () => {
  const payload = example("installation", "created");
  payload["installation"] = { ...payload["installation"], id: INSTALLATION };
  payload["repositories"] = [{ id: 1, node_id: "R", name: "gitops", full_name: "acme/gitops", private: true }];
  // The repositories of an installation event say no default branch: it is read.
  nock(API).get(REPO_PATH).reply(200, { id: 1, full_name: "acme/gitops", default_branch: "main" });
  await app.receive("installation", payload);
  expect(rulesets.map((r) => r["name"])).toEqual(["compliance-gate (app 1)"]);
  expect(requiredChecks()).toEqual([
    { context: "compliance/policy", integration_id: APP_ID },
    { context: "compliance/production", integration_id: APP_ID },
  ]);
  expect(audit.issues).toEqual([]);
});

/** This app's ruleset on main as GitHub shows it in an event. */
const OURS = {
  id: 39,
  name: "compliance-gate (app 1)",
  target: "branch",
  source_type: "Repository",
  enforcement: "active",
  bypass_actors: [],
  conditions: { ref_name: { include: ["refs/heads/main"], exclude: [] } },
  rules: [{ type: "deletion" }, { type: "non_fast_forward" }, { type: "required_status_checks", parameters: { strict_required_status_checks_policy: false, required_status_checks: [{ context: "compliance/policy", integration_id: 1 }] } }],
  updated_at: "2026-11-20T10:00:00Z",
};

test("repository_ruleset.deleted by a person: restored, one exception issue names them (the event shows the deletion); the redelivery writes nothing", async () => {
  const deleted = inOurRepository({ action: "deleted", repository_ruleset: OURS, sender: { login: "mallory", id: 66, type: "User" } });
  await app.receive("repository_ruleset", deleted);
  expect(rulesets.map((r) => r["name"])).toEqual(["compliance-gate (app 1)"]);
  expect(audit.issues).toHaveLength(1);
  expect(readGapBlock(audit.issues[0]?.body, { where: "the issue" }).gap).toMatchObject({ by: "mallory", event: "repository_ruleset.deleted", branches: ["main"] });
  expect(audit.issues[0]?.labels).toEqual(["compliance-exception"]);

  const writes = github.answered.filter((a) => a.method !== "GET").length;
  await app.receive("repository_ruleset", deleted);
  expect(github.answered.filter((a) => a.method !== "GET").length).toBe(writes);
  expect(audit.issues).toHaveLength(1);
});

test("an event this app's own write caused starts nothing", async () => {
  await app.receive("repository_ruleset", inOurRepository({ action: "created", repository_ruleset: { id: 40, name: "compliance-gate" }, sender: { login: "compliance-gate[bot]", type: "Bot" } }));
  expect(github.answered.map((a) => `${a.method} ${a.path}`)).toEqual(["GET /app"]);
  expect(rulesets).toEqual([]);
});

test("branch_protection_configuration.disabled and a push of policies enforce the repository", async () => {
  await app.receive("branch_protection_configuration", inOurRepository({ action: "disabled", sender: { login: "admin", type: "User" } }));
  expect(rulesets).toHaveLength(1);
  rulesets.length = 0;
  github.noPoliciesAt(pushEvent().before as string);
  // The push re-evaluates the open pull requests into main too (none here).
  replyPages(github.scope, `${REPO_PATH}/pulls`, [], { query: { base: "main", state: "open" } });
  await app.receive("push", pushEvent({ paths: [["policies/production.yml"]] }));
  expect(rulesets).toHaveLength(1);
});

test("a branch created (or pushed) outside what the policies enforce starts no run; an edit that bypasses the ruleset is evidence at once", async () => {
  await app.receive("branch_protection_configuration", inOurRepository({ action: "disabled", sender: { login: "admin", type: "User" } }));
  const before = github.answered.length;
  const created = pushEvent({ ref: "refs/heads/feature/x", paths: [] });
  created["created"] = true;
  await app.receive("push", created);
  // The push re-evaluates the open pull requests into feature/x (none): that is all it does.
  replyPages(github.scope, `${REPO_PATH}/pulls`, [], { query: { base: "feature/x", state: "open" } });
  await app.receive("push", pushEvent({ ref: "refs/heads/feature/x", paths: [["policies/production.yml"]] }));
  expect(github.answered.slice(before).filter((a) => a.path.includes("/rulesets") || a.path.includes("/rules/"))).toEqual([]);

  const bypassed = { ...OURS, id: rulesets[0]?.["id"], bypass_actors: [{ actor_id: 5, actor_type: "RepositoryRole", bypass_mode: "always" }], updated_at: "2026-11-25T10:00:00Z" };
  await app.receive("repository_ruleset", inOurRepository({ action: "edited", repository_ruleset: bypassed, sender: { login: "mallory", id: 66, type: "User" } }));
  const gap = audit.issues.map((i) => readGapBlock(i.body, { where: "the issue" }).gap).find((g) => g?.event === "repository_ruleset.edited");
  expect(gap).toMatchObject({ by: "mallory" });
  expect(gap?.what).toContain("the ruleset compliance-gate (app 1) lets repository admins (always) bypass it");
});

test("the default branch changed (repository.edited) enforces the repository again, naming who changed it", async () => {
  const edited = inOurRepository({ action: "edited", changes: { default_branch: { from: "master" } }, sender: { login: "admin", type: "User" } });
  await app.receive("repository", edited);
  expect(rulesets.map((r) => r["name"])).toEqual(["compliance-gate (app 1)"]);
});
