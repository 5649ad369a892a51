// Later: every job the app makes is plain data (what a durable queue stores), and the in-process
// implementation coalesces per key, retries with backoff, and runs jobs at an instant.
import pino from "pino";
import { appliedJob } from "../../src/app/applied-verify.js";
import { recordMergeJob } from "../../src/app/audit-merge.js";
import { auditPushJob } from "../../src/app/audit-push.js";
import { reconcileJob } from "../../src/app/audit-reconcile.js";
import { deploymentJob } from "../../src/app/deployment-gate.js";
import { enforceJob, SWEEP_JOB } from "../../src/app/enforce-service.js";
import { evaluationJob, mergeEvaluationRequests, type EvaluationRequest } from "../../src/app/evaluation-memory.js";
import { InProcessLater } from "../../src/app/later.js";
import { policyPushJob } from "../../src/app/policy-push.js";
import { QueueUnavailable, RetryLater, type Job } from "../../src/app/ports.js";
import { rerunJob } from "../../src/app/rerun.js";
import { pullRequestOf } from "../../src/github/pulls.js";
import { ManualClock, NOW, example, pushEvent } from "./helpers.js";

const log = pino({ level: "silent" });
const where = { owner: "acme", repo: "gitops", installationId: 77 };
const evaluation: EvaluationRequest = { ...where, number: 42, base: "main", head: "h".repeat(40), force: false, reasons: ["pull_request.opened"] };

test.each<[string, Job]>([
  ["an evaluation", evaluationJob(evaluation, { name: "event", id: "d1" })],
  ["a merge to record, with the PR as it merged", recordMergeJob({ ...where, number: 42, pull: pullRequestOf(example("pull_request", "closed")["pull_request"]), reason: "pull_request.closed" })],
  ["a push to audit", auditPushJob({ ...where, branch: "main", defaultBranch: "main", push: pushEvent() as never })],
  ["a policy push", policyPushJob({ ...where, branch: "main", firstPage: 1, attempt: 0 })],
  ["a re-run", rerunJob({ ...where, sha: "h".repeat(40), pullRequests: [{ number: 42, base: { ref: "main" } }], reason: "check_run.rerequested" }, "d2")],
  ["a reconcile", reconcileJob({ owner: "acme", repo: "gitops", installationId: 77 })],
  ["a deployment to answer", deploymentJob({ owner: "acme", repo: "gitops", defaultBranch: "main", runId: 7, environment: "production", sha: null, ref: null, event: null, sender: null, deploymentId: null, installationId: 77 })],
  ["an applied revision", appliedJob({ owner: "acme", repo: "gitops", defaultBranch: "main", sha: "a".repeat(40), reporter: { type: "status", context: "flux", id: 1, creator: "flux", target_url: null }, reportedAt: "2026-11-25T10:00:00Z" })],
  ["a repository to enforce", enforceJob({ owner: "acme", repo: "gitops", trigger: { kind: "setup", reason: "installation", at: "2026-11-25T10:00:00Z" } }, "d3")],
  ["the enforcement sweep", SWEEP_JOB],
])("%s is plain data: it survives JSON as it is", (_what, job) => {
  expect(JSON.parse(JSON.stringify(job))).toEqual(job);
  expect(typeof job.kind).toBe("string");
  expect(typeof job.key).toBe("string");
});

test("jobs of one key run one at a time; those that arrive meanwhile are folded into one more run", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log });
  const runs: EvaluationRequest[] = [];
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  made.handle("evaluate", {
    run: async (job) => {
      runs.push(job.payload as EvaluationRequest);
      if (runs.length === 1) await held;
    },
    merge: (pending, newer) => ({ ...newer, payload: mergeEvaluationRequests(pending.payload as EvaluationRequest, newer.payload as EvaluationRequest) }),
  });
  await made.enqueue(evaluationJob(evaluation));
  await made.enqueue(evaluationJob({ ...evaluation, reasons: ["labeled"] }));
  await made.enqueue(evaluationJob({ ...evaluation, force: true, reasons: ["check_run.rerequested"] }));
  release();
  await made.idle();
  expect(runs.map((r) => [r.reasons, r.force])).toEqual([
    [["pull_request.opened"], false],
    [["labeled", "check_run.rerequested"], true],
  ]);
});

