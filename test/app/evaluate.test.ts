// The evaluation as a use case over the ports' fake (test/fakes/ports.ts), as tables: what is
// posted when GitHub fails at each step (fail closed, SPEC §3.3), facts from one head, pull
// requests that share a head commit, checks superseded when the base changes, and merge groups.
import pino from "pino";
import { Evaluation } from "../../src/app/evaluate.js";
import { PolicyValidations, type ValidatingPolicySource } from "../../src/app/policy-check.js";
import type { EvaluationRequest } from "../../src/app/evaluation-memory.js";
import { RetryLater, type Ports } from "../../src/app/ports.js";
import { unattributedDelayMs } from "../../src/app/queue/github-wait.js";
import { requestFailed } from "../../src/github/client.js";
import { fencedPorts } from "../../src/app/queue/fence.js";
import { LeaseLost, type Lease } from "../../src/app/queue/jobs.js";
import { approval, FakeLater, FakeRepository, githubError, policyYaml, sha } from "../fakes/ports.js";

const log = pino({ level: "silent" });
const NOW = Date.parse("2026-11-25T10:00:00Z");

function evaluation(later = new FakeLater()): Evaluation {
  return new Evaluation({ later, clock: () => NOW, freezeTimers: true });
}

function request(number: number, extra: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return { owner: "acme", repo: "gitops", number, installationId: 1, force: false, reasons: ["test"], ...extra };
}

const USUAL = { "compliance/policy": "success", "compliance/production": "in_progress", "compliance/staging": "success" };

