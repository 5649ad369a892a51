// What the app posts: SPEC §3's state table, compliance/policy (§3.2), renames, a 3,500-file PR,
// the GitHub requests an evaluation costs, and the log line of every evaluation.
import { checkRunBody, verdictOf } from "../../src/github/checks.js";
import {
  FakeGitHub,
  HEAD,
  NUMBER,
  REPO_PATH,
  TIP,
  capturingLogger,
  commit,
  mockTeam,
  policyYaml,
  pullRequestEvent,
  replyPages,
  review,
  reviewEvent,
  startApp,
  POLICIES,
  PRODUCTION,
  STAGING,
  type TestApp,
  useTestApp,
} from "./helpers.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

const opened = (): Record<string, unknown> => pullRequestEvent("opened");

describe("the state table (SPEC §3)", () => {
  test("maps every state exactly", () => {
    expect(verdictOf("approved")).toBe("success");
    expect(verdictOf("not_affected")).toBe("success");
    expect(verdictOf("pending")).toBe("in_progress");
    expect(verdictOf("blocked")).toBe("failure");
    expect(verdictOf("error")).toBe("failure");
  });

  test("approved: completed, success", async () => {
    github.coldEvaluation(POLICIES, { reviews: [review(1, "alice", "APPROVED")] });
    await app.receive("pull_request", opened());
    expect(github.last("compliance/production")).toMatchObject({ status: "completed", conclusion: "success", head_sha: HEAD });
  });

  test("not_affected: completed, success", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", opened());
    expect(github.last("compliance/staging")).toMatchObject({ status: "completed", conclusion: "success" });
  });

  test("pending: in_progress, with no conclusion (never neutral or skipped)", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", opened());
    const check = github.last("compliance/production");
    expect(check).toMatchObject({ status: "in_progress", output: { title: "Waiting for 1 approval from @alice" } });
    expect(check).not.toHaveProperty("conclusion");
    expect(check).not.toHaveProperty("completed_at");
  });

  test("blocked: completed, failure", async () => {
    github.coldEvaluation(POLICIES, { reviews: [review(1, "alice", "CHANGES_REQUESTED")] });
    await app.receive("pull_request", opened());
    expect(github.last("compliance/production")).toMatchObject({ status: "completed", conclusion: "failure" });
  });

  test("error (an invalid policy on the base branch): completed, failure; the other environments are judged", async () => {
    github.coldEvaluation({ "production.yml": "version: 1\nenvironment: production\nrules: 3\n", "staging.yml": STAGING });
    await app.receive("pull_request", opened());
    expect(github.last("compliance/production")).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(github.last("compliance/staging")).toMatchObject({ conclusion: "success" });
  });

  test("a check run's body: one POST per check, named, on the head, with our external id", () => {
    const target = { owner: "acme", repo: "gitops", sha: HEAD, externalId: "pull:42" };
    const output = { title: "t", summary: "s" };
    expect(checkRunBody(target, { name: "compliance/production", verdict: "failure", output }, Date.parse("2026-01-01T00:00:00Z"))).toEqual({
      name: "compliance/production",
      head_sha: HEAD,
      external_id: "pull:42",
      output,
      status: "completed",
      conclusion: "failure",
      completed_at: "2026-01-01T00:00:00.000Z",
    });
  });
});

