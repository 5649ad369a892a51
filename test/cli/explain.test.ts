// `compliance-gate explain` against a fake GitHub (nock at the HTTP boundary, real payload shapes).
import nock from "nock";
import { serverUrlOf } from "../../src/cli/github-access.js";
import {
  NUMBER,
  REPO_PATH,
  commit,
  github,
  mockPolicies,
  mockPull,
  mockTeam,
  pullRequestPayload,
  review,
} from "../github/fake-github.js";
import { run } from "./run.js";

const TOKEN = { GITHUB_TOKEN: "ghp_test" };
const ARGS = ["explain", "--repo", "acme/gitops", "--pr", String(NUMBER)];

const PRODUCTION = `version: 1
environment: production
description: EU production cluster
scope:
  branches: [main]
  paths: [clusters/production/**]
rules:
  - name: SRE approves cluster changes
    paths: [clusters/production/**]
    approvals: 2
    approvers: { teams: [sre] }
break_glass:
  label: emergency
  approvals: 1
  approvers: { teams: [incident-commanders] }
`;

const STAGING = `version: 1
scope:
  branches: [main]
  paths: [clusters/staging/**]
rules:
  - name: Platform approves staging
    paths: [clusters/staging/**]
    approvals: 1
    approvers: { users: [frank] }
`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** acme/gitops#42 changing one production file, with these reviews, on a GitHub at `scope`. */
function mockPullRequest(scope: nock.Scope, reviews: unknown[]): void {
  scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(200, pullRequestPayload({ labels: [], changed_files: 1, commits: 1 }));
  mockPolicies(scope, { policies: { "production.yml": PRODUCTION, "staging.yml": STAGING } });
  mockPull(scope, { reviews, commits: [commit("c1", "carol", "web-flow")] });
  mockTeam(scope, "acme", "sre", ["alice", "bob", "carol"]);
  mockTeam(scope, "acme", "incident-commanders", ["ic"]);
}

describe("compliance-gate explain", () => {
  test("prints each environment's check as the app would post it, in Markdown", async () => {
    const scope = github();
    mockPullRequest(scope, [review(1, "alice", "APPROVED"), review(2, "carol", "APPROVED"), review(3, "bob", "APPROVED")]);

    const r = await run(ARGS, "", undefined, TOKEN);

    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(scope.isDone()).toBe(true);
    expect(r.stdout).toBe(`# acme/gitops#42: compliance checks

Head \`hhhhhhh\` into \`main\`, judged by the policies at \`bbbbbbb\` (the tip of \`main\`), at 2026-12-01T10:00:00.000Z.

## compliance/production

**Approved**

**Approved** — every applicable rule has the approvals it needs.

**Environment:** production — EU production cluster

### Rule: SRE approves cluster changes

- **Approvals:** 2 of 2 — satisfied
- **Counted:**
  - @alice approved \`hhhhhhh\` (member of @acme/sre)
  - @bob approved \`hhhhhhh\` (member of @acme/sre)
- **Not counted:**
  - @carol is the author
- **Files (1):**
  - \`clusters/production/api.yaml\`

Policy: [\`policies/production.yml\`](https://github.com/acme/gitops/blob/${"b".repeat(40)}/policies/production.yml) at base commit \`bbbbbbb\`.

---

## compliance/staging

**Not affected**

**Not affected** — no changed file is in this environment's scope, so it needs no approval.

Policy: [\`policies/staging.yml\`](https://github.com/acme/gitops/blob/${"b".repeat(40)}/policies/staging.yml) at base commit \`bbbbbbb\`.
`);
  });

  test("--json prints the decision as the JSON of SPEC §6.2", async () => {
    const scope = github();
    mockPullRequest(scope, [review(1, "alice", "APPROVED"), review(2, "bob", "APPROVED", "old")]);

    const r = await run([...ARGS, "--json"], "", undefined, TOKEN);

    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({
      environments: [
        {
          environment: "production",
          check: "compliance/production",
          state: "pending",
          break_glass: false,
          title: "Waiting for 1 approval from @acme/sre",
          files: ["clusters/production/api.yaml"],
          uncovered: [],
          freeze: null,
          rules: [
            {
              name: "SRE approves cluster changes",
              required: 2,
              satisfied: false,
              missing: 1,
              approved_by: ["alice"],
              ignored: [{ user: "bob", reason: "stale" }],
            },
          ],
          errors: [],
        },
        {
          environment: "staging",
          check: "compliance/staging",
          state: "not_affected",
          break_glass: false,
          title: "Not affected",
          files: [],
          uncovered: [],
          freeze: null,
          rules: [],
          errors: [],
        },
      ],
    });
    expect(Object.keys(out.environments[0])).toEqual(["environment", "check", "state", "break_glass", "title", "files", "uncovered", "freeze", "rules", "errors"]);
  });

  test("without GITHUB_TOKEN it says what it needs and exits 2, asking GitHub nothing", async () => {
    const r = await run(ARGS, "", undefined, {});
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^compliance-gate explain: GITHUB_TOKEN is not set\./);
  });

  test("a pull request GitHub does not know exits 1 with a clear message, no stack trace", async () => {
    const scope = github();
    scope
      .get(`${REPO_PATH}/pulls/${NUMBER}`)
      .reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/pulls/pulls#get-a-pull-request", status: "404" });

    const r = await run(ARGS, "", undefined, TOKEN);

    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "compliance-gate explain: GitHub API error 404 while reading #42: Not Found - https://docs.github.com/rest/pulls/pulls#get-a-pull-request" +
        " (does acme/gitops#42 exist on https://api.github.com, and can GITHUB_TOKEN read it?)\n",
    );
    expect(scope.isDone()).toBe(true);
  });

  test("a token GitHub refuses, or a GitHub it cannot reach, exits 1 with what went wrong", async () => {
    github().get(`${REPO_PATH}/pulls/${NUMBER}`).reply(401, { message: "Bad credentials", status: "401" });
    const refused = await run(ARGS, "", undefined, TOKEN);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "compliance-gate explain: GitHub API error 401 while reading #42: Bad credentials (is GITHUB_TOKEN valid, and not expired?)\n",
    );

    // nothing intercepts this host, and the network is disabled: the request never gets an answer
    const unreachable = await run([...ARGS, "--api-url", "https://unreachable.example/api/v3"], "", undefined, TOKEN);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe("");
    expect(unreachable.stderr).toMatch(/^compliance-gate explain: GitHub request failed while reading #42/);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });

  test("a repository without policies/ is left alone: it says so and exits 1", async () => {
    const scope = github();
    scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(200, pullRequestPayload());
    mockPolicies(scope, { policies: undefined });

    const r = await run(ARGS, "", undefined, TOKEN);

    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "compliance-gate explain: acme/gitops has no policy files in policies/ at bbbbbbb, the tip of #42's base branch: compliance-gate leaves this pull request alone.\n",
    );
    expect(scope.isDone()).toBe(true);
  });

  test("--api-url (or GITHUB_API_URL) reads GitHub Enterprise Server, and links to its web pages", async () => {
    const scope = nock("https://ghe.example/api/v3");
    mockPullRequest(scope, [review(1, "alice", "APPROVED")]);

    const r = await run([...ARGS, "--api-url", "https://ghe.example/api/v3/"], "", undefined, TOKEN);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(https://ghe.example/acme/gitops/blob/${"b".repeat(40)}/policies/production.yml)`);
    expect(scope.isDone()).toBe(true);

    mockPullRequest(scope, [review(1, "alice", "APPROVED")]);
    const fromEnv = await run([...ARGS, "--json"], "", undefined, { ...TOKEN, GITHUB_API_URL: "https://ghe.example/api/v3" });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).environments[0].state).toBe("pending");
  });

  test("the token is sent to GitHub as the authorization", async () => {
    const scope = nock("https://api.github.com", { reqheaders: { authorization: "token ghp_test" } });
    scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(200, pullRequestPayload());
    mockPolicies(scope, { policies: undefined });
    const r = await run(ARGS, "", undefined, TOKEN);
    expect(r.code).toBe(1);
    expect(scope.isDone()).toBe(true);
  });
});

