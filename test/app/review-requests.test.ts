// request_reviews: the users and teams whose approval is missing are asked once per missing set,
// never the author, never a bot, only teams of the repository's own organization.
import { reviewRequestOf } from "../../src/app/review-requests.js";
import type { Decision, EnvironmentDecision, RuleDecision } from "../../src/engine/types.js";
import type { PolicySet } from "../../src/policy/types.js";
import { FakeGitHub, REPO_PATH, NUMBER, STAGING, mockTeam, policyYaml, pullRequestEvent, review, reviewEvent, type TestApp, useTestApp } from "./helpers.js";

const REQUESTING = {
  "production.yml": policyYaml(
    "production",
    '{ teams: [sre, other-org/incident], users: [alice, carol, "renovate[bot]"] }',
    "options: { request_reviews: true, allow_author: true }",
  ).replace("approvals: 1", "approvals: 2"),
  "staging.yml": STAGING,
};

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

function coldWithTeams(options: Parameters<FakeGitHub["coldEvaluation"]>[1] = {}): void {
  github.coldEvaluation(REQUESTING, options);
  mockTeam(github.scope, "acme", "sre", ["dave"]);
  mockTeam(github.scope, "other-org", "incident", ["erin"]);
}

test("asks the missing users and own-org teams once per missing set, never the author or a bot", async () => {
  github.acceptReviewRequests();
  coldWithTeams();
  await app.receive("pull_request", pullRequestEvent("opened"));
  expect(github.reviewRequests).toEqual([{ reviewers: ["alice"], team_reviewers: ["sre"] }]);

  // The same set is still missing: not asked again.
  github.warmEvaluation();
  await app.receive("pull_request", pullRequestEvent("labeled"));
  expect(github.reviewRequests).toHaveLength(1);

  // alice approved; one more approval is missing, from the team: a new set, asked once.
  github.warmEvaluation({ reviews: [review(1, "alice", "APPROVED")] });
  await app.receive("pull_request_review", reviewEvent("submitted"));
  expect(github.reviewRequests).toEqual([
    { reviewers: ["alice"], team_reviewers: ["sre"] },
    { reviewers: [], team_reviewers: ["sre"] },
  ]);
  expect(JSON.stringify(github.reviewRequests)).not.toMatch(/carol|bot|incident/);
});

test("a draft is not asked for reviews until it is ready", async () => {
  github.acceptReviewRequests();
  coldWithTeams({ draft: true });
  await app.receive("pull_request", pullRequestEvent("opened", { draft: true }));
  expect(github.reviewRequests).toEqual([]);
  github.warmEvaluation();
  await app.receive("pull_request", pullRequestEvent("ready_for_review"));
  expect(github.reviewRequests).toHaveLength(1);
});

test("GitHub refusing the request (422) does not fail the checks, and is not retried for the same set", async () => {
  coldWithTeams();
  github.scope.post(`${REPO_PATH}/pulls/${NUMBER}/requested_reviewers`).reply(422, { message: "Reviews may only be requested from collaborators." });
  await app.receive("pull_request", pullRequestEvent("opened"));
  expect(github.last("compliance/production")).toMatchObject({ status: "in_progress" });
  github.warmEvaluation();
  await app.receive("pull_request", pullRequestEvent("labeled"));
  expect(github.scope.isDone()).toBe(true);
});

describe("reviewRequestOf", () => {
  const rule = (needed: RuleDecision["needed"], satisfied = false): RuleDecision => ({
    name: "r",
    required: 1,
    satisfied,
    missing: satisfied ? 0 : 1,
    files: [],
    approved_by: [],
    approvals: [],
    ignored: [],
    needed,
  });
  const env = (environment: string, state: EnvironmentDecision["state"], rules: RuleDecision[]): EnvironmentDecision => ({
    environment,
    check: `compliance/${environment}`,
    file: `policies/${environment}.yml`,
    state,
    break_glass: false,
    title: "",
    files: [],
    uncovered: [],
    freeze: null,
    rules,
    changes_requested: [],
    unlinked: [],
    unlinked_blocks: false,
    errors: [],
  });
  const set = (requesting: string[]): PolicySet => ({
    policies: ["production", "staging"].map((environment) => ({
      file: `policies/${environment}.yml`,
      environment,
      scope: { paths: ["**"], exclude: [] },
      rules: [],
      options: { allow_author: true, allow_contributors: false, dismiss_stale: true, block_on_changes_requested: true, request_reviews: requesting.includes(environment), unlinked_commits: "warn" },
      freeze: [],
      audit: { comment: true, issue_on_exception: true, deployment: false },
      enforce: { required_check: false },
      deploy: { environments: [environment] },
      verify: { statuses: [], deployments: [] },
    })),
    invalid: [],
  });

  test("only pending environments whose policy asks; unions and sorts; drops the author, bots and other orgs' teams", () => {
    const decision: Decision = {
      environments: [
        env("production", "pending", [rule({ users: ["Zed", "Carol", "ci[bot]"], teams: ["acme/sre", "other/ops"] }), rule({ users: ["amy"], teams: [] }, true)]),
        env("staging", "pending", [rule({ users: ["bob"], teams: ["acme/platform"] })]),
      ],
    };
    expect(reviewRequestOf(decision, set(["production"]), { owner: "ACME", author: "carol" })).toEqual({ reviewers: ["Zed"], team_reviewers: ["sre"] });
    expect(reviewRequestOf(decision, set(["production", "staging"]), { owner: "acme", author: "carol" })).toEqual({
      reviewers: ["Zed", "bob"],
      team_reviewers: ["platform", "sre"],
    });
  });

  test("nothing when nobody is missing or nothing is pending", () => {
    const blocked: Decision = { environments: [env("production", "blocked", [rule({ users: ["zed"], teams: [] })])] };
    expect(reviewRequestOf(blocked, set(["production"]), { owner: "acme", author: "carol" })).toBeNull();
    const onlyAuthor: Decision = { environments: [env("production", "pending", [rule({ users: ["carol"], teams: [] })])] };
    expect(reviewRequestOf(onlyAuthor, set(["production"]), { owner: "acme", author: "carol" })).toBeNull();
  });
});
