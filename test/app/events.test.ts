// Every event of SPEC §3.1 reaches an evaluation (or, where it changes nothing, none), from real payload shapes.
import {
  FakeGitHub,
  HEAD,
  MERGE_GROUP_SHA,
  NUMBER,
  REPO_PATH,
  UNGATED_BEFORE,
  checkRunEvent,
  checkSuiteEvent,
  commit,
  mergeGroupEvent,
  pullRequestEvent,
  pushEvent,
  replyPages,
  review,
  reviewEvent,
  startApp,
  POLICIES,
  type TestApp,
  useTestApp,
} from "./helpers.js";
import { mockRange, singleEntry } from "./merge-queue.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

/** What the usual PR (one production file, no approvals) shows. */
function expectUsualChecks(sha = HEAD): void {
  const shown = Object.fromEntries(github.checks.map((c) => [c.name, [c.head_sha, c.status, c.conclusion ?? null]]));
  expect(shown).toEqual({
    "compliance/production": [sha, "in_progress", null],
    "compliance/staging": [sha, "completed", "success"],
    "compliance/policy": [sha, "completed", "success"],
  });
}

describe("pull_request and pull_request_review", () => {
  const deliveries: [string, string, () => Record<string, unknown>][] = [
    ["pull_request", "opened", () => pullRequestEvent("opened")],
    ["pull_request", "reopened", () => pullRequestEvent("reopened")],
    ["pull_request", "synchronize", () => pullRequestEvent("synchronize")],
    ["pull_request", "ready_for_review", () => pullRequestEvent("ready_for_review")],
    ["pull_request", "edited (base changed)", () => pullRequestEvent("edited")],
    ["pull_request", "labeled", () => pullRequestEvent("labeled")],
    ["pull_request", "unlabeled", () => pullRequestEvent("unlabeled")],
    ["pull_request_review", "submitted", () => reviewEvent("submitted")],
    ["pull_request_review", "edited", () => reviewEvent("edited")],
    ["pull_request_review", "dismissed", () => reviewEvent("dismissed")],
  ];

  test.each(deliveries)("%s.%s evaluates the PR and posts its checks on the head", async (name, action, payload) => {
    github.coldEvaluation();
    // A new base: the checks of the old one on the head are looked up, to supersede them.
    if (action.startsWith("edited (base")) {
      github.scope.get(`${REPO_PATH}/commits/${HEAD}/check-runs`).query(true).reply(200, { total_count: 0, check_runs: [] });
    }
    await app.receive(name, payload());
    expectUsualChecks();
    expect(github.checks.every((c) => c.external_id === `pull:${NUMBER}`)).toBe(true);
    expect(github.scope.isDone()).toBe(true);
  });

  test("the PR is read fresh: a stale payload's labels and head do not decide", async () => {
    // The delivery says "labeled emergency" on an old head; GitHub says the label is gone and the head moved.
    const moved = "c".repeat(40);
    github.policies(POLICIES).pull({ head: moved, labels: [] }).lists();
    await app.receive("pull_request", pullRequestEvent("labeled", { labels: ["emergency"] }));
    expectUsualChecks(moved);
  });

  test("a draft is evaluated like any PR; a reviewer who committed to it is a contributor", async () => {
    github.coldEvaluation(POLICIES, {
      draft: true,
      commits: [commit("c1", "carol", "web-flow"), commit("c2", "alice", "alice")],
      reviews: [review(1, "alice", "APPROVED")],
    });
    await app.receive("pull_request", pullRequestEvent("opened", { draft: true }));
    // alice committed, so her approval does not count (allow_contributors is false).
    expect(github.last("compliance/production")?.status).toBe("in_progress");
  });

  test("edited without a new base (title, body) changes nothing and asks GitHub nothing", async () => {
    await app.receive("pull_request", pullRequestEvent("edited", { changes: { title: { from: "old title" } } }));
    expect(github.answered).toEqual([]);
    expect(github.checks).toEqual([]);
  });

  test("closed asks GitHub nothing", async () => {
    await app.receive("pull_request", pullRequestEvent("closed"));
    expect(github.answered).toEqual([]);
  });

  test("a PR that is closed by the time it is read is not reported on", async () => {
    github.policies(POLICIES).pull({ state: "closed" });
    await app.receive("pull_request_review", reviewEvent("submitted"));
    expect(github.checks).toEqual([]);
    expect(github.scope.isDone()).toBe(true);
  });
});

