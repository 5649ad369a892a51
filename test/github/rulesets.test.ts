// The enforcement adapters over HTTP (nock), answering with the response examples of GitHub's REST
// description and checking every body they send against its request schema: rulesets, the rules
// of a branch, classic protection.
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { readClassicProtection, requireClassicChecks } from "../../src/github/branch-protection.js";
import { GitHubSession } from "../../src/github/client.js";
import { activeChecksOn, createRuleset, deleteRuleset, listRulesets, readRuleset, rulesetBody, updateRuleset } from "../../src/github/rulesets.js";
import { parameterNames, requestBodyErrors, responseExample } from "./openapi.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/gitops";
const APP = 4242;
const spec = { name: "compliance-gate", include: ["refs/heads/main", "refs/heads/release/*"], checks: ["compliance/policy", "compliance/production"], otherRules: [] };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let gh: GitHubSession;
beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  // Octokit logs the 403s and 404s these tests answer with: they are answers here, not errors.
  const quiet = (): void => undefined;
  gh = new GitHubSession(new Octokit({ auth: "test", log: { debug: quiet, info: quiet, warn: quiet, error: quiet } }));
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

test("the rulesets list, organizations' included, is read into summaries", async () => {
  expect(parameterNames("/repos/{owner}/{repo}/rulesets", "get")).toContain("includes_parents");
  const listed = responseExample("/repos/{owner}/{repo}/rulesets", "get") as Json[];
  (listed[1] as Json)["source_type"] = "Organization";
  nock(API).get(`${REPO}/rulesets`).query({ includes_parents: "true", per_page: "100", page: "1" }).reply(200, listed);
  expect(await listRulesets(gh, "acme", "gitops")).toEqual([
    { id: 42, name: "super cool ruleset", source: "Repository", enforcement: "enabled" },
    { id: 314, name: "Another ruleset", source: "Organization", enforcement: "enabled" },
  ]);
});

test("a ruleset is read in full: conditions, bypass actors, its required checks and the rules it has besides", async () => {
  const ruleset = responseExample("/repos/{owner}/{repo}/rulesets/{ruleset_id}", "get") as Json;
  ruleset["rules"].push({
    type: "required_status_checks",
    parameters: { strict_required_status_checks_policy: false, do_not_enforce_on_create: true, required_status_checks: [{ context: "compliance/production", integration_id: APP }, { context: "ci" }] },
  });
  nock(API).get(`${REPO}/rulesets/42`).query({ includes_parents: "true" }).reply(200, ruleset);
  expect(await readRuleset(gh, "acme", "gitops", 42)).toEqual({
    id: 42,
    name: "super cool ruleset",
    source: "Repository",
    enforcement: "active",
    target: "branch",
    include: ["refs/heads/main", "refs/heads/master"],
    exclude: ["refs/heads/dev*"],
    bypass: [{ type: "Team", id: 234, mode: "always" }],
    checks: [
      { context: "compliance/production", appId: APP },
      { context: "ci", appId: null },
    ],
    strict: false,
    skipOnCreate: true,
    otherRules: [{ type: "commit_author_email_pattern", parameters: { operator: "contains", pattern: "github" } }],
    updatedAt: "2023-08-23T16:29:47Z",
  });
});

test("a ruleset GitHub shows without bypass actors (the app may not edit it) has them unknown", async () => {
  const ruleset = responseExample("/repos/{owner}/{repo}/rulesets/{ruleset_id}", "get") as Json;
  delete ruleset["bypass_actors"];
  ruleset["source_type"] = "Organization";
  nock(API).get(`${REPO}/rulesets/42`).query(true).reply(200, ruleset);
  expect(await readRuleset(gh, "acme", "gitops", 42)).toMatchObject({ bypass: null, source: "Organization", checks: null });
});