describe("compliance/policy (SPEC §3.2)", () => {
  const GOVERNANCE = [
    "version: 1",
    "environment: governance",
    "scope:",
    "  branches: [main]",
    "  paths: [policies/**]",
    "rules:",
    "  - name: SRE leads approve policy changes",
    "    paths: [policies/**]",
    "    approvals: 1",
    "    approvers: { users: [bob] }",
  ].join("\n");

  test("succeeds with 'No policy changes' on a PR that does not touch policies/, without reading anything more", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", opened());
    expect(github.last("compliance/policy")).toMatchObject({ conclusion: "success", output: { title: "No policy changes" } });
    expect(github.scope.isDone()).toBe(true);
  });

  test("validates the head's policy files and succeeds when they are valid", async () => {
    const headProduction = PRODUCTION.replace("approvals: 1", "approvals: 2");
    github.coldEvaluation(POLICIES, { files: [{ filename: "policies/production.yml", status: "modified" }] });
    github.folder(HEAD, { "production.yml": headProduction, "staging.yml": STAGING }, { blobs: false });
    github.blob(headProduction).blob(STAGING);
    await app.receive("pull_request", opened());
    expect(github.last("compliance/policy")).toMatchObject({ conclusion: "success" });
    expect(github.last("compliance/policy")?.output.summary).toContain("policies/production.yml");
  });

  test("fails with file:line:col when a head policy file is invalid, so a broken policy cannot merge", async () => {
    const broken = [
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
    github.coldEvaluation(POLICIES, { files: [{ filename: "policies/production.yml", status: "modified" }] });
    github.folder(HEAD, { "production.yml": broken, "staging.yml": STAGING });
    await app.receive("pull_request", opened());
    const check = github.last("compliance/policy");
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.output.summary).toContain("policies/production.yml:9:5: rules[0].aprovals: unknown key");
  });

  test("a PR cannot weaken its own policy: it is judged by the base's, and the head's are only validated", async () => {
    const weakened = GOVERNANCE.replace("approvals: 1", "approvals: 0");
    const base = { ...POLICIES, "governance.yml": GOVERNANCE };
    github.coldEvaluation(base, { files: [{ filename: "policies/governance.yml", status: "modified" }] });
    github.folder(HEAD, { ...POLICIES, "governance.yml": weakened }, { blobs: false });
    github.blob(weakened).blob(PRODUCTION).blob(STAGING);
    await app.receive("pull_request", opened());
    expect(github.last("compliance/governance")).toMatchObject({ status: "in_progress", output: { title: "Waiting for 1 approval from @bob" } });
    expect(github.last("compliance/policy")).toMatchObject({ conclusion: "success" });
  });

  test("moving a file out of policies/ is a policy change too", async () => {
    github.coldEvaluation(POLICIES, { files: [{ filename: "old/staging.yml", status: "renamed", previous_filename: "policies/staging.yml" }] });
    github.folder(HEAD, { "production.yml": PRODUCTION }, { blobs: false }).blob(PRODUCTION);
    await app.receive("pull_request", opened());
    expect(github.last("compliance/policy")).toMatchObject({ conclusion: "success" });
    expect(github.scope.isDone()).toBe(true);
  });
});

describe("changed files", () => {
  test("a rename counts both paths: moving a file out of production is a production change", async () => {
    github.coldEvaluation(POLICIES, {
      files: [{ filename: "clusters/staging/db.yaml", status: "renamed", previous_filename: "clusters/production/db.yaml" }],
    });
    await app.receive("pull_request", opened());
    expect(github.last("compliance/production")).toMatchObject({ status: "in_progress" });
    expect(github.last("compliance/staging")).toMatchObject({ status: "in_progress" });
  });

  /** 3,500 changes: past the 3,000 files GitHub lists, the git trees of merge base and head are compared. */
  function mockLargePull(options: { truncated: boolean }): void {
    github.policies(POLICIES).tipUnchanged(1).pull({ changed_files: 3500 });
    const listed = Array.from({ length: 3500 }, (_, i) => ({ filename: `f${i}`, status: "added" }));
    replyPages(github.scope, `${REPO_PATH}/pulls/${NUMBER}/files`, listed, { pages: 30 });
    replyPages(github.scope, `${REPO_PATH}/pulls/${NUMBER}/reviews`, []);
    replyPages(github.scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, [commit("c1", "carol", "carol")]);
    github.unmoved();
    const mergeBase = "m".repeat(40);
    github.scope
      .get(`${REPO_PATH}/compare/${TIP}...${HEAD}`)
      .query({ per_page: "1" })
      .reply(200, { merge_base_commit: { sha: mergeBase }, total_commits: 1, commits: [] });
    const blob = (path: string, sha: string) => ({ path, mode: "100644", type: "blob", sha });
    const base = [
      ...Array.from({ length: 1000 }, (_, i) => blob(`clusters/production/app-${i}.yaml`, `a${i}`)),
      blob("clusters/production/old.yaml", "moved"),
    ];
    const head = [
      ...Array.from({ length: 1000 }, (_, i) => blob(`clusters/production/app-${i}.yaml`, `b${i}`)),
      ...Array.from({ length: 2499 }, (_, i) => blob(`clusters/staging/new-${i}.yaml`, `n${i}`)),
      blob("clusters/staging/moved.yaml", "moved"),
    ];
    github.scope.get(`${REPO_PATH}/git/trees/${mergeBase}`).query({ recursive: "1" }).reply(200, { sha: mergeBase, tree: base, truncated: false });
    github.scope.get(`${REPO_PATH}/git/trees/${HEAD}`).query({ recursive: "1" }).reply(200, { sha: HEAD, tree: head, truncated: options.truncated });
  }

  test("a 3,500-file PR is judged on every file, through the git trees", async () => {
    mockLargePull({ truncated: false });
    await app.receive("pull_request", opened());
    expect(github.last("compliance/production")).toMatchObject({ status: "in_progress", output: { title: "Waiting for 1 approval from @alice" } });
    expect(github.last("compliance/staging")).toMatchObject({ status: "in_progress", output: { title: "Waiting for 1 approval from @bob" } });
    expect(github.scope.isDone()).toBe(true);
  });

  test("when even the trees are cut off, the state is error, never a guess", async () => {
    mockLargePull({ truncated: true });
    // Not knowing every file, the app validates the head's policies as if they were touched.
    github.folder(HEAD, POLICIES);
    await app.receive("pull_request", opened());
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "failure", output: { title: expect.stringMatching(/cannot see every changed file/i) } });
    expect(github.last("compliance/policy")).toMatchObject({ conclusion: "success" });
  });
});