describe("check_run and check_suite rerequested", () => {
  test("a re-run of our check re-posts every result, even unchanged ones", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.reset();

    // The same facts again: a plain event writes no check whose content did not change…
    github.warmEvaluation();
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    expect(github.checks).toEqual([]);
    github.reset();

    // …but a person pressing "Re-run" gets a fresh run of each check.
    github.warmEvaluation();
    await app.receive("check_run", checkRunEvent());
    expectUsualChecks();
    expect(github.scope.isDone()).toBe(true);
  });

  test("another app's check, or a check not named compliance/…, is not ours", async () => {
    await app.receive("check_run", checkRunEvent({ appId: 999 }));
    await app.receive("check_run", checkRunEvent({ name: "ci/build" }));
    await app.receive("check_suite", checkSuiteEvent({ appId: 999 }));
    expect(github.answered).toEqual([]);
  });

  test("a fork's re-run (no pull_requests in the payload) finds the PR by the check's external id", async () => {
    github.pull().policies(POLICIES).lists();
    await app.receive("check_run", checkRunEvent({ pulls: [] }));
    expectUsualChecks();
  });

  test("without PRs or external id, the commit's open PRs are asked for", async () => {
    // First this app's own check runs on the commit: none carry an external id here.
    github.scope.get(`${REPO_PATH}/commits/${HEAD}/check-runs`).query(true).reply(200, { total_count: 0, check_runs: [] });
    github.scope
      .get(`${REPO_PATH}/commits/${HEAD}/pulls`)
      .query({ per_page: "100", page: "1" })
      .reply(200, [{ number: NUMBER, state: "open", head: { sha: HEAD }, base: { ref: "main" } }]);
    github.coldEvaluation();
    await app.receive("check_run", checkRunEvent({ pulls: [], externalId: "" }));
    expectUsualChecks();
  });

  test("a re-run of a suite re-evaluates each of its PRs", async () => {
    // One evaluation at a time, so that #43's meets the plan #42's left on their shared head.
    app = await startApp({ config: { queueConcurrency: 1 } });
    github.coldEvaluation();
    github.tipUnchanged(1).pull({ number: 43 }).lists({ number: 43 });
    // #43 shares #42's head: #42 is re-read (a free 304) before their verdicts are combined.
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).matchHeader("if-none-match", /pull-42/).reply(304, "");
    await app.receive("check_suite", checkSuiteEvent({ pulls: [NUMBER, 43] }));
    expect(github.checks).toHaveLength(6);
    expect(github.scope.isDone()).toBe(true);
  });

  test("a re-run of a check on a merge group posts on the merge group's commit", async () => {
    github.pull();
    github.policies(POLICIES).lists({ reviews: [review(1, "alice", "APPROVED")] });
    // No merge_group event told this process which PRs the group holds: GitHub's comparison shows one entry.
    mockRange(github, [singleEntry(NUMBER, MERGE_GROUP_SHA)], MERGE_GROUP_SHA);
    await app.receive("check_run", checkRunEvent({ sha: MERGE_GROUP_SHA, externalId: `merge_group:${NUMBER}`, pulls: [] }));
    expect(github.last("compliance/production")).toMatchObject({ head_sha: MERGE_GROUP_SHA, conclusion: "success" });
  });
});

describe("merge_group checks_requested", () => {
  test("evaluates the queued PR and posts on the merge group's head commit", async () => {
    // Approved on the PR's head: the merge group's commit is not what reviewers approved, and need not be.
    github.coldEvaluation(POLICIES, { reviews: [review(1, "alice", "APPROVED")] });
    await app.receive("merge_group", mergeGroupEvent());
    const shown = Object.fromEntries(github.checks.map((c) => [c.name, [c.head_sha, c.conclusion, c.external_id]]));
    expect(shown).toEqual({
      "compliance/production": [MERGE_GROUP_SHA, "success", `merge_group:${NUMBER}`],
      "compliance/staging": [MERGE_GROUP_SHA, "success", `merge_group:${NUMBER}`],
      "compliance/policy": [MERGE_GROUP_SHA, "success", `merge_group:${NUMBER}`],
    });
  });

  test("a merge group whose PR cannot be told fails closed on its commit", async () => {
    github.policies(POLICIES);
    const payload = mergeGroupEvent({ headRef: "refs/heads/some-queue/unknown" });
    (payload["merge_group"] as { head_commit: { message: string } }).head_commit.message = "Batch of changes";
    await app.receive("merge_group", payload);
    expect(github.checks.map((c) => [c.name, c.head_sha, c.conclusion])).toEqual([
      ["compliance/policy", MERGE_GROUP_SHA, "failure"],
      ["compliance/production", MERGE_GROUP_SHA, "failure"],
      ["compliance/staging", MERGE_GROUP_SHA, "failure"],
    ]);
    expect(github.last("compliance/production")?.output.title).toContain("cannot identify the pull request");
  });
});

