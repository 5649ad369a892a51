// Fail closed (SPEC §3.3): whatever goes wrong, a failing check that says what — never a passing
// one, never silence where a check is expected, never a stack trace; and repositories without
// policies are left alone.
import nock from "nock";
import {
  API,
  FakeGitHub,
  HEAD,
  NUMBER,
  REPO_PATH,
  capturingLogger,
  checkSuiteEvent,
  pullRequestEvent,
  replyPages,
  review,
  reviewEvent,
  startApp,
  POLICIES,
  type TestApp,
  useTestApp,
} from "./helpers.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
}, { acceptChecks: false });

const opened = (): Record<string, unknown> => pullRequestEvent("opened");

/** name → [conclusion, title] of every check posted. */
function shown(): Record<string, [string | undefined, string]> {
  return Object.fromEntries(github.checks.map((c) => [c.name, [c.conclusion, c.output.title]]));
}

function expectNoStackTrace(): void {
  for (const check of github.checks) expect(JSON.stringify(check.output)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

test("a 502 on reviews (after Probot's retries) fails every check the PR expects, saying what failed", async () => {
  github.acceptChecks();
  github.policies(POLICIES).pull();
  replyPages(github.scope, `${REPO_PATH}/pulls/${NUMBER}/files`, [{ filename: "clusters/production/api.yaml", status: "modified" }]);
  github.scope.get(`${REPO_PATH}/pulls/${NUMBER}/reviews`).query(true).reply(502, "<html>Bad Gateway</html>");
  replyPages(github.scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, []);
  await app.receive("pull_request", opened());
  const title = "Cannot evaluate: GitHub API error 502 while listing reviews of #42";
  expect(shown()).toEqual({
    "compliance/policy": ["failure", title],
    "compliance/production": ["failure", title],
    "compliance/staging": ["failure", title],
  });
  expect(github.checks.every((c) => c.head_sha === HEAD && c.status === "completed")).toBe(true);
  expectNoStackTrace();
});

describe("an unreadable policy file", () => {
  function unreadableBlob(): void {
    github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { object: { sha: "b".repeat(40) } }, { etag: '"t"' });
    github.scope.get(`${REPO_PATH}/contents/policies`).query(true).reply(200, [{ type: "file", path: "policies/production.yml", sha: "f".repeat(40) }]);
    github.scope.get(`${REPO_PATH}/git/blobs/${"f".repeat(40)}`).reply(502, "");
  }

  test("fails compliance/policy and every compliance check already on the commit", async () => {
    github.acceptChecks();
    unreadableBlob();
    // A fresh process knows no environment: GitHub says which of our checks the commit carries.
    github.scope
      .get(`${REPO_PATH}/commits/${HEAD}/check-runs`)
      .query({ app_id: "1", per_page: "100", page: "1" })
      .reply(200, {
        total_count: 2,
        check_runs: [
          { name: "compliance/production", app: { id: 1 } },
          { name: "ci/build", app: { id: 1 } },
        ],
      });
    await app.receive("pull_request", opened());
    const title = "Cannot evaluate: GitHub API error 502 while reading policies/production.yml at bbbbbbb";
    expect(shown()).toEqual({ "compliance/policy": ["failure", title], "compliance/production": ["failure", title] });
  });

  test("after an evaluation, the names it reported are failed without asking GitHub", async () => {
    github.acceptChecks();
    github.coldEvaluation();
    await app.receive("pull_request", opened());
    github.reset();
    // The base moved to a commit whose policy file cannot be read.
    github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { object: { sha: "c".repeat(40) } }, { etag: '"t2"' });
    github.scope.get(`${REPO_PATH}/contents/policies`).query(true).reply(200, [{ type: "file", path: "policies/production.yml", sha: "f".repeat(40) }]);
    github.scope.get(`${REPO_PATH}/git/blobs/${"f".repeat(40)}`).reply(200, { sha: "f".repeat(40), encoding: "base64" });
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    const title = "Cannot evaluate: GitHub returned no content for policies/production.yml at ccccccc";
    expect(shown()).toEqual({
      "compliance/policy": ["failure", title],
      "compliance/production": ["failure", title],
      "compliance/staging": ["failure", title],
    });
  });

  test("when nothing can be read at all, compliance/policy still fails", async () => {
    github.acceptChecks();
    unreadableBlob();
    github.scope.get(`${REPO_PATH}/commits/${HEAD}/check-runs`).query(true).reply(503, "");
    await app.receive("pull_request", opened());
    expect(Object.keys(shown())).toEqual(["compliance/policy"]);
  });
});