test("a retry runs after its backoff, a newer one replaces it, and a cancelled one never runs", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log, retryDelaysMs: [1000, 2000] });
  const runs: string[] = [];
  made.handle("evaluate", { run: async (job) => void runs.push(job.key) });
  expect(made.retry("retry:a", evaluationJob({ ...evaluation, number: 1 }), 1)).toBe(true);
  expect(made.retry("retry:a", evaluationJob({ ...evaluation, number: 2 }), 2)).toBe(true);
  expect(made.pendingRetry("retry:a")).toBe(2);
  expect(made.retry("retry:b", evaluationJob({ ...evaluation, number: 3 }), 3)).toBe(false);
  made.retry("retry:c", evaluationJob({ ...evaluation, number: 4 }), 1);
  made.cancelRetry("retry:c");
  clock.advanceTo(NOW + 1500);
  await made.idle();
  expect(runs).toEqual([]);
  clock.advanceTo(NOW + 2000);
  await made.idle();
  expect(runs).toEqual(["acme/gitops#2"]);
});

test("a job at an instant runs then; one that cannot start runs again with backoff, five times at most, then is dropped", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log });
  let attempts = 0;
  made.handle("evaluate", {
    run: async () => {
      attempts += 1;
      throw new Error("no installation token");
    },
  });
  expect(made.at("acme/gitops#42", evaluationJob(evaluation), NOW + 3_600_000)).toBe(true);
  clock.advanceTo(NOW + 3_600_000);
  await made.idle();
  expect(attempts).toBe(1);
  // 10 s, 1 min, 5 min, 15 min, 30 min
  for (const after of [10_000, 60_000, 300_000, 900_000, 1_800_000]) {
    clock.advanceTo(clock.now + after);
    await made.idle();
  }
  expect(attempts).toBe(6);
  clock.advanceTo(clock.now + 86_400_000);
  await made.idle();
  expect(attempts).toBe(6);
  expect((await made.stats()).delayed).toBe(0);
});

test("a job of a kind nothing registered (in one process, a bug: no other version queues here) fails like any job: folded with the next of its kind, not thrown at the enqueue; dropped after the failure delays", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log, failureDelaysMs: [10_000] });
  const dropped: string[] = [];
  made.observe({ dropped: (kind) => void dropped.push(kind), refused: () => undefined });
  made.pause();
  await made.enqueue({ kind: "unheard-of", key: "acme/gitops#42", payload: { n: 1 } });
  await made.enqueue({ kind: "unheard-of", key: "acme/gitops#42", payload: { n: 2 } });
  expect((await made.stats()).waiting).toBe(1);
  await made.start();
  await made.idle();
  expect((await made.stats()).delayed).toBe(1);
  clock.advanceTo(clock.now + 10_000);
  await made.idle();
  expect(dropped).toEqual(["unheard-of"]);
  expect((await made.stats()).delayed).toBe(0);
});

test("a run that never settles holds its key no longer than its deadline (10 minutes by default): then it fails, and the PR's next event runs at once", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log, slots: { interactive: 1, bulk: 1 } });
  const runs: unknown[] = [];
  made.handle("evaluate", {
    run: async (job) => {
      runs.push(job.payload);
      if (runs.length === 1) await new Promise<never>(() => undefined);
    },
  });
  await made.enqueue({ ...evaluationJob(evaluation), payload: "hangs" });
  await made.enqueue({ ...evaluationJob(evaluation), payload: "next event" });
  await new Promise((resolve) => setImmediate(resolve));
  expect(runs).toEqual(["hangs"]);
  clock.advanceTo(clock.now + 599_999);
  await new Promise((resolve) => setImmediate(resolve));
  expect(runs).toEqual(["hangs"]);
  clock.advanceTo(clock.now + 1);
  await new Promise((resolve) => setImmediate(resolve));
  expect(runs).toEqual(["hangs", "next event"]);
  expect((await made.stats()).active).toBe(0);
  // The abandoned run's job comes back after the first failure delay (10 s).
  clock.advanceTo(clock.now + 10_000);
  await made.idle();
  expect(runs).toEqual(["hangs", "next event", "hangs"]);
});