test("the active rules of a branch: only required_status_checks, each check with its ruleset and source", async () => {
  const rules = responseExample("/repos/{owner}/{repo}/rules/branches/{branch}", "get") as Json[];
  rules.push({
    type: "required_status_checks",
    ruleset_source_type: "Organization",
    ruleset_source: "acme",
    ruleset_id: 73,
    parameters: { strict_required_status_checks_policy: true, required_status_checks: [{ context: "compliance/production", integration_id: APP }] },
  });
  nock(API).get(`${REPO}/rules/branches/release%2F1`).query({ per_page: "100", page: "1" }).reply(200, rules);
  expect(await activeChecksOn(gh, "acme", "gitops", "release/1")).toEqual([{ context: "compliance/production", appId: APP, rulesetId: 73, source: "Organization" }]);
});

test("this app's ruleset is created, updated and deleted with bodies GitHub's description accepts", async () => {
  const body = rulesetBody(spec, APP);
  expect(requestBodyErrors("/repos/{owner}/{repo}/rulesets", "post", body)).toEqual([]);
  expect(requestBodyErrors("/repos/{owner}/{repo}/rulesets/{ruleset_id}", "put", body)).toEqual([]);
  // The schema does refuse what GitHub would: the check above can fail.
  expect(requestBodyErrors("/repos/{owner}/{repo}/rulesets", "post", { ...body, enforcement: "on" })).not.toEqual([]);
  expect(body).toEqual({
    name: "compliance-gate",
    target: "branch",
    enforcement: "active",
    bypass_actors: [],
    conditions: { ref_name: { include: ["refs/heads/main", "refs/heads/release/*"], exclude: [] } },
    rules: [
      { type: "deletion" },
      { type: "non_fast_forward" },
      {
        type: "required_status_checks",
        parameters: {
          strict_required_status_checks_policy: false,
          do_not_enforce_on_create: false,
          required_status_checks: [
            { context: "compliance/policy", integration_id: APP },
            { context: "compliance/production", integration_id: APP },
          ],
        },
      },
    ],
  });
  const created = responseExample("/repos/{owner}/{repo}/rulesets", "post", 201);
  nock(API).post(`${REPO}/rulesets`, body as nock.RequestBodyMatcher).reply(201, created);
  expect(await createRuleset(gh, "acme", "gitops", spec, APP)).toBe(42);
  nock(API).put(`${REPO}/rulesets/42`, body as nock.RequestBodyMatcher).reply(200, responseExample("/repos/{owner}/{repo}/rulesets/{ruleset_id}", "put"));
  await updateRuleset(gh, "acme", "gitops", 42, spec, APP);
  nock(API).delete(`${REPO}/rulesets/42`).reply(204);
  await deleteRuleset(gh, "acme", "gitops", 42, "compliance-gate");
  nock(API).delete(`${REPO}/rulesets/43`).reply(404, { message: "Not Found" });
  await deleteRuleset(gh, "acme", "gitops", 43, "compliance-gate: stable");
});

test("another's rules in this app's ruleset are kept by an update, its own written once", () => {
  const other = { type: "required_signatures" };
  expect(rulesetBody({ ...spec, otherRules: [other, { type: "deletion" }] }, APP)["rules"]).toEqual([
    other,
    { type: "deletion" },
    { type: "non_fast_forward" },
    expect.objectContaining({ type: "required_status_checks" }),
  ]);
  expect(requestBodyErrors("/repos/{owner}/{repo}/rulesets/{ruleset_id}", "put", rulesetBody({ ...spec, otherRules: [other] }, APP))).toEqual([]);
});

test("classic protection: its required checks with their apps, strict; 404 is unprotected", async () => {
  const protection = responseExample("/repos/{owner}/{repo}/branches/{branch}/protection", "get") as Json;
  protection["required_status_checks"]["checks"] = [{ context: "continuous-integration/travis-ci", app_id: null }, { context: "ci/build", app_id: 15368 }];
  nock(API).get(`${REPO}/branches/main/protection`).reply(200, protection);
  expect(await readClassicProtection(gh, "acme", "gitops", "main")).toEqual({
    kind: "protected",
    strict: false,
    enforceAdmins: true,
    checks: [
      { context: "continuous-integration/travis-ci", appId: null },
      { context: "ci/build", appId: 15368 },
    ],
  });
  delete protection["required_status_checks"];
  protection["enforce_admins"]["enabled"] = false;
  nock(API).get(`${REPO}/branches/main/protection`).reply(200, protection);
  expect(await readClassicProtection(gh, "acme", "gitops", "main")).toEqual({ kind: "protected", checks: null, strict: false, enforceAdmins: false });
  nock(API).get(`${REPO}/branches/dev/protection`).reply(404, { message: "Branch not protected" });
  expect(await readClassicProtection(gh, "acme", "gitops", "dev")).toEqual({ kind: "unprotected" });
});