test("an unexpected exception fails every expected check without a stack trace, and is logged", async () => {
  const { log, lines } = capturingLogger();
  app = await startApp({ log });
  github.acceptChecks();
  // A malformed answer the gatherer does not expect: a reviewer's login that is not a string.
  github.policies(POLICIES).pull().lists({ reviews: [{ id: 1, user: { login: 12345 }, state: "APPROVED", commit_id: HEAD }] });
  await app.receive("pull_request", opened());
  expect(Object.keys(shown()).sort()).toEqual(["compliance/policy", "compliance/production", "compliance/staging"]);
  for (const [conclusion, title] of Object.values(shown())) {
    expect(conclusion).toBe("failure");
    expect(title).toMatch(/^Cannot evaluate: unexpected error: .*login/);
  }
  expectNoStackTrace();
  const logged = lines.find((l) => l["msg"] === "evaluation failed unexpectedly: reporting failing checks");
  expect(logged).toMatchObject({ level: 50, err: { type: "TypeError", stack: expect.stringContaining("at ") } });
});

test("a check that cannot be posted is posted as failing instead, so an old success does not stay", async () => {
  github.policies(POLICIES).pull().lists({ reviews: [review(1, "alice", "APPROVED")] });
  const posted: string[] = [];
  github.scope
    .post(`${REPO_PATH}/check-runs`)
    .times(4)
    .reply((_uri, body) => {
      const check = body as { name: string; conclusion?: string };
      posted.push(`${check.name}:${check.conclusion}`);
      // GitHub refuses the first attempt at production's success.
      return posted.length === 1 ? [502, "Bad Gateway"] : [201, { id: posted.length, app: { id: 1 } }];
    });
  await app.receive("pull_request", opened());
  expect(posted).toEqual(["compliance/production:success", "compliance/production:failure", "compliance/staging:success", "compliance/policy:success"]);
});

describe("a repository without policies/", () => {
  test("gets no check, no comment, no review request: one look at its base branch, the PR and its head, then nothing", async () => {
    github.acceptChecks().acceptReviewRequests();
    github.policies(undefined).pull().noPoliciesAt(HEAD);
    await app.receive("pull_request", opened());
    expect(github.checks).toEqual([]);
    // The PR is read because the delivery's base may be stale (the PR retargeted since): see stale-base tests.
    // Its head is looked at once, in case it adds the first policies (SPEC §3.2).
    expect(github.answered.map((a) => `${a.method} ${a.path.replace(/\?.*/, "")}`)).toEqual([
      `GET ${REPO_PATH}/git/ref/heads%2Fmain`,
      `GET ${REPO_PATH}/contents/policies`,
      `GET ${REPO_PATH}/pulls/${NUMBER}`,
      `GET ${REPO_PATH}/contents/policies`,
    ]);

    // Warm: the unchanged tip and PR cost free 304s, the missing folder is remembered (for a minute),
    // and the head's (for good: a commit never changes).
    github.reset();
    github.tipUnchanged(1);
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).matchHeader("if-none-match", /pull-42/).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    expect(github.cost()).toEqual({ reads: 0, free: 2, writes: 0 });
    expect(github.checks).toEqual([]);
  });

  test("no check run is created even when nock would accept none (an unmocked POST would be recorded here)", async () => {
    github.policies(undefined).pull().noPoliciesAt(HEAD);
    await app.receive("pull_request", opened());
    expect(github.unmatched).toEqual([]);
    expect(github.answered.some((a) => a.method === "POST")).toBe(false);
  });
});