describe("fail closed: whatever GitHub fails at, failing checks say so, never a pass", () => {
  test.each<[string, (repo: FakeRepository) => void, Partial<EvaluationRequest>, Record<string, string>, string]>([
    ["nothing fails", () => {}, { base: "main" }, USUAL, ""],
    [
      "the PR cannot be read: the base branch's policies say which checks fail",
      (repo) => void repo.fail("pulls.read"),
      { base: "main", head: sha("h1") },
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
      "GitHub API error 502 while calling pulls.read",
    ],
    [
      "the base branch cannot be read and the event named none: compliance/policy fails, always known",
      (repo) => void repo.fail("policies.atBranchTip"),
      { head: sha("h1") },
      { "compliance/policy": "failure" },
      "GitHub API error 502 while calling policies.atBranchTip",
    ],
    [
      "the facts cannot be gathered",
      (repo) => void repo.fail("facts.gather"),
      { base: "main" },
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
      "GitHub API error 502 while calling facts.gather",
    ],
    [
      "a bug, not GitHub: said as an unexpected error, the stack trace never shown",
      (repo) => void repo.fail("facts.gather", new TypeError("boom")),
      { base: "main" },
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
      "unexpected error: boom",
    ],
    [
      "the head's policy files cannot be read: compliance/policy fails, the environments are judged",
      (repo) => {
        repo.pulls.get(1)?.files.push({ path: "policies/production.yml", status: "modified" });
        repo.fail("policies.headFiles");
      },
      { base: "main" },
      { "compliance/policy": "failure", "compliance/production": "in_progress", "compliance/staging": "success" },
      "cannot validate the policy files at the head",
    ],
    [
      "a check GitHub refuses is replaced by a failure that says why",
      (repo) => void repo.fail("checks.post:compliance/staging", githubError(422, "posting compliance/staging", "Invalid request"), 1),
      { base: "main" },
      { ...USUAL, "compliance/staging": "failure" },
      "could not report the result: GitHub API error 422 while posting compliance/staging: Invalid request",
    ],
  ])("%s", async (_title, arrange, extra, shown, said) => {
    const repo = new FakeRepository();
    repo.pull(1);
    arrange(repo);
    await evaluation().evaluate(request(1, extra), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual(shown);
    const failures = [...repo.shown(sha("h1")).values()].filter((check) => check.verdict === "failure");
    for (const check of failures) expect(`${check.output.title}\n${check.output.summary}`).toContain(said);
  });

  test("checks already on the commit fail too when nothing else says which are expected", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    await evaluation().evaluate(request(1, { base: "main" }), repo.ports(), log);
    repo.fail("policies.atBranchTip");
    // A fresh process knows nothing of what it posted: GitHub lists the checks on the commit.
    await evaluation().evaluate(request(1, { head: sha("h1") }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual({ "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" });
  });

  test("a refused check is evaluated again later, and a later evaluation that posts everything cancels that", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    const later = new FakeLater();
    const judge = evaluation(later);
    repo.fail("checks.post", githubError(502, "posting"), 1);
    await judge.evaluate(request(1, { base: "main" }), repo.ports(), log);
    expect([...later.retries.keys()]).toEqual(["retry:acme/gitops#1"]);
    expect(later.retries.get("retry:acme/gitops#1")?.job).toMatchObject({ kind: "evaluate", key: "acme/gitops#1", installationId: 1, payload: { retryAttempt: 1, force: false } });
    await judge.evaluate(request(1, { base: "main" }), repo.ports(), log);
    expect(later.retries.size).toBe(0);
  });

  test("a closed PR is not evaluated, and forgets its timers and retries", async () => {
    const repo = new FakeRepository();
    repo.pull(1, { state: "closed" });
    const later = new FakeLater();
    later.at("acme/gitops#1", { kind: "evaluate", key: "acme/gitops#1", payload: {} }, NOW + 1);
    later.retry("retry:acme/gitops#1", { kind: "evaluate", key: "acme/gitops#1", payload: {} }, 1);
    await evaluation(later).evaluate(request(1, { base: "main" }), repo.ports(), log);
    expect(repo.posted).toEqual([]);
    expect([later.timers.size, later.retries.size]).toEqual([0, 0]);
  });
});

describe("GitHub asks to wait: the evaluation waits and runs again, reporting nothing meanwhile", () => {
  const secondary = (): Error => githubError(403, "reading the base branch", "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");

  test.each<[string, () => Error, number]>([
    ["a secondary rate limit (403) without retry-after waits a minute", secondary, 60_000],
    ["a 429 waits a minute", () => githubError(429, "reading the base branch"), 60_000],
    // As the pacer throws it (github/pacing.ts): the wait GitHub said is the error's rateLimit.
    ["a retry-after GitHub said is honoured", () => requestFailed(403, "GET /fake", "reading the base branch", "secondary rate limit", { kind: "secondary", retryAfterMs: 42_000 }), 42_000],
  ])("%s", async (_title, error, waitMs) => {
    const repo = new FakeRepository();
    repo.pull(1);
    // Shared by every evaluation of the repository's PRs: each waits, none fails.
    repo.fail("policies.atBranchTip", error());
    const judge = evaluation();
    for (const number of [1, 1]) {
      const thrown = await judge.evaluate(request(number, { base: "main", head: sha("h1") }), repo.ports(), log).then(() => undefined, (e: unknown) => e);
      expect(thrown).toBeInstanceOf(RetryLater);
      expect((thrown as RetryLater).afterMs).toBe(waitMs);
      expect((thrown as RetryLater).job).toMatchObject({ kind: "evaluate", key: "acme/gitops#1", payload: { githubWaits: 1 } });
    }
    expect(repo.posted).toEqual([]);
  });

  test("after five waits it fails closed as for any error", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    repo.fail("policies.atBranchTip", secondary());
    await evaluation().evaluate(request(1, { base: "main", head: sha("h1"), githubWaits: 5 }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual({ "compliance/policy": "failure" });
  });

  test("any other error is not a wait: failing checks", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    repo.fail("policies.atBranchTip", githubError(403, "reading the base branch", "Resource not accessible by integration"));
    await evaluation().evaluate(request(1, { base: "main", head: sha("h1") }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual({ "compliance/policy": "failure" });
  });
});

describe("a failure with no commit to report it on is tried again, never left silent (SPEC §3.3)", () => {
  test("deliveries that disagreed on the head, and a PR that cannot be read: evaluated again later, with backoff", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    repo.fail("pulls.read", githubError(502, "reading the pull request"), 2);
    const judge = evaluation();
    // Coalesced deliveries that disagreed leave no head hint.
    const first = await judge.evaluate(request(1, { base: "main" }), repo.ports(), log).then(() => undefined, (e: unknown) => e);
    expect(first).toBeInstanceOf(RetryLater);
    expect((first as RetryLater).afterMs).toBe(10_000);
    const again = (first as RetryLater).job?.payload as EvaluationRequest;
    expect(again).toMatchObject({ unattributed: 1 });
    const second = await judge.evaluate(again, repo.ports(), log).then(() => undefined, (e: unknown) => e);
    expect((second as RetryLater).afterMs).toBe(30_000);
    expect(repo.posted).toEqual([]);
    // GitHub answers again: the PR is judged and its checks posted.
    await judge.evaluate((second as RetryLater).job?.payload as EvaluationRequest, repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual(USUAL);
  });

  test("the backoff reaches every 10 minutes and stops after a day", () => {
    expect([1, 2, 3, 4, 5, 6, 149].map((attempt) => unattributedDelayMs(attempt))).toEqual([10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 600_000]);
    expect(unattributedDelayMs(150)).toBeUndefined();
  });
});

describe("facts from one head (SPEC §3.3)", () => {
  test.each<[string, number, string, Record<string, string>]>([
    ["a push while the lists are read: read again, posted on the new head", 1, sha("h1b"), { ...USUAL, "compliance/production": "success" }],
    ["pushes on every reading: not evaluated, failed on the newest head", 3, sha("h1d"), { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" }],
  ])("%s", async (_title, pushes, shownOn, shown) => {
    const repo = new FakeRepository();
    // Alice approved the first new head (stale once the head moves again).
    repo.pull(1, { reviews: [approval("alice", sha("h1b"))] });
    const heads = [sha("h1b"), sha("h1c"), sha("h1d")];
    let pushed = 0;
    repo.beforeCall("facts.gather", () => {
      if (pushed < pushes) repo.push(1, heads[pushed++] as string);
    });
    await evaluation().evaluate(request(1, { base: "main" }), repo.ports(), log);
    expect(repo.verdicts(shownOn)).toEqual(shown);
    expect(repo.posted.every((run) => run.target.sha === shownOn)).toBe(true);
    if (pushes === 3) expect(repo.shown(shownOn).get("compliance/policy")?.output.title).toContain("3 times in a row");
  });
});

describe("pull requests that share a head commit show the strictest of their verdicts", () => {
  test.each<[string, (repo: FakeRepository) => void, Record<string, string>]>([
    ["the other is still open on that head: it waits for its approval", () => {}, { ...USUAL, "compliance/production": "in_progress" }],
    ["the other was closed: forgotten, this one's approval shows", (repo) => void repo.pull(2, { head: { sha: sha("h1") }, state: "closed" }), USUAL_APPROVED()],
    ["the other moved on: forgotten", (repo) => repo.push(2, sha("h2")), USUAL_APPROVED()],
  ])("%s", async (_title, change, shown) => {
    const repo = new FakeRepository();
    repo.pull(1, { reviews: [approval("alice", sha("h1"))] });
    repo.pull(2, { head: { sha: sha("h1") } });
    const judge = evaluation();
    await judge.evaluate(request(2, { base: "main" }), repo.ports(), log);
    change(repo);
    await judge.evaluate(request(1, { base: "main" }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual(shown);
    const production = repo.shown(sha("h1")).get("compliance/production");
    if (shown["compliance/production"] === "in_progress") {
      expect(production?.externalId).toBe("pull:2");
      expect(production?.output.summary).toContain("This commit is the head of several pull requests");
    }
  });

  function USUAL_APPROVED(): Record<string, string> {
    return { ...USUAL, "compliance/production": "success" };
  }
});

describe("checks a PR no longer gets are superseded, never left to pass", () => {
  const toDevelop = (repo: FakeRepository): void => {
    repo.tips.set("develop", sha("dev"));
    repo.pulls.get(1)!.pull.base.ref = "develop";
  };
  test.each<[string, (repo: FakeRepository) => void, "same process" | "another replica", Record<string, string>]>([
    [
      "retargeted to a branch without policies, in the process that posted them",
      toDevelop,
      "same process",
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
    ],
    [
      "retargeted, and another replica handles it: the checks with this PR's external id are listed",
      toDevelop,
      "another replica",
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
    ],
    [
      "retargeted to a branch only staging gates",
      (repo) => {
        toDevelop(repo);
        repo.policyFiles.set(sha("dev"), { "policies/staging.yml": policyYaml("staging", "{ users: [bob] }").replace("branches: [main]", "branches: [develop]") });
      },
      "another replica",
      { "compliance/policy": "success", "compliance/production": "failure", "compliance/staging": "success" },
    ],
  ])("%s", async (_title, retarget, where, shown) => {
    const repo = new FakeRepository();
    repo.pull(1);
    const first = evaluation();
    await first.evaluate(request(1, { base: "main" }), repo.ports(), log);
    retarget(repo);
    if (where === "same process") await first.evaluate(request(1, { base: "develop" }), repo.ports(), log);
    else await evaluation().evaluate(request(1, { base: "develop", baseChanged: true }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))).toEqual(shown);
    expect(repo.shown(sha("h1")).get("compliance/production")?.output.title).toMatch(/^Not evaluated: the base branch is now develop/);
  });
});

describe("merge groups: commits of no pull request are read for who wrote them", () => {
  const GROUP = sha("g");
  // production needs no approval, but blocks when it cannot tell who wrote a change
  const OPEN_BUT_NAMED = [
    "version: 1",
    "environment: production",
    "scope:",
    "  branches: [main]",
    "  paths: [clusters/production/**]",
    "rules:",
    "  - name: anyone",
    "    paths: [clusters/production/**]",
    "    approvals: 0",
    "options:",
    "  unlinked_commits: block",
  ].join("\n");

  test.each<[string, { account: { login: string } | null; email: string }, string]>([
    ["a writer linked to an account: the direct commit needs no approval and passes", { account: { login: "mallory" }, email: "mallory@acme.example" }, "success"],
    ["a writer linked to no account blocks under unlinked_commits: block", { account: null, email: "mallory@laptop" }, "failure"],
  ])("%s", async (_title, writer, verdict) => {
    const repo = new FakeRepository();
    repo.policyFiles.set(sha("tip"), { "policies/production.yml": OPEN_BUT_NAMED });
    repo.pull(1, { reviews: [approval("alice", sha("h1"))] });
    const direct = sha("direct");
    const git = (s: string) => ({ sha: s, author: writer.account, committer: writer.account, commit: { author: { name: "Mallory", email: writer.email }, committer: { name: "Mallory", email: writer.email } } });
    repo.ranges.set(`${sha("tip")}...${GROUP}`, [
      { sha: direct, parents: [sha("tip")], author: writer.account?.login ?? null, committer: writer.account?.login ?? null, git: git(direct) },
      { sha: GROUP, parents: [direct], author: "carol", committer: "web-flow" },
    ]);
    repo.landed.set(`${sha("tip")}...${direct}`, [{ path: "clusters/production/db.yaml", status: "modified", blob: sha("x") }]);
    await evaluation().evaluate(request(1, { base: "main", mergeGroupSha: GROUP, mergeGroupBase: direct }), repo.ports(), log);
    expect(repo.verdicts(GROUP)["compliance/production"]).toBe(verdict);
    if (verdict === "failure") expect(JSON.stringify(repo.shown(GROUP).get("compliance/production")?.output)).toContain("mallory@laptop");
  });
});

describe("merge groups: the strictest of everything the group holds, and a queue never waits", () => {
  const GROUP = sha("g");
  test.each<[string, (repo: FakeRepository) => Partial<EvaluationRequest>, Record<string, string>, string]>([
    ["one approved PR stacked on the base branch", () => ({ mergeGroupBase: sha("tip") }), { ...USUAL, "compliance/production": "success" }, ""],
    [
      "one PR still waiting for an approval: the group fails",
      (repo) => {
        repo.pulls.get(1)!.reviews = [];
        return { mergeGroupBase: sha("tip") };
      },
      { ...USUAL, "compliance/production": "failure" },
      "",
    ],
    [
      "a commit in the group belongs to no PR: judged as a direct push",
      (repo) => {
        const direct = sha("direct");
        repo.ranges.set(`${sha("tip")}...${GROUP}`, [
          { sha: direct, parents: [sha("tip")], author: "mallory", committer: "mallory" },
          { sha: GROUP, parents: [direct], author: "carol", committer: "web-flow" },
        ]);
        repo.landed.set(`${sha("tip")}...${direct}`, [{ path: "clusters/production/db.yaml", status: "modified", blob: sha("x") }]);
        return { mergeGroupBase: direct };
      },
      { ...USUAL, "compliance/production": "failure" },
      "belongs to no pull request",
    ],
    [
      "the queue names a PR that is not open: no verdict, the group fails",
      (repo) => {
        const entry = sha("e2");
        repo.pull(2, { state: "closed" });
        repo.ranges.set(`${sha("tip")}...${GROUP}`, [
          { sha: entry, parents: [sha("tip")], author: "carol", committer: "web-flow" },
          { sha: GROUP, parents: [entry], author: "carol", committer: "web-flow" },
        ]);
        repo.queueRefs.push({ number: 2, parent: sha("tip"), sha: entry });
        return { mergeGroupBase: entry };
      },
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
      "the queue names #2, which is not an open pull request into main",
    ],
    [
      "the group's own PR was closed meanwhile: the group fails and says so, never silence that stalls the queue",
      (repo) => {
        repo.pulls.get(1)!.pull.state = "closed";
        return { mergeGroupBase: sha("tip") };
      },
      { "compliance/policy": "failure", "compliance/production": "failure", "compliance/staging": "failure" },
      "#1 is closed",
    ],
  ])("%s", async (_title, arrange, shown, said) => {
    const repo = new FakeRepository();
    repo.pull(1, { reviews: [approval("alice", sha("h1"))] });
    const extra = arrange(repo);
    await evaluation().evaluate(request(1, { base: "main", mergeGroupSha: GROUP, ...extra }), repo.ports(), log);
    expect(repo.verdicts(GROUP)).toEqual(shown);
    expect(repo.posted.every((run) => run.target.externalId === "merge_group:1")).toBe(true);
    if (said !== "") expect(JSON.stringify([...repo.shown(GROUP).values()].map((c) => c.output))).toContain(said);
    // The PR's own head is not touched by its merge group.
    expect(repo.shown(sha("h1")).size).toBe(0);
  });
});

describe("compliance/policy of a head is validated once, however many events re-evaluate it", () => {
  test("a second evaluation of the same head's policy files answers from memory, with the same check", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    repo.pulls.get(1)?.files.push({ path: "policies/production.yml", status: "modified" });
    repo.policyFiles.set(sha("h1"), { "policies/production.yml": policyYaml("production", "{ users: [alice] }") + "\n# a new comment" });
    // The process's memory, as GitHubPorts hands it out with every policy source.
    const validations = new PolicyValidations();
    const ports = (): Ports => {
      const bare = repo.ports();
      const policies: ValidatingPolicySource = { ...bare.policies, validations };
      return { ...bare, policies };
    };
    await evaluation().evaluate(request(1, { base: "main" }), ports(), log);
    const first = repo.shown(sha("h1")).get("compliance/policy");
    expect(validations.ran).toBe(1);
    await evaluation().evaluate(request(1, { base: "main", force: true }), ports(), log);
    expect(validations.ran).toBe(1);
    expect(repo.shown(sha("h1")).get("compliance/policy")).toEqual(first);
    expect(first?.verdict).toBe("success");
  });
});

describe("a run that lost its PR (its lease: a stalled replica, a run past its deadline) says and records nothing", () => {
  const lost: Lease = { assertHeld: () => Promise.reject(new LeaseLost("the run of acme/gitops#1 no longer holds its key")) };

  test("its older plan is not left for a PR sharing the head to follow: a dismissal's pending stands", async () => {
    const repo = new FakeRepository();
    repo.pull(1, { reviews: [approval("alice", sha("h1"))] });
    repo.pull(2, { head: { sha: sha("h1") }, reviews: [approval("alice", sha("h1"))] });
    const later = new FakeLater();
    const judge = evaluation(later);
    // The newer run of #1, after the dismissal: it waits for an approval.
    const approvals = repo.pulls.get(1)!.reviews.splice(0);
    await judge.evaluate(request(1, { base: "main" }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))["compliance/production"]).toBe("in_progress");
    // The older run of #1, which read the approval and stalled: its lease is gone when it posts.
    repo.pulls.get(1)!.reviews.push(...approvals);
    later.timers.set("freeze|acme/gitops#1", { job: { kind: "evaluate", key: "acme/gitops#1", payload: {} }, at: NOW + 60_000 });
    const timers = new Map(later.timers);
    await expect(judge.evaluate(request(1, { base: "main" }), fencedPorts(repo.ports(), lost), log)).rejects.toBeInstanceOf(LeaseLost);
    repo.pulls.get(1)!.reviews.splice(0);
    expect(later.retries.size).toBe(0);
    expect(later.timers).toEqual(timers);
    // #2, approved, shares the head: the strictest of #1's (pending, the newer run's) and its own.
    await judge.evaluate(request(2, { base: "main" }), repo.ports(), log);
    expect(repo.verdicts(sha("h1"))["compliance/production"]).toBe("in_progress");
  });

  test("a failure it meets is not reported either: failing checks over the newer run's are its to write", async () => {
    const repo = new FakeRepository();
    repo.pull(1);
    repo.fail("facts.gather");
    await expect(evaluation().evaluate(request(1, { base: "main" }), fencedPorts(repo.ports(), lost), log)).rejects.toBeInstanceOf(LeaseLost);
    expect(repo.verdicts(sha("h1"))).toEqual({});
  });
});