test("without the administration permission, the branch's own summary says what classic protection requires", async () => {
  nock(API).get(`${REPO}/branches/main/protection`).reply(403, { message: "Resource not accessible by integration" });
  const branch = responseExample("/repos/{owner}/{repo}/branches/{branch}", "get") as Json;
  branch["protected"] = true;
  branch["protection"] = { enabled: true, required_status_checks: { enforcement_level: "non_admins", contexts: ["ci"], checks: [{ context: "ci", app_id: null }] } };
  nock(API).get(`${REPO}/branches/main`).reply(200, branch);
  expect(await readClassicProtection(gh, "acme", "gitops", "main")).toEqual({ kind: "protected", checks: [{ context: "ci", appId: null }], strict: false, enforceAdmins: false });
  // "everyone": the checks bind administrators too.
  nock(API).get(`${REPO}/branches/main/protection`).reply(403, { message: "Resource not accessible by integration" });
  branch["protection"]["required_status_checks"]["enforcement_level"] = "everyone";
  nock(API).get(`${REPO}/branches/main`).reply(200, branch);
  expect(await readClassicProtection(gh, "acme", "gitops", "main")).toMatchObject({ enforceAdmins: true });
});

test("classic checks are merged into the list as GitHub has it when writing (a check added since the plan is kept), and read back", async () => {
  const PATH = `${REPO}/branches/main/protection/required_status_checks`;
  const policy = responseExample("/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", "get") as Json;
  // Added by someone after the plan read the protection: still there after the write.
  nock(API).get(PATH).reply(200, { ...policy, strict: true, checks: [{ context: "ci/build", app_id: null }, { context: "ci/new", app_id: 15368 }] });
  const body = { strict: true, checks: [{ context: "ci/build", app_id: -1 }, { context: "ci/new", app_id: 15368 }, { context: "compliance/production", app_id: APP }] };
  expect(requestBodyErrors("/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", "patch", body)).toEqual([]);
  nock(API).patch(PATH, body).reply(200, responseExample("/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", "patch"));
  nock(API).get(PATH).reply(200, { ...policy, strict: true, checks: [{ context: "ci/build", app_id: null }, { context: "ci/new", app_id: 15368 }, { context: "compliance/production", app_id: APP }] });
  await requireClassicChecks(gh, "acme", "gitops", "main", ["compliance/production"], APP, false);
});

test("a write of the list by someone else at the same time, dropping the app's check, is merged again", async () => {
  const PATH = `${REPO}/branches/main/protection/required_status_checks`;
  nock(API).get(PATH).reply(200, { strict: false, checks: [{ context: "ci/build", app_id: null }] });
  nock(API).patch(PATH).reply(200, {});
  // Their write, from an older read, landed after ours.
  nock(API).get(PATH).reply(200, { strict: false, checks: [{ context: "ci/build", app_id: null }, { context: "ci/other", app_id: null }] });
  nock(API).get(PATH).reply(200, { strict: false, checks: [{ context: "ci/build", app_id: null }, { context: "ci/other", app_id: null }] });
  nock(API)
    .patch(PATH, { strict: false, checks: [{ context: "ci/build", app_id: -1 }, { context: "ci/other", app_id: -1 }, { context: "compliance/production", app_id: APP }] })
    .reply(200, {});
  nock(API).get(PATH).reply(200, { strict: false, checks: [{ context: "ci/build", app_id: null }, { context: "ci/other", app_id: null }, { context: "compliance/production", app_id: APP }] });
  await requireClassicChecks(gh, "acme", "gitops", "main", ["compliance/production"], APP, false);
});