describe("compliance-gate explain (usage)", () => {
  test.each([
    [["explain", "--pr", "42"], "explain needs --repo OWNER/NAME"],
    [["explain", "--repo", "acme", "--pr", "42"], "--repo must be OWNER/NAME, such as acme/gitops (got 'acme')"],
    [["explain", "--repo", "acme/gitops/extra", "--pr", "42"], "--repo must be OWNER/NAME"],
    [["explain", "--repo", "acme/gitops"], "explain needs --pr N"],
    [["explain", "--repo", "acme/gitops", "--pr", "forty-two"], "--pr must be a pull request number, such as 42 (got 'forty-two')"],
    [["explain", "--repo", "acme/gitops", "--pr", "0"], "--pr must be a pull request number"],
    [["explain", "--repo", "acme/gitops", "--pr", "4.2"], "--pr must be a pull request number"],
    [["explain", "--repo", "acme/gitops", "--pr", "42", "--api-url", "ftp://x"], "--api-url must be an http(s) URL"],
    [["explain", "--repo", "acme/gitops", "--pr", "42", "extra"], "explain takes no arguments besides its options (got 'extra')"],
    [["explain", "--repo", "acme/gitops", "--pr", "42", "--frobnicate"], "Unknown option '--frobnicate'"],
  ])("%j is a usage error (exit 2)", async (argv, message) => {
    const r = await run(argv, "", undefined, TOKEN);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^compliance-gate explain: /);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("Usage: compliance-gate explain --repo OWNER/NAME --pr N");
  });

  test("--help explains the command, its environment and exit codes, with an example", async () => {
    const r = await run(["explain", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: compliance-gate explain --repo OWNER/NAME --pr N [--json] [--api-url URL]");
    expect(r.stdout).toContain("GITHUB_TOKEN");
    expect(r.stdout).toContain("Example:\n  GITHUB_TOKEN=$(gh auth token) compliance-gate explain --repo acme/gitops --pr 42\n");
  });

  test("the command list names explain", async () => {
    const r = await run(["--help"]);
    expect(r.stdout).toContain("explain --repo OWNER/NAME --pr N");
  });

  test.each([
    ["https://api.github.com", "https://github.com"],
    ["https://ghe.example/api/v3", "https://ghe.example"],
    ["http://localhost:8080/api/v3/", "http://localhost:8080"],
    ["https://api.acme.ghe.com", "https://acme.ghe.com"],
  ])("the web address of API %s is %s", (api, server) => {
    expect(serverUrlOf(api)).toBe(server);
  });
});

