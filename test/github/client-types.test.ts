// Type-level checks, enforced by `npm run typecheck`: both Octokits the project uses are clients;
// and the pull request shapes of webhooks and the REST API decode into the one PullRequest type.
import { createRequire } from "node:module";
import { Octokit } from "@octokit/rest";
import { ProbotOctokit, type Context } from "probot";
import type { GitHubClient } from "../../src/github/client.js";
import { pullRequestOf } from "../../src/github/pulls.js";

const fromContext = (context: Context<"pull_request">): GitHubClient => context.octokit;

test("a ProbotOctokit and an @octokit/rest Octokit are both GitHub clients", () => {
  const probot: GitHubClient = new ProbotOctokit({ auth: { token: "test" } });
  const rest: GitHubClient = new Octokit({ auth: "test" });
  // @ts-expect-error: something without `request` is not a client
  const notAClient: GitHubClient = { get: () => undefined };
  expect([probot, rest].map((client) => typeof client.request)).toEqual(["function", "function"]);
  expect(notAClient).toBeDefined();
  expect(fromContext).toBeDefined();
});

test("the pull requests of pull_request and pull_request_review payloads decode, counts only where GitHub sends them", () => {
  const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as { name: string; examples: Record<string, unknown>[] }[];
  const first = (name: string) => definitions.find((d) => d.name === name)?.examples[0] as { pull_request: Record<string, unknown> };
  const opened = pullRequestOf(first("pull_request").pull_request);
  const reviewed = pullRequestOf(first("pull_request_review").pull_request);
  expect(opened).toMatchObject({ number: expect.any(Number), head: { sha: expect.any(String) }, base: { ref: expect.any(String) }, changed_files: expect.any(Number) });
  expect(reviewed).toMatchObject({ number: expect.any(Number), head: { sha: expect.any(String) }, base: { ref: expect.any(String) } });
  expect(reviewed.changed_files).toBeUndefined();
  expect(() => pullRequestOf({ number: 1 })).toThrow("GitHub returned a pull request without its number, head commit or base branch");
});
