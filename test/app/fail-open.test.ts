// Ways the app could fail open — a passing check it should not show, or silence where a check is
// expected — each found in review, and each shown closed here (SPEC §3.3).
import nock from "nock";
import { oneCheckPerName } from "../../src/app/check-plan.js";
import { FreezeTimers } from "../../src/app/freeze-timers.js";
import {
  API,
  FakeGitHub,
  HEAD,
  MERGE_GROUP_SHA,
  ManualClock,
  NOW,
  NUMBER,
  REPO_PATH,
  TIP,
  UNGATED_BEFORE,
  blobSha,
  capturingLogger,
  checkRunEvent,
  checkSuiteEvent,
  commit,
  mergeGroupEvent,
  policyYaml,
  pullRequest,
  pullRequestEvent,
  pushEvent,
  replyPages,
  review,
  startApp,
  POLICIES,
  PRODUCTION,
  STAGING,
  type TestApp,
  useTestApp,
} from "./helpers.js";
import { mockRange, singleEntry } from "./merge-queue.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
}, { acceptChecks: false });

const approved = { reviews: [review(1, "alice", "APPROVED")] };

/** A branch other than main: its tip, and the policy folder there (undefined: none); `read` the blobs not yet cached. */
function branch(name: string, tip: string, files: Record<string, string> | undefined, read: string[] = []): void {
  github.scope.get(`${REPO_PATH}/git/ref/heads%2F${name}`).reply(200, { ref: `refs/heads/${name}`, object: { sha: tip } }, { etag: `W/"tip-${tip}"` });
  github.folder(tip, files, { blobs: false });
  for (const text of read) github.blob(text);
}

/** GitHub's latest check runs on a commit, as this app (id 1) posted them. */
function checkRunsOn(sha: string, runs: { name: string; external_id: string }[]): void {
  github.scope
    .get(`${REPO_PATH}/commits/${sha}/check-runs`)
    .query(true)
    .reply(200, { total_count: runs.length, check_runs: runs.map((run, i) => ({ id: i + 1, ...run, app: { id: 1 } })) });
}

/** name → [status or conclusion, title] of the last check of each name on `sha`. */
function showing(sha = HEAD): Record<string, [string, string]> {
  const shown: Record<string, [string, string]> = {};
  for (const check of github.checks.filter((c) => c.head_sha === sha)) shown[check.name] = [check.conclusion ?? check.status, check.output.title];
  return shown;
}

const RELEASE = policyYaml("release", "{ users: [bob] }").replace("branches: [main]", "branches: [release]");
const RELEASE_TIP = "r".repeat(40);
const DEV_TIP = "d".repeat(40);

// ---------------------------------------------------------------------------------------------
// 1. An environment named `policy` and the compliance/policy check

