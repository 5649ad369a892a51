// The adapters behind the ports (github-ports.ts) against the tests' one in-memory GitHub
// (test/fakes/github-model.ts) served through nock — the same GitHub the end-to-end test runs the
// app against over HTTP: conditional reads cost a free 304, writes are found again, and both
// servings answer alike.
import nock from "nock";
import { GitHubPorts } from "../../src/app/github-ports.js";
import { policyCheck } from "../../src/app/policy-check.js";
import { GitHubModel, type FakeState } from "../fakes/github-model.js";
import { API, serveWithNock } from "../fakes/github-nock.js";
import { startFakeGitHub } from "../fakes/github-server.js";
import { probotOctokit } from "./fake-github.js";
import { Octokit } from "@octokit/rest";

const HEAD = "1".repeat(40);
const TIP = "b".repeat(40);
const NOW = Date.parse("2026-11-27T10:00:00Z");
const POLICY = [
  "version: 1",
  "environment: production",
  "scope: { branches: [main], paths: [clusters/production/**] }",
  "rules: [{ name: SRE, paths: [clusters/production/**], approvals: 1, approvers: { teams: [sre] } }]",
].join("\n");

function state(): FakeState {
  return {
    owner: "acme",
    repo: "gitops",
    defaultBranch: "main",
    baseTip: TIP,
    policies: { "production.yml": POLICY },
    pull: { number: 7, author: "carol", head: HEAD, base: "main", labels: ["emergency"], state: "open" },
    files: [{ filename: "clusters/production/api.yaml", status: "modified" }],
    reviews: [{ id: 1, user: "alice", state: "APPROVED", commit_id: HEAD, submitted_at: "2026-11-27T09:00:00Z" }],
    commits: [HEAD],
    teams: { sre: ["alice", "bob"] },
  };
}