describe("economy", () => {
  test("a warm evaluation of a small PR costs 4 reads (plus 3 free 304s) and one write per changed check", async () => {
    const teams = { "production.yml": policyYaml("production", "{ teams: [sre] }"), "staging.yml": STAGING };
    github.coldEvaluation(teams);
    mockTeam(github.scope, "acme", "sre", ["alice"]);
    await app.receive("pull_request", opened());
    // tip, folder, 2 blobs, the PR, files, reviews, commits, the team; the base tip and the PR again (free); 3 checks
    expect(github.cost()).toEqual({ reads: 9, free: 2, writes: 3 });
    github.reset();

    // alice approves: only production's check changes.
    github.warmEvaluation({ reviews: [review(1, "alice", "APPROVED")] });
    await app.receive("pull_request_review", reviewEvent("submitted"));
    // Free: the base tip twice, and the PR re-read once its lists are (its head did not move).
    expect(github.cost()).toEqual({ reads: 4, free: 3, writes: 1 });
    expect(github.checks.map((c) => [c.name, c.conclusion])).toEqual([["compliance/production", "success"]]);
    expect(github.answered.filter((a) => a.method === "GET" && a.status !== 304).map((a) => a.path.replace(/\?.*/, ""))).toEqual([
      `${REPO_PATH}/pulls/42`,
      `${REPO_PATH}/pulls/42/files`,
      `${REPO_PATH}/pulls/42/reviews`,
      `${REPO_PATH}/pulls/42/commits`,
    ]);
    github.reset();

    // Nothing changed: nothing is written.
    github.warmEvaluation({ reviews: [review(1, "alice", "APPROVED")] });
    await app.receive("pull_request", pullRequestEvent("labeled"));
    expect(github.cost()).toEqual({ reads: 4, free: 3, writes: 0 });
  });

  test("an unchanged pull request is read conditionally: its 304 is free", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", opened());
    github.reset();
    github.tipUnchanged(2).lists();
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).matchHeader("if-none-match", /pull-42/).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    // The pending production check is posted again (only successes are skipped when unchanged).
    expect(github.cost()).toEqual({ reads: 3, free: 4, writes: 1 });
    expect(github.checks.map((c) => c.name)).toEqual(["compliance/production"]);
  });
});

test("every evaluation logs repository, PR, states, duration and the requests it made", async () => {
  const { log, lines } = capturingLogger();
  app = await startApp({ log });
  github.coldEvaluation();
  await app.receive("pull_request", opened());
  const line = lines.find((l) => l["msg"] === "evaluated acme/gitops#42");
  expect(line).toMatchObject({
    level: 30,
    repository: "acme/gitops",
    pull_request: 42,
    sha: HEAD,
    reasons: ["pull_request.opened"],
    environments: { production: "pending", staging: "not_affected" },
    checks: { posted: 3, unchanged: 0, failed: 0 },
    duration_ms: expect.any(Number),
    // tip, folder, 2 blobs, the PR, the tip again (304), files, reviews, commits, the PR again (304); 3 checks
    requests: { total: 13, reads: 8, not_modified: 2, writes: 3, by_route: expect.objectContaining({ "POST /repos/{owner}/{repo}/check-runs": 3 }) },
  });
});
