// The first policies/ (SPEC §3.2): a PR that adds them to a branch without any gets compliance/policy
// (the validation of what it adds) and nothing else; a repository that neither has nor adds them is
// left alone, for one cheap request per head commit.
import { FakeGitHub, HEAD, MERGE_GROUP_SHA, NUMBER, POLICIES, REPO_PATH, mergeGroupEvent, pullRequestEvent, type TestApp, useTestApp } from "./helpers.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

const BROKEN = [
  "version: 1",
  "environment: production",
  "scope:",
  "  branches: [main]",
  "  paths: [clusters/production/**]",
  "rules:",
  "  - name: production approvers",
  "    paths: [clusters/production/**]",
  "    aprovals: 1",
  "    approvers: { users: [alice] }",
].join("\n");

test("a valid first policy set: compliance/policy succeeds, and no environment is judged yet", async () => {
  github.policies(undefined).pull().folder(HEAD, POLICIES);
  await app.receive("pull_request", pullRequestEvent("opened"));
  expect(github.checks.map((c) => [c.name, c.head_sha, c.conclusion])).toEqual([["compliance/policy", HEAD, "success"]]);
  expect(github.last("compliance/policy")?.output.title).toBe("2 policy files are valid");
  expect(github.scope.isDone()).toBe(true);
});

test("an invalid first policy set: compliance/policy fails with file:line:col, so it cannot merge broken", async () => {
  github.policies(undefined).pull().folder(HEAD, { "production.yml": BROKEN });
  await app.receive("pull_request", pullRequestEvent("opened"));
  expect(github.checks.map((c) => [c.name, c.conclusion])).toEqual([["compliance/policy", "failure"]]);
  expect(github.last("compliance/policy")?.output.summary).toContain("policies/production.yml:9:5: rules[0].aprovals: unknown key");
});

test("a repository that neither has nor adds policies/ gets no check, and each head is looked at once", async () => {
  github.policies(undefined).pull().noPoliciesAt(HEAD);
  await app.receive("pull_request", pullRequestEvent("opened"));
  expect(github.checks).toEqual([]);
  // One request more than before the first policies were looked for: the head's folder (a 404).
  expect(github.answered.filter((a) => a.path.startsWith(`${REPO_PATH}/contents/policies`)).map((a) => [a.path.replace(/.*ref=/, ""), a.status])).toEqual([
    ["b".repeat(40), 404],
    [HEAD, 404],
  ]);

  // The same head again (a label, a review): nothing more is read of it.
  github.reset();
  github.tipUnchanged(1);
  github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).matchHeader("if-none-match", /pull-/).reply(304, "");
  await app.receive("pull_request", pullRequestEvent("labeled"));
  expect(github.cost()).toEqual({ reads: 0, free: 2, writes: 0 });
  expect(github.checks).toEqual([]);
});

test("a merge group that adds the first policies gets compliance/policy on its commit, from the policies it would merge", async () => {
  github.policies(undefined).pull().folder(MERGE_GROUP_SHA, POLICIES);
  await app.receive("merge_group", mergeGroupEvent());
  expect(github.checks.map((c) => [c.name, c.head_sha, c.conclusion, c.external_id])).toEqual([["compliance/policy", MERGE_GROUP_SHA, "success", `merge_group:${NUMBER}`]]);
});
