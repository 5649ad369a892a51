// Type-level checks, enforced by `npm run typecheck`: both Octokits the project uses, and the
// pull request shapes of webhooks and the REST API, fit what the facts gatherer asks for.
import { Octokit, type RestEndpointMethodTypes } from "@octokit/rest";
import { ProbotOctokit, type Context } from "probot";
import type { GitHubClient } from "../../src/github/client.js";
import type { PullRequestLike } from "../../src/github/facts.js";

const fromContext = (context: Context<"pull_request">): GitHubClient => context.octokit;
const fromReviewPayload = (context: Context<"pull_request_review">): PullRequestLike => context.payload.pull_request;
const fromPullPayload = (context: Context<"pull_request">): PullRequestLike => context.payload.pull_request;
const fromRest = (data: RestEndpointMethodTypes["pulls"]["get"]["response"]["data"]): PullRequestLike => data;

test("a ProbotOctokit and an @octokit/rest Octokit are both GitHub clients", () => {
  const probot: GitHubClient = new ProbotOctokit({ auth: { token: "test" } });
  const rest: GitHubClient = new Octokit({ auth: "test" });
  // @ts-expect-error: something without `request` is not a client
  const notAClient: GitHubClient = { get: () => undefined };
  expect([probot, rest].map((client) => typeof client.request)).toEqual(["function", "function"]);
  expect(notAClient).toBeDefined();
  expect([fromContext, fromReviewPayload, fromPullPayload, fromRest]).toHaveLength(4);
});