test("nothing a job throws reaches Probot: a failed lookup of a re-run's PRs is logged and tried again later, the delivery resolves", async () => {
  const { log, lines } = capturingLogger();
  app = await startApp({ log });
  github.scope.get(`${REPO_PATH}/commits/${HEAD}/check-runs`).query(true).reply(500, "");
  github.scope.get(`${REPO_PATH}/commits/${HEAD}/pulls`).query(true).reply(500, "");
  await expect(app.receive("check_suite", checkSuiteEvent({ pulls: [] }))).resolves.toBeUndefined();
  // The re-run's job failed; the queue runs it again after its backoff (10 s), not never.
  expect(lines.some((l) => l["msg"] === "a job could not run: trying again later" && l["level"] === 50 && l["job"] === "rerun")).toBe(true);
  expect((await app.gate.later.stats()).delayed).toBe(1);
});

describe("an installation whose tokens GitHub refuses for hours: nothing can be read or posted", () => {
  const TOKEN = { token: "ghs_99", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" };
  let lines: Record<string, unknown>[];
  let tokens: boolean;

  beforeEach(async () => {
    const captured = capturingLogger();
    lines = captured.lines;
    app = await startApp({ log: captured.log });
    tokens = false;
    nock(API).persist().post("/app/installations/99/access_tokens").reply(() => (tokens ? [201, TOKEN] : [500, { message: "Internal Server Error" }]));
    // A dismissal: whatever the check showed (a success), it must not stay.
    const dismissed = reviewEvent("dismissed");
    dismissed["installation"] = { id: 99 };
    await app.receive("pull_request_review", dismissed);
  });

  const retries = (): number => lines.filter((l) => l["msg"] === "checks could not be posted: evaluating again later").length;
  const dropped = async (): Promise<string | undefined> => (await app.gate.metrics.render()).body.match(/^compliance_gate_jobs_dropped_total\{kind="evaluate"\} (\d+)$/m)?.[1];
  /** Moves the clock `ms` on, a minute at a time, letting what comes due run. */
  const wait = async (ms: number): Promise<void> => {
    for (const end = app.clock.now + ms; app.clock.now < end; ) {
      app.clock.advanceTo(Math.min(end, app.clock.now + 60_000));
      await app.gate.later.idle();
    }
  };

  test("the evaluation runs again past the quick retries, every 30 minutes; once GitHub takes requests again, the dismissal's check lands", async () => {
    expect(retries()).toBe(1);
    // The quick retries (10 s, 1 and 5 minutes) are over after 6 minutes; it goes on.
    await wait(2 * 3_600_000);
    expect(retries()).toBe(3 + 4);
    expect(github.checks).toEqual([]);
    tokens = true;
    github.acceptChecks().coldEvaluation(POLICIES, { reviews: [] });
    await wait(30 * 60_000);
    expect(shown()["compliance/production"]?.[0]).not.toBe("success");
    expect(github.checks.length).toBeGreaterThan(0);
    expect(await dropped()).toBe("0");
  });

  test("after a day of refusals it is given up on: logged and counted in compliance_gate_jobs_dropped_total", async () => {
    await wait(25 * 3_600_000);
    // 3 quick retries and 48 every 30 minutes; the 52nd failure is the last.
    expect(retries()).toBe(51);
    expect(lines.filter((l) => l["msg"] === "checks could not be posted and no retry is left: they may show an older result until the next event")).toHaveLength(1);
    expect(await dropped()).toBe("1");
    expect(github.checks).toEqual([]);
  });
});