describe("an environment named policy (finding 1)", () => {
  const NAMED_POLICY = policyYaml("policy", "{ users: [alice] }", "").replace(/clusters\/policy/g, "clusters/production");

  test("is invalid on the base, so compliance/policy fails instead of a validation success posting over it", async () => {
    github.acceptChecks();
    // A PR that does not touch policies/ gets compliance/policy "No policy changes" (success) —
    // and, before, the environment `policy` waiting for alice under the very same name.
    github.coldEvaluation({ "policy.yml": NAMED_POLICY, "staging.yml": STAGING });
    await app.receive("pull_request", pullRequestEvent("opened"));
    const policy = github.checks.filter((c) => c.name === "compliance/policy");
    expect(policy).toHaveLength(1);
    expect(policy[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(policy[0]?.output.summary).toContain("policies/policy.yml:2:14: environment: `policy` is reserved");
  });

  test("two planned checks with one name are posted once, and the failing one wins, whatever the order", () => {
    const success = { name: "compliance/policy", verdict: "success" as const, output: { title: "No policy changes", summary: "ok" } };
    const waiting = { name: "compliance/policy", verdict: "in_progress" as const, output: { title: "Waiting for 2 approvals", summary: "wait" } };
    const failure = { name: "compliance/policy", verdict: "failure" as const, output: { title: "Invalid", summary: "bad" } };
    expect(oneCheckPerName([waiting, success])).toEqual([waiting]);
    expect(oneCheckPerName([success, waiting])).toEqual([waiting]);
    expect(oneCheckPerName([success, failure, waiting]).map((c) => c.verdict)).toEqual(["failure"]);
    const both = oneCheckPerName([failure, { ...failure, output: { title: "Also invalid", summary: "worse" } }]);
    expect(both).toHaveLength(1);
    expect(both[0]?.output.summary).toContain("Also invalid");
  });
});

// ---------------------------------------------------------------------------------------------
// 2. A stale base branch in a delivery

describe("a delivery's base branch is a hint (finding 2)", () => {
  test("a stale delivery saying the PR is into a branch without policies does not silence a PR now into main", async () => {
    github.acceptChecks();
    // The PR was into dev (no policies) and has been retargeted to main; this `labeled` delivery is from before.
    branch("dev", DEV_TIP, undefined);
    github.pull({ base: "main" });
    // main's tip is read once: the facts are gathered with the tip this evaluation first read.
    github.policies(POLICIES).lists();
    await app.receive("pull_request", pullRequestEvent("labeled", { base: "dev" }));
    expect(showing()).toEqual({
      "compliance/production": ["in_progress", "Waiting for 1 approval from @alice"],
      "compliance/staging": ["success", expect.any(String)],
      "compliance/policy": ["success", "No policy changes"],
    });
    expect(github.scope.isDone()).toBe(true);
  });

  test("a burst whose deliveries disagree on the base trusts neither: the PR is read as GitHub has it", async () => {
    github.acceptChecks();
    github.coldEvaluation();
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.reset();

    // Evaluation 1 (a synchronize into main) is slow; meanwhile a stale `labeled` into dev and a fresh `synchronize` arrive.
    github.tipUnchanged(1);
    github.pull();
    const base = `${REPO_PATH}/pulls/${NUMBER}`;
    github.scope.get(`${base}/files`).query(true).delay(50).reply(200, [{ filename: "clusters/production/api.yaml", status: "modified" }]);
    replyPages(github.scope, `${base}/reviews`, []);
    replyPages(github.scope, `${base}/commits`, [commit("c1", "carol", "web-flow")]);
    github.unmoved();
    // Evaluation 2, of the merged burst: no base hint, so no probe of dev (unmocked: it would show in `unmatched`).
    github.tipUnchanged(1).pull().lists();
    await Promise.all([
      app.receive("pull_request", pullRequestEvent("synchronize")),
      app.receive("pull_request", pullRequestEvent("synchronize")),
      // Arrives last, but is the oldest: the PR was into dev before.
      app.receive("pull_request", pullRequestEvent("labeled", { base: "dev" })),
    ]);
    expect(github.scope.isDone()).toBe(true);
    expect(github.answered.some((a) => a.path.includes("heads%2Fdev"))).toBe(false);
  });

  test("a freeze timer rescheduled for the same instant fires with the newer callback (newer base and head)", () => {
    const clock = new ManualClock(0);
    const timers = new FreezeTimers(() => clock.now, clock);
    const fired: string[] = [];
    timers.schedule("a/b#1", 100, () => fired.push("old base dev"));
    timers.schedule("a/b#1", 100, () => fired.push("new base main"));
    expect(clock.pending).toEqual([100]);
    clock.advanceTo(100);
    expect(fired).toEqual(["new base main"]);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Policy pushes that cannot be compared or whose PRs cannot be listed

describe("a policy push GitHub cannot answer about (finding 3)", () => {
  function openPull(query: Record<string, string> = {}): void {
    replyPages(github.scope, `${REPO_PATH}/pulls`, [{ number: NUMBER, state: "open", head: { sha: HEAD }, base: { ref: "main" } }], {
      query: { base: "main", state: "open", ...query },
    });
  }

  test("a comparison that fails counts as a policy change: the open PRs are re-evaluated", async () => {
    github.acceptChecks();
    github.scope.get(`${REPO_PATH}/compare/${UNGATED_BEFORE}...${"a".repeat(40)}`).query(true).reply(502, "");
    openPull();
    github.coldEvaluation();
    github.noPoliciesAt();
    const { log, lines } = capturingLogger();
    app = await startApp({ log });
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE, paths: [] }));
    expect(github.last("compliance/production")).toMatchObject({ head_sha: HEAD, status: "in_progress" });
    expect(lines.some((l) => l["level"] === 50 && String(l["msg"]).includes("as if it did"))).toBe(true);
  });

  test("open PRs that cannot be listed are listed again later, with backoff, and then re-evaluated", async () => {
    github.acceptChecks();
    const { log, lines } = capturingLogger();
    app = await startApp({ log });
    github.scope.get(`${REPO_PATH}/pulls`).query(true).times(2).reply(502, "");
    github.noPoliciesAt();
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE }));
    expect(app.clock.pending).toEqual([NOW + 10_000]);
    app.clock.advanceTo(NOW + 10_000);
    await app.gate.later.idle();
    // Failed again: the next retry waits longer.
    expect(app.clock.pending).toEqual([NOW + 10_000 + 60_000]);
    openPull();
    github.coldEvaluation();
    app.clock.advanceTo(NOW + 70_000);
    await app.gate.later.idle();
    expect(github.last("compliance/production")).toMatchObject({ head_sha: HEAD, status: "in_progress" });
    expect(lines.filter((l) => l["level"] === 50 && String(l["msg"]).includes("cannot be listed"))).toHaveLength(2);
  });

  test("a listing that goes on past its pages is followed to the end, not cut off with a warning", async () => {
    github.acceptChecks();
    const other = 43;
    const otherHead = "4".repeat(40);
    // 32 pages of open PRs (GitHub says rel="next" until the last): #42 on the first, #43 on the 31st.
    for (let page = 1; page <= 32; page += 1) {
      const items =
        page === 1
          ? [{ number: NUMBER, state: "open", head: { sha: HEAD }, base: { ref: "main" } }]
          : page === 31
            ? [{ number: other, state: "open", head: { sha: otherHead }, base: { ref: "main" } }]
            : [];
      const headers: Record<string, string> = page < 32 ? { link: `<${API}${REPO_PATH}/pulls?page=${page + 1}>; rel="next"` } : {};
      github.scope.get(`${REPO_PATH}/pulls`).query({ base: "main", state: "open", per_page: "100", page: String(page) }).reply(200, items, headers);
    }
    github.coldEvaluation();
    github.tipUnchanged(1).pull({ number: other, head: otherHead }).lists({ number: other });
    github.noPoliciesAt();
    await app.receive("push", pushEvent({ before: UNGATED_BEFORE }));
    expect(github.last("compliance/production")).toMatchObject({ head_sha: otherHead });
    expect(github.checks.filter((c) => c.name === "compliance/policy").map((c) => c.head_sha)).toEqual([HEAD, otherHead]);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Re-runs and merge groups: which PR a verdict belongs to

describe("a re-run or merge group is attributed only by what GitHub or this app wrote (finding 4)", () => {
  const FORK_SHA = "f".repeat(40);
  const QUEUE_LOOKALIKE = `gh-readonly-queue/main/pr-${NUMBER}-${"5f".repeat(20)}`;

  test("re-running a suite on a branch named like a merge queue ref does not post another PR's verdict on its commit", async () => {
    github.acceptChecks();
    // A fork's PR #77 on branch gh-readonly-queue/main/pr-42-…: our check runs on its commit say pull:77.
    checkRunsOn(FORK_SHA, [{ name: "compliance/production", external_id: "pull:77" }]);
    github.coldEvaluation(POLICIES, { number: 77, head: FORK_SHA });
    await app.receive("check_suite", checkSuiteEvent({ pulls: [], headBranch: QUEUE_LOOKALIKE, sha: FORK_SHA }));
    expect(github.checks.length).toBeGreaterThan(0);
    expect(github.checks.every((c) => c.head_sha === FORK_SHA && c.external_id === "pull:77")).toBe(true);
    expect(github.answered.some((a) => a.path === `${REPO_PATH}/pulls/${NUMBER}`)).toBe(false);
  });

  test("re-running a check on such a branch evaluates the check's own PR, not the one the branch name points at", async () => {
    github.acceptChecks();
    github.coldEvaluation(POLICIES, { number: 77, head: FORK_SHA });
    await app.receive("check_run", checkRunEvent({ headBranch: QUEUE_LOOKALIKE, sha: FORK_SHA, pulls: [], externalId: "pull:77" }));
    expect(github.checks.every((c) => c.head_sha === FORK_SHA && c.external_id === "pull:77")).toBe(true);
  });

  test("a real merge group's suite is found by this app's merge_group external id on the commit", async () => {
    github.acceptChecks();
    checkRunsOn(MERGE_GROUP_SHA, [{ name: "compliance/production", external_id: `merge_group:${NUMBER}` }]);
    github.coldEvaluation(POLICIES, approved);
    // Which PRs the group holds is not known from an event here: GitHub's comparison shows one commit on the base.
    mockRange(github, [singleEntry(NUMBER, MERGE_GROUP_SHA)], MERGE_GROUP_SHA);
    await app.receive("check_suite", checkSuiteEvent({ pulls: [], headBranch: `gh-readonly-queue/main/pr-${NUMBER}-abc`, sha: MERGE_GROUP_SHA }));
    expect(github.last("compliance/production")).toMatchObject({ head_sha: MERGE_GROUP_SHA, conclusion: "success", external_id: `merge_group:${NUMBER}` });
  });

  test("a merge group named only by its commit message fails closed: the message is the author's to write", async () => {
    github.acceptChecks();
    github.policies(POLICIES);
    const payload = mergeGroupEvent({ headRef: "refs/heads/some-queue/unknown" });
    (payload["merge_group"] as { head_commit: { message: string } }).head_commit.message = `Merge pull request #${NUMBER} from acme/approved-elsewhere`;
    await app.receive("merge_group", payload);
    expect(Object.keys(showing(MERGE_GROUP_SHA)).sort()).toEqual(["compliance/policy", "compliance/production", "compliance/staging"]);
    for (const [conclusion, title] of Object.values(showing(MERGE_GROUP_SHA))) {
      expect(conclusion).toBe("failure");
      expect(title).toContain("cannot identify the pull request");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 5. A new base branch: the old base's checks on the head

describe("checks of an old base branch are superseded (finding 5)", () => {
  test("retargeting main → release fails the environments of main that release does not have, with why", async () => {
    github.acceptChecks();
    github.coldEvaluation();
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.reset();

    branch("release", RELEASE_TIP, { ...POLICIES, "release.yml": RELEASE }, [RELEASE]);
    github.pull({ base: "release" });
    // release's tip is read once: its facts are gathered with that one view of it.
    github.lists();
    checkRunsOn(HEAD, []);
    await app.receive("pull_request", pullRequestEvent("edited", { base: "release", changes: { base: { ref: { from: "main" } } } }));
    // compliance/policy is unchanged (and a success, so not posted again).
    expect(showing()).toEqual({
      "compliance/release": ["success", expect.any(String)],
      "compliance/production": ["failure", "Not evaluated: the base branch is now release, which this environment does not gate"],
      "compliance/staging": ["failure", "Not evaluated: the base branch is now release, which this environment does not gate"],
    });
  });

  test("checks another replica posted for the old base are found on the commit and superseded too", async () => {
    github.acceptChecks();
    branch("release", RELEASE_TIP, { ...POLICIES, "release.yml": RELEASE }, [PRODUCTION, STAGING, RELEASE]);
    github.pull({ base: "release" });
    // release's tip is read once: its facts are gathered with that one view of it.
    github.lists();
    // This process never saw the PR; GitHub shows main's production success on the head, posted for #42,
    // and a check of another PR sharing the head (left alone).
    checkRunsOn(HEAD, [
      { name: "compliance/production", external_id: `pull:${NUMBER}` },
      { name: "compliance/other", external_id: "pull:43" },
    ]);
    await app.receive("pull_request", pullRequestEvent("edited", { base: "release", changes: { base: { ref: { from: "main" } } } }));
    expect(showing()["compliance/production"]).toEqual(["failure", "Not evaluated: the base branch is now release, which this environment does not gate"]);
    expect(showing()["compliance/other"]).toBeUndefined();
  });

  test("retargeting to a branch without policies fails every check posted before, instead of leaving them", async () => {
    github.acceptChecks();
    github.coldEvaluation(POLICIES, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.last("compliance/production")?.conclusion).toBe("success");
    github.reset();

    branch("dev", DEV_TIP, undefined);
    github.pull({ base: "dev" }).noPoliciesAt(HEAD);
    checkRunsOn(HEAD, []);
    await app.receive("pull_request", pullRequestEvent("edited", { base: "dev", changes: { base: { ref: { from: "main" } } } }));
    const title = "Not evaluated: the base branch is now dev, which has no policies";
    expect(showing()).toEqual({
      "compliance/policy": ["failure", title],
      "compliance/production": ["failure", title],
      "compliance/staging": ["failure", title],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 6. "No policies" from a 404 that does not mean it

describe("a 404 from the contents API is 'no policies' only when it says Not Found (finding 6)", () => {
  test("'No commit found for the ref' is a failure, not silence", async () => {
    github.acceptChecks();
    github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { object: { sha: TIP } }, { etag: `W/"tip-${TIP}"` });
    github.scope.get(`${REPO_PATH}/contents/policies`).query(true).reply(404, { message: `No commit found for the ref ${TIP}` });
    checkRunsOn(HEAD, []);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(showing()).toEqual({
      "compliance/policy": ["failure", expect.stringContaining(`GitHub answered 404 "No commit found for the ref ${TIP}" while listing policies/`)],
    });
  });

  test("'no policies' is believed for a minute, then the folder is listed again", async () => {
    github.acceptChecks();
    // The head is looked at once (does it add the first policies?), and is remembered: a commit never changes.
    github.policies(undefined).pull().noPoliciesAt(HEAD);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.checks).toEqual([]);

    // Within the minute: remembered.
    app.clock.now = NOW + 30_000;
    github.tipUnchanged(1);
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    expect(github.checks).toEqual([]);

    // After it: the same commit is listed again, and GitHub now shows the policies it has.
    app.clock.now = NOW + 61_000;
    github.tipUnchanged(1);
    github.folder(TIP, POLICIES);
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(304, "");
    github.lists();
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    expect(github.last("compliance/production")).toMatchObject({ status: "in_progress" });
    expect(github.scope.isDone()).toBe(true);
  });

  test("where this process saw policies, a Not Found its git tree contradicts fails closed", async () => {
    github.acceptChecks();
    github.coldEvaluation();
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.reset();

    const moved = "c".repeat(40);
    github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { object: { sha: moved } }, { etag: `W/"tip-${moved}"` });
    github.folder(moved, undefined);
    github.scope.get(`${REPO_PATH}/git/trees/${moved}`).reply(200, { sha: moved, tree: [{ path: "policies", type: "tree", sha: "p".repeat(40) }], truncated: false });
    await app.receive("pull_request", pullRequestEvent("synchronize"));
    const shown = showing();
    expect(Object.keys(shown).sort()).toEqual(["compliance/policy", "compliance/production", "compliance/staging"]);
    for (const [conclusion, title] of Object.values(shown)) {
      expect(conclusion).toBe("failure");
      expect(title).toContain("the commit's git tree holds it");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 7. A check GitHub refused

describe("a check GitHub refuses is retried (finding 7)", () => {
  test("the evaluation runs again later, with a fresh token, and the result is posted", async () => {
    const posted: string[] = [];
    let refuse = 1;
    nock(API)
      .persist()
      .post(`${REPO_PATH}/check-runs`)
      .reply((_uri, body) => {
        const check = body as { name: string; conclusion?: string; status: string; head_sha: string; output: { title: string; summary: string } };
        if (refuse > 0 && check.name === "compliance/production" && check.conclusion === "success") {
          refuse -= 1;
          posted.push(`${check.name}:refused`);
          return [502, "Bad Gateway"];
        }
        posted.push(`${check.name}:${check.conclusion ?? check.status}`);
        github.checks.push(check as never);
        return [201, { id: posted.length, app: { id: 1 } }];
      });
    github.coldEvaluation(POLICIES, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(posted.slice(0, 2)).toEqual(["compliance/production:refused", "compliance/production:failure"]);
    expect(app.clock.pending).toEqual([NOW + 10_000]);

    github.warmEvaluation(approved);
    app.clock.advanceTo(NOW + 10_000);
    await app.gate.later.idle();
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "success" });
    // It all went through: no further retry.
    expect(app.clock.pending).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 8. A re-run whose PR cannot be read

test("a re-run whose PR cannot be read fails on the re-run's commit (finding 8)", async () => {
  github.acceptChecks();
  github.policies(POLICIES);
  github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(502, "");
  await app.receive("check_run", checkRunEvent());
  const shown = showing();
  expect(Object.keys(shown).sort()).toEqual(["compliance/policy", "compliance/production", "compliance/staging"]);
  expect(Object.values(shown).every(([conclusion, title]) => conclusion === "failure" && title.includes("reading #42"))).toBe(true);
});

// ---------------------------------------------------------------------------------------------
// 9. A PR that removes every policy

describe("compliance/policy on a PR that takes the policies away (finding 9)", () => {
  test("fails when the head has no policy file left and the base has some", async () => {
    github.acceptChecks();
    github.coldEvaluation(POLICIES, {
      files: [
        { filename: "policies/production.yml", status: "removed" },
        { filename: "policies/staging.yml", status: "removed" },
      ],
    });
    github.folder(HEAD, undefined);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.last("compliance/policy")).toMatchObject({
      conclusion: "failure",
      output: { title: "This pull request removes every policy: the repository would no longer be gated" },
    });
  });

  test("warns, without failing, when no policy covers policies/**", async () => {
    github.acceptChecks();
    const stricter = PRODUCTION.replace("approvals: 1", "approvals: 2");
    github.coldEvaluation(POLICIES, { files: [{ filename: "policies/production.yml", status: "modified" }] });
    github.folder(HEAD, { "production.yml": stricter, "staging.yml": STAGING }, { blobs: false });
    github.blob(stricter).blob(STAGING);
    await app.receive("pull_request", pullRequestEvent("opened"));
    const check = github.last("compliance/policy");
    expect(check?.conclusion).toBe("success");
    expect(check?.output.summary).toContain("### Warnings");
    expect(check?.output.summary).toContain("no policy covers policies/\\*\\*");
  });
});

// ---------------------------------------------------------------------------------------------
// 10. More than 1,000 entries in policies/

test("a policy folder of 1,000 entries or more is read through the git trees API (finding 10)", async () => {
  github.acceptChecks();
  github.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { object: { sha: TIP } }, { etag: `W/"tip-${TIP}"` });
  const filler = Array.from({ length: 1000 }, (_, i) => ({ type: "file", path: `policies/notes-${i}.md`, sha: String(i).padStart(40, "0") }));
  // The contents API stops at 1,000 entries: the policy files are not among them.
  github.scope.get(`${REPO_PATH}/contents/policies`).query({ ref: TIP }).reply(200, filler);
  const folder = "p".repeat(40);
  github.scope.get(`${REPO_PATH}/git/trees/${TIP}`).reply(200, { sha: TIP, tree: [{ path: "clusters", type: "tree", sha: "1".repeat(40) }, { path: "policies", type: "tree", sha: folder }], truncated: false });
  github.scope.get(`${REPO_PATH}/git/trees/${folder}`).reply(200, {
    sha: folder,
    tree: [
      ...filler.map((f) => ({ path: f.path.slice("policies/".length), type: "blob", sha: f.sha })),
      { path: "production.yml", type: "blob", sha: blobSha(PRODUCTION) },
      { path: "staging.yml", type: "blob", sha: blobSha(STAGING) },
      { path: "tests", type: "tree", sha: "2".repeat(40) },
    ],
    truncated: false,
  });
  github.blob(PRODUCTION).blob(STAGING);
  github.pull().lists();
  await app.receive("pull_request", pullRequestEvent("opened"));
  expect(github.last("compliance/production")).toMatchObject({ status: "in_progress" });
  expect(github.scope.isDone()).toBe(true);
});

// ---------------------------------------------------------------------------------------------
// 11. Checks GitHub keys by commit, and this process's memory of what it posted

describe("what GitHub shows for a commit is never looser than what any PR it heads deserves (finding 11)", () => {
  test("two PRs with one head: each evaluation posts the strictest verdict of both", async () => {
    github.acceptChecks();
    // #42 into main, approved by alice: production passes for #42.
    github.coldEvaluation(POLICIES, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.last("compliance/production")?.conclusion).toBe("success");

    // #43, the same branch into main, with no approval: production waits.
    github.tipUnchanged(1).pull({ number: 43 }).lists({ number: 43 });
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("opened", { number: 43 }));
    expect(github.last("compliance/production")).toMatchObject({ status: "in_progress", external_id: "pull:43" });

    // A label on #42: its own verdict is success, but the commit is #43's head too.
    github.warmEvaluation(approved);
    github.scope.get(`${REPO_PATH}/pulls/43`).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("labeled"));
    const production = github.last("compliance/production");
    expect(production).toMatchObject({ status: "in_progress", external_id: "pull:43" });
    expect(production?.output.summary).toContain("This commit is the head of several pull requests");
    expect(github.last("compliance/staging")).toMatchObject({ conclusion: "success" });
  });

  test("a sibling that has moved on is forgotten: its old verdict no longer holds the commit", async () => {
    github.acceptChecks();
    github.coldEvaluation(POLICIES, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.tipUnchanged(1).pull({ number: 43 }).lists({ number: 43 });
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(304, "");
    await app.receive("pull_request", pullRequestEvent("opened", { number: 43 }));

    // #43 got a new commit (its own event may have gone to another replica).
    github.warmEvaluation(approved);
    github.scope.get(`${REPO_PATH}/pulls/43`).reply(200, pullRequest({ number: 43, head: "4".repeat(40) }), { etag: '"pull-43-moved"' });
    await app.receive("pull_request", pullRequestEvent("labeled"));
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "success", external_id: `pull:${NUMBER}` });
  });

  test("an unchanged wait is not written again: the check store knows what this app last wrote there (issue 10)", async () => {
    github.acceptChecks();
    github.coldEvaluation();
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.reset();
    github.warmEvaluation();
    await app.receive("pull_request", pullRequestEvent("labeled"));
    // Nothing any check shows changed: no write. (Evaluations of one PR never run at once, so no
    // stale result can have landed since; see check-runs.ts.)
    expect(github.checks).toEqual([]);
    // Free: the base tip once (one view of it per evaluation), and the PR re-read once its lists are (its head did not move).
    expect(github.cost()).toEqual({ reads: 4, free: 2, writes: 0 });
  });
});