test("cancelling a PR's timers cancels those of its merge groups, and only those", () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log });
  for (const key of ["acme/gitops#42", "acme/gitops#42@abc", "acme/gitops#420"]) made.at(key, evaluationJob(evaluation), NOW + 1000);
  made.cancelTimer("acme/gitops#42");
  expect(made.timers.size).toBe(2);
  made.cancelTimer("acme/gitops#42", true);
  expect(made.timers.deadline("acme/gitops#420")).toBe(NOW + 1000);
  expect(made.timers.size).toBe(1);
});


test("a full queue refuses new work only: a wait, a retry and a timer that come due then still run", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log, maxWaiting: 1, slots: { interactive: 1, bulk: 1 }, retryDelaysMs: [1000] });
  const runs: string[] = [];
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  made.handle("evaluate", {
    run: async (job) => {
      runs.push(job.key);
      // GitHub asks #1 to wait (its old check stays as it was): only the wait brings the evaluation back.
      if (job.key === "acme/gitops#1" && runs.length === 1) throw new RetryLater("secondary rate limit", 1000);
      if (job.key === "acme/gitops#2") await held;
    },
  });
  await made.enqueue(evaluationJob({ ...evaluation, number: 1 }));
  await Promise.resolve();
  await made.idle();
  made.retry("retry:acme/gitops#5", evaluationJob({ ...evaluation, number: 5 }), 1);
  made.at("acme/gitops#6", evaluationJob({ ...evaluation, number: 6 }), NOW + 1000);
  // #2 runs (held), #3 waits: the queue is full, and a new delivery is refused.
  await made.enqueue(evaluationJob({ ...evaluation, number: 2 }));
  await made.enqueue(evaluationJob({ ...evaluation, number: 3 }));
  await expect(made.enqueue(evaluationJob({ ...evaluation, number: 4 }))).rejects.toBeInstanceOf(QueueUnavailable);
  clock.advanceTo(NOW + 1000);
  release();
  await made.idle();
  expect([...runs].sort()).toEqual(["acme/gitops#1", "acme/gitops#1", "acme/gitops#2", "acme/gitops#3", "acme/gitops#5", "acme/gitops#6"]);
});

test("bulk work holds at most half of the waiting keys: a policy push that fills its half leaves room for people's events, and a bulk job that comes due is still taken", async () => {
  const clock = new ManualClock();
  const made = new InProcessLater({ clock: () => clock.now, timers: clock, log, maxWaiting: 6, slots: { interactive: 1, bulk: 1 } });
  const runs: string[] = [];
  made.handle("evaluate", { run: async (job) => void runs.push(job.key) });
  // Nothing starts: every job enqueued waits.
  made.pause();
  const bulk = (number: number): Job => ({ ...evaluationJob({ ...evaluation, number }), priority: "bulk" });
  for (const number of [1, 2, 3]) await made.enqueue(bulk(number));
  // One repository's policy push re-evaluating more open PRs: refused past its half.
  await expect(made.enqueue(bulk(4))).rejects.toBeInstanceOf(QueueUnavailable);
  // A PR already waiting folds in: nothing more waits.
  await made.enqueue(bulk(3));
  // A person's event on a PR waiting as bulk work moves it to the interactive line: bulk has room again.
  await made.enqueue(evaluationJob({ ...evaluation, number: 3 }));
  await made.enqueue(bulk(5));
  await expect(made.enqueue(bulk(7))).rejects.toBeInstanceOf(QueueUnavailable);
  // Another organisation's reviews are taken, up to the whole bound.
  for (const number of [10, 11]) await made.enqueue({ ...evaluationJob({ ...evaluation, owner: "other", number }), installationId: 88 });
  await expect(made.enqueue(evaluationJob({ ...evaluation, owner: "other", number: 12 }))).rejects.toBeInstanceOf(QueueUnavailable);
  // Bulk work the queue held (a timer that comes due) is taken however full.
  made.at("acme/gitops#6", bulk(6), NOW + 1000);
  clock.advanceTo(NOW + 1000);
  expect((await made.stats()).waiting).toBe(7);
  await made.start();
  await made.idle();
  expect(runs.sort()).toEqual(["acme/gitops#1", "acme/gitops#2", "acme/gitops#3", "acme/gitops#5", "acme/gitops#6", "other/gitops#10", "other/gitops#11"]);
  expect((await made.stats()).waiting).toBe(0);
});