let model: GitHubModel;
let ports: GitHubPorts;
const bound = () => ports.for(probotOctokit(), "acme", "gitops");
const statuses = (): string[] => model.answered.map((a) => `${a.method} ${a.path} ${a.status}`);

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  model = new GitHubModel(state(), () => API);
  serveWithNock(model);
  ports = new GitHubPorts({ clock: () => NOW });
});
afterEach(() => {
  nock.cleanAll();
  expect(model.unexpected).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

test("a pull request is read into the one PullRequest, and read again for a free 304", async () => {
  const first = await bound().pulls.read(7);
  expect(first).toMatchObject({ number: 7, state: "open", user: { login: "carol" }, head: { sha: HEAD }, base: { ref: "main", repo: { default_branch: "main" } }, labels: [{ name: "emergency" }], changed_files: 1, commits: 1 });
  expect(await bound().pulls.read(7)).toEqual(first);
  expect(statuses()).toEqual(["GET /repos/acme/gitops/pulls/7 200", "GET /repos/acme/gitops/pulls/7 304"]);
});

test("the policies at the base branch's tip are read once; then the tip costs a free 304 and nothing more", async () => {
  const first = await bound().policies.atBranchTip("main");
  expect(first).toMatchObject({ kind: "policies", commit: TIP });
  const again = await bound().policies.atBranchTip("main");
  expect(again.kind === "policies" && first.kind === "policies" && again.policies === first.policies).toBe(true);
  expect(statuses().map((s) => s.replace(/[0-9a-f]{40}/, "{sha}"))).toEqual([
    "GET /repos/acme/gitops/git/ref/heads/main 200",
    "GET /repos/acme/gitops/contents/policies 200",
    "GET /repos/acme/gitops/git/blobs/{sha} 200",
    "GET /repos/acme/gitops/git/ref/heads/main 304",
  ]);
});

test("a head's policy files are validated once per process, whichever ports of it ask (compliance/policy)", async () => {
  const request = { head: HEAD, files: [{ path: "policies/production.yml", status: "modified" as const }], filesTruncated: false, basePolicyFiles: ["policies/production.yml"] };
  const first = await policyCheck(bound().policies, request);
  expect(first).toMatchObject({ name: "compliance/policy", verdict: "success" });
  expect(await policyCheck(bound().policies, request)).toEqual(first);
  expect(ports.validations.ran).toBe(1);
});

test("the facts of a pull request: its files, reviews, commits and the team the policy names", async () => {
  const ports = bound();
  const pull = await ports.pulls.read(7);
  const found = await ports.policies.atBranchTip("main");
  if (found.kind !== "policies") throw new Error("expected policies");
  const { facts, warnings } = await ports.facts.gather(pull, { policies: found.policies, policyCommit: found.commit, now: NOW });
  expect(facts).toMatchObject({
    repository: "acme/gitops",
    base: "main",
    head: HEAD,
    author: "carol",
    contributors: ["carol"],
    labels: ["emergency"],
    files: [{ path: "clusters/production/api.yaml", status: "modified" }],
    reviews: [{ id: 1, user: "alice", state: "APPROVED", commit: HEAD }],
    teams: { "acme/sre": ["alice", "bob"] },
  });
  expect(warnings).toEqual([]);
  expect(ports.requests().total).toBe(model.answered.length);
});

test("check runs posted are listed back with their external ids; the same success is not posted twice", async () => {
  const ports = bound();
  const target = { sha: HEAD, externalId: "pull:7" };
  const output = { title: "Approved", summary: "ok" };
  expect(await ports.checks.post(target, { name: "compliance/production", verdict: "success", output })).toBe("posted");
  expect(await ports.checks.post(target, { name: "compliance/policy", verdict: "failure", output })).toBe("posted");
  expect(await ports.checks.post(target, { name: "compliance/production", verdict: "success", output })).toBe("unchanged");
  expect((await ports.checks.ours(HEAD)).map((run) => [run.name, run.externalId, run.conclusion])).toEqual([
    ["compliance/production", "pull:7", "success"],
    ["compliance/policy", "pull:7", "failure"],
  ]);
  expect(model.checks.map((c) => [c.name, c.conclusion])).toEqual([
    ["compliance/production", "success"],
    ["compliance/policy", "failure"],
  ]);
});

test("the pull requests of a commit, and the open ones into a base", async () => {
  const ports = bound();
  expect((await ports.pulls.ofCommit(HEAD)).map((p) => p.number)).toEqual([7]);
  expect((await ports.pulls.openInto("main", { firstPage: 1, maxPages: 1 })).pulls.map((p) => p.number)).toEqual([7]);
  expect((await ports.pulls.openInto("release", { firstPage: 1, maxPages: 1 })).pulls).toEqual([]);
});

test("the audit comment and an exception issue are written once, however often asked", async () => {
  const ports = bound();
  const login = "compliance-gate[bot]";
  const body = "<!-- compliance-gate:audit v1 -->\n<details><summary>Audit record</summary>\n\n```json\n{}\n```\n</details>";
  const first = await ports.audit.writeComment({ number: 7, login, body });
  const second = await ports.audit.writeComment({ number: 7, login, body });
  expect([first.written, second.written, second.comment.id]).toEqual([true, false, first.comment.id]);
  const issue = { key: "acme/gitops#7", login, title: "Compliance exception", body: "<!-- compliance-gate:exception acme/gitops#7 -->\nwhat happened" };
  const opened = await ports.audit.openExceptionIssue(issue);
  expect((await ports.audit.openExceptionIssue(issue)).issue.number).toBe(opened.issue.number);
  expect(model.state.issues?.map((i) => i.title)).toEqual(["Compliance exception"]);
});

test("one GitHub, served two ways: the loopback server answers as nock does", async () => {
  const server = await startFakeGitHub(state());
  try {
    nock.enableNetConnect("127.0.0.1");
    const overHttp = new GitHubPorts().for(new Octokit({ auth: "t", baseUrl: `${server.url}/api/v3` }), "acme", "gitops");
    const [viaNock, viaHttp] = [await bound().pulls.read(7), await overHttp.pulls.read(7)];
    expect({ ...viaHttp, html_url: undefined }).toEqual({ ...viaNock, html_url: undefined });
    expect(server.answered.map((a) => `${a.method} ${a.path} ${a.status}`)).toEqual(["GET /repos/acme/gitops/pulls/7 200"]);
  } finally {
    nock.disableNetConnect();
    await server.close();
  }
});
