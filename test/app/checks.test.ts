// What the app posts: SPEC §3's state table, compliance/policy (§3.2), renames, a 3,500-file PR,
// the GitHub requests an evaluation costs, and the log line of every evaluation.
import { sharedGlobs } from "../../src/engine/globs.js";
import { checkRunBody } from "../../src/github/check-runs.js";
import { verdictOf } from "../../src/render/check-run.js";
import { fitCheckOutput } from "../../src/render/check-output.js";
import { MAX_POLICY_FILES, MAX_POLICY_SET_BYTES } from "../../src/policy/load.js";
import { bomb, bombErrors, policyWithGlobs, SIXTY_BOMBS, TRUNCATED, truncatedError } from "../policy/glob-bombs.js";
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

  test("output beyond GitHub's limits is cut, not refused", () => {
    const fitted = fitCheckOutput({ title: "x".repeat(2000), summary: "y".repeat(70_000), text: "z".repeat(70_000) });
    expect(fitted.title).toHaveLength(1000 - 2); // "…" is 3 bytes
    expect(fitted.summary).toHaveLength(65_535 - 2);
    expect(fitted.text).toHaveLength(65_535 - 2);
    expect(fitted.summary.endsWith("65,535 bytes)")).toBe(true);
  });

  test("GitHub's limits are in UTF-8 bytes: 52,000 characters of CJK paths (116,000 bytes) are cut too, never mid-character", () => {
    const summary = `- \`${"生".repeat(16)}.yaml\`\n`.repeat(2000); // 26 characters, 58 bytes a line
    expect(summary.length).toBeLessThan(65_535);
    const fitted = fitCheckOutput({ title: "生".repeat(400), summary });
    expect(Buffer.byteLength(fitted.summary, "utf8")).toBeLessThanOrEqual(65_535);
    expect(Buffer.byteLength(fitted.summary, "utf8")).toBeGreaterThan(65_535 - 60);
    expect(fitted.summary).not.toContain("\uFFFD");
    expect(Buffer.byteLength(fitted.title, "utf8")).toBeLessThanOrEqual(1000);
    expect(fitted.title).toBe(`${"生".repeat(332)}…`);
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

  describe("a PR adding policies/evil.yml full of brace bombs (issue 7) fails, naming each glob", () => {
    /** A PR that adds `evil.yml` to the usual policies; its head holds all three. */
    async function addEvil(text: string): Promise<void> {
      github.coldEvaluation(POLICIES, { files: [{ filename: "policies/evil.yml", status: "added" }] });
      github.folder(HEAD, { ...POLICIES, "evil.yml": text }, { blobs: false });
      github.blob(PRODUCTION).blob(STAGING).blob(text);
      await app.receive("pull_request", opened());
    }

    test("sixty five-digit bombs (3 KB): a failure listing all sixty, and nothing of them in the engine's cache", async () => {
      await addEvil(SIXTY_BOMBS);
      const check = github.last("compliance/policy");
      expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(check?.output.title).toBe(`60 errors in 1 policy file: ${bombErrors("policies/evil.yml")[0]}`);
      for (const error of bombErrors("policies/evil.yml")) expect(check?.output.summary).toContain(error);
      expect(sharedGlobs.has(bomb(0))).toBe(false);
      // the PR is still judged by the base's policies, as ever
      expect(github.last("compliance/production")).toMatchObject({ conclusion: "success", output: { title: expect.stringContaining("Not affected") } });
    });

    test("seventeen `{a,b}`, which minimatch would cut short without a word, fail rather than pass", async () => {
      await addEvil(policyWithGlobs([TRUNCATED]));
      const check = github.last("compliance/policy");
      expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(check?.output.summary).toContain(truncatedError("policies/evil.yml"));
    });
  });

  describe("a PR that fills policies/ fails before a file of it is fetched", () => {
    test(`more than ${MAX_POLICY_FILES} policy files`, async () => {
      const many = Object.fromEntries(Array.from({ length: MAX_POLICY_FILES + 1 }, (_, n) => [`env-${n}.yml`, policyYaml(`env-${n}`, "{ users: [alice] }")]));
      github.coldEvaluation(POLICIES, { files: [{ filename: "policies/env-0.yml", status: "added" }] });
      github.folder(HEAD, { ...POLICIES, ...many }, { blobs: false });
      await app.receive("pull_request", opened());
      const check = github.last("compliance/policy");
      expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
      const head = HEAD.slice(0, 7);
      expect(check?.output.title).toBe(`Cannot evaluate: cannot validate the policy files at the head ${head}: policies/ at ${head} holds 203 policy files; the limit is 200`);
      expect(github.answered.filter((a) => a.path.includes("/git/blobs/"))).toHaveLength(2); // the base's two, none of the head's
    });

    test(`policy files of more than ${MAX_POLICY_SET_BYTES / 1024 / 1024} MiB together`, async () => {
      const huge = `# ${"x".repeat(3 * 1024 * 1024)}\n${PRODUCTION}`;
      github.coldEvaluation(POLICIES, { files: [{ filename: "policies/huge.yml", status: "added" }] });
      github.folder(HEAD, { ...POLICIES, "huge.yml": huge }, { blobs: false });
      await app.receive("pull_request", opened());
      const head = HEAD.slice(0, 7);
      expect(github.last("compliance/policy")?.output.title).toBe(
        `Cannot evaluate: cannot validate the policy files at the head ${head}: the policy files in policies/ at ${head} hold 3,073 KiB; the limit is 2,048 KiB together`,
      );
      expect(github.answered.filter((a) => a.path.includes("/git/blobs/"))).toHaveLength(2); // the base's two, none of the head's
    });
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
    github.policies(POLICIES).pull({ changed_files: 3500 });
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
  test("a warm evaluation of a small PR costs 4 reads (plus 2 free 304s) and one write per changed check", async () => {
    const teams = { "production.yml": policyYaml("production", "{ teams: [sre] }"), "staging.yml": STAGING };
    github.coldEvaluation(teams);
    mockTeam(github.scope, "acme", "sre", ["alice"]);
    await app.receive("pull_request", opened());
    // tip, folder, 2 blobs, the PR, files, reviews, commits, the team; the PR again (free); 3 checks.
    // The base tip is read once: the facts are gathered with the tip the evaluation first read.
    expect(github.cost()).toEqual({ reads: 9, free: 1, writes: 3 });
    github.reset();

    // alice approves: only production's check changes.
    github.warmEvaluation({ reviews: [review(1, "alice", "APPROVED")] });
    await app.receive("pull_request_review", reviewEvent("submitted"));
    // Free: the base tip once (one view of it per evaluation), and the PR re-read once its lists are (its head did not move).
    expect(github.cost()).toEqual({ reads: 4, free: 2, writes: 1 });
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
    expect(github.cost()).toEqual({ reads: 4, free: 2, writes: 0 });
  });

  test("an unchanged pull request is read conditionally: its 304 is free", async () => {
    github.coldEvaluation();
    await app.receive("pull_request", opened());
    github.reset();
    github.tipUnchanged(1).lists();
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).matchHeader("if-none-match", /pull-42/).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    // Nothing changed: no check is written (the pending one neither, since issue 10).
    // Free: the base tip once, the PR, and the PR again after its lists.
    expect(github.cost()).toEqual({ reads: 3, free: 3, writes: 0 });
    expect(github.checks).toEqual([]);
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
    // tip, folder, 2 blobs, the PR, files, reviews, commits, the PR again (304); 3 checks
    requests: { total: 12, reads: 8, not_modified: 1, writes: 3, by_route: expect.objectContaining({ "POST /repos/{owner}/{repo}/check-runs": 3 }) },
  });
});