describe("push", () => {
  /** Each PR its own head commit (checks are remembered per commit and name). */
  const headOf = (number: number): string => (number === NUMBER ? HEAD : String(number).padEnd(40, "0"));

  function openPulls(numbers: number[]): void {
    replyPages(
      github.scope,
      `${REPO_PATH}/pulls`,
      numbers.map((number) => ({ number, state: "open", head: { sha: headOf(number) }, base: { ref: "main" } })),
      { query: { base: "main", state: "open" } },
    );
  }

  test("a policy change re-evaluates every open PR into the branch, at most COMPLIANCE_CONCURRENCY at once", async () => {
    app = await startApp({ config: { concurrency: 2 } });
    const numbers = [42, 43, 44, 45, 46];
    openPulls(numbers);
    const newTip = "e".repeat(40);
    // The branch moved: its new policies are read once (whichever evaluation gets there first), and
    // its tip at most once per evaluation (one view of the base per evaluation; more is unmatched).
    github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).times(numbers.length).reply(200, { object: { sha: newTip } }, { etag: `W/"tip-${newTip}"` });
    // Two evaluations at once may both miss the cache.
    github.folder(newTip, POLICIES, { times: 2 });
    let inFlight = 0;
    let most = 0;
    for (const number of numbers) {
      // Read to start its evaluation, and again to confirm its head did not move while its lists were read.
      let reads = 0;
      github.scope.get(`${REPO_PATH}/pulls/${number}`).times(2).reply(() => {
        reads += 1;
        if (reads === 1) inFlight += 1;
        most = Math.max(most, inFlight);
        return [200, { number, state: "open", user: { login: "carol" }, head: { sha: headOf(number) }, base: { ref: "main", repo: { default_branch: "main" } }, labels: [], changed_files: 1, commits: 1 }];
      });
      github.listsOnly({ number });
    }
    // compliance/policy is the last check an evaluation posts.
    github.onCheck = (check) => {
      if (check.name === "compliance/policy") inFlight -= 1;
    };

    github.noPoliciesAt();
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE, paths: [["README.md"], ["policies/production.yml"]] }));

    expect(github.checks.filter((c) => c.name === "compliance/policy")).toHaveLength(5);
    // At most one read of the tip per evaluation (two evaluations at once may share one in flight).
    expect(github.answered.filter((a) => a.path === `${REPO_PATH}/git/ref/heads%2Fmain`).length).toBeLessThanOrEqual(numbers.length);
    expect(most).toBe(2);
  });

  test("a push that changes nothing under policies/ re-evaluates nothing", async () => {
    // Only the audit of direct pushes looks at it: the policies at `before` (none here).
    github.noPoliciesAt();
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE, paths: [["clusters/production/api.yaml"], ["policies-old/x.yml"]] }));
    expect(github.answered.map((a) => a.path)).toEqual([`${REPO_PATH}/contents/policies?ref=${UNGATED_BEFORE}`]);
  });

  test("tags, new and deleted branches are not policy changes of open PRs", async () => {
    await app.receive("push", { ...pushEvent(), ref: "refs/tags/v1" });
    await app.receive("push", { ...pushEvent(), created: true });
    await app.receive("push", { ...pushEvent(), deleted: true });
    expect(github.answered).toEqual([]);
  });

  test("when the payload lists no commits, before...after is compared", async () => {
    github.scope
      .get(`${REPO_PATH}/compare/${UNGATED_BEFORE}...${"a".repeat(40)}`)
      .query({ per_page: "1" })
      .reply(200, { files: [{ filename: "policies/staging.yml", status: "modified" }] });
    openPulls([]);
    github.noPoliciesAt();
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE, paths: [] }));
    expect(github.scope.isDone()).toBe(true);
  });

  test("a force push re-evaluates without comparing: commits it dropped may have changed policies", async () => {
    openPulls([NUMBER]);
    github.coldEvaluation();
    github.noPoliciesAt();
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE, forced: true, paths: [["clusters/production/api.yaml"]] }));
    expectUsualChecks();
  });

});
