// The issues a merged pull request closes, read through GraphQL: where GraphQL is served on
// github.com and on GitHub Enterprise Server (/api/graphql beside REST's /api/v3), and what an answer with errors means.
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { GitHubSession } from "../../src/github/client.js";
import { closingIssues } from "../../src/github/linked-issues.js";

const ANSWER = { data: { repository: { pullRequest: { closingIssuesReferences: { totalCount: 1, nodes: [{ number: 12, title: "Scale db", repository: { nameWithOwner: "acme/gitops" } }] } } } } };

afterEach(() => nock.cleanAll());

test("github.com: POST /graphql at the API's root", async () => {
  const scope = nock("https://api.github.com").post("/graphql").reply(200, ANSWER);
  const gh = new GitHubSession(new Octokit({ request: { retries: 0 } }));
  await expect(closingIssues(gh, "acme", "gitops", 42)).resolves.toEqual({ issues: [{ repository: "acme/gitops", number: 12, title: "Scale db" }], total: 1 });
  expect(scope.isDone()).toBe(true);
});

test("GitHub Enterprise Server: GraphQL is at /api/graphql, not under REST's /api/v3", async () => {
  const scope = nock("https://ghe.example").post("/api/graphql").reply(200, ANSWER);
  const gh = new GitHubSession(new Octokit({ baseUrl: "https://ghe.example/api/v3" }));
  await expect(closingIssues(gh, "acme", "gitops", 42)).resolves.toMatchObject({ total: 1 });
  expect(scope.isDone()).toBe(true);
});

test("an answer with errors says the record cannot tell (null), never an empty list", async () => {
  nock("https://api.github.com").post("/graphql").reply(200, { errors: [{ message: "Field 'closingIssuesReferences' doesn't exist" }] });
  const gh = new GitHubSession(new Octokit());
  await expect(closingIssues(gh, "acme", "gitops", 42)).resolves.toBeNull();
});
