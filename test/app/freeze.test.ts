// A freeze window that opens or closes while a PR is open flips its check without an event (SPEC §3.1).
import nock from "nock";
import { FreezeTimers, MAX_TIMER_DELAY, NODE_TIMERS } from "../../src/app/freeze-timers.js";
import {
  FakeGitHub,
  HEAD,
  MERGE_GROUP_SHA,
  ManualClock,
  NOW,
  POLICIES,
  STAGING,
  mergeGroupEvent,
  policyYaml,
  pullRequestEvent,
  review,
  startApp,
} from "./helpers.js";

const HOUR = 3_600_000;
const FROZEN = {
  "production.yml": policyYaml(
    "production",
    "{ users: [alice] }",
    ["freeze:", "  - name: release freeze", `    from: ${new Date(NOW + HOUR).toISOString()}`, `    until: ${new Date(NOW + 2 * HOUR).toISOString()}`].join("\n"),
  ),
  "staging.yml": STAGING,
};
const approved = { reviews: [review(1, "alice", "APPROVED")] };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("freeze timers in the app", () => {
  test("the check flips when the window opens and again when it closes, with no event", async () => {
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp();
    github.coldEvaluation(FROZEN, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "success" });
    expect(app.clock.pending).toEqual([NOW + HOUR]);

    // 11:00: the window opens. The timer gets a fresh installation token and re-evaluates.
    github.warmEvaluation(approved);
    app.clock.advanceTo(NOW + HOUR);
    await app.gate.later.idle();
    expect(github.last("compliance/production")).toMatchObject({ head_sha: HEAD, conclusion: "failure" });
    expect(github.last("compliance/production")?.output.title).toMatch(/release freeze/);
    expect(app.clock.pending).toEqual([NOW + 2 * HOUR]);

    // 12:00: it closes.
    github.warmEvaluation(approved);
    app.clock.advanceTo(NOW + 2 * HOUR);
    await app.gate.later.idle();
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "success" });
    expect(app.clock.pending).toEqual([]);
    expect(github.scope.isDone()).toBe(true);
    expect(github.unmatched).toEqual([]);
    github.close();
  });

  test("closing the PR stops its timers, merge groups' included", async () => {
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp();
    github.coldEvaluation(FROZEN, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    github.warmEvaluation(approved);
    await app.receive("merge_group", mergeGroupEvent());
    expect(github.last("compliance/production")).toMatchObject({ head_sha: MERGE_GROUP_SHA });
    expect(app.clock.pending).toEqual([NOW + HOUR, NOW + HOUR]);

    await app.receive("pull_request", pullRequestEvent("closed"));
    expect(app.clock.pending).toEqual([]);
    expect(app.gate.freezeTimers?.size).toBe(0);
    github.close();
  });

  test("an environment the PR does not touch sets no timer", async () => {
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp();
    github.coldEvaluation(FROZEN, { files: [{ filename: "clusters/staging/api.yaml", status: "modified" }] });
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(app.clock.pending).toEqual([]);
    github.close();
  });

  test("COMPLIANCE_FREEZE_TIMERS=off keeps none", async () => {
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp({ config: { freezeTimers: false } });
    github.coldEvaluation(FROZEN, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(app.gate.freezeTimers).toBeUndefined();
    expect(app.clock.pending).toEqual([]);
    github.close();
  });

  test("the clock of a fresh evaluation is now, so a window already open blocks at once", async () => {
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp({ clock: new ManualClock(NOW + 90 * 60_000) });
    github.coldEvaluation(FROZEN, approved);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "failure" });
    expect(app.clock.pending).toEqual([NOW + 2 * HOUR]);
    github.close();
  });

  test("the usual policies have no freeze: no timer", async () => {
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp();
    github.coldEvaluation(POLICIES);
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(app.clock.pending).toEqual([]);
    github.close();
  });
});

describe("FreezeTimers", () => {
  test("a deadline beyond setTimeout's range is reached in hops, never fired early", () => {
    const clock = new ManualClock(0);
    const timers = new FreezeTimers(() => clock.now, clock);
    const fired: number[] = [];
    const at = 40 * 24 * HOUR;
    timers.schedule("a/b#1", at, () => fired.push(clock.now));
    expect(clock.pending).toEqual([MAX_TIMER_DELAY]);
    clock.advanceTo(MAX_TIMER_DELAY);
    expect(fired).toEqual([]);
    expect(clock.pending).toEqual([at]);
    clock.advanceTo(at);
    expect(fired).toEqual([at]);
    expect(timers.size).toBe(0);
  });

  test("rescheduling replaces, null cancels, and the number of timers is bounded", () => {
    const clock = new ManualClock(0);
    const timers = new FreezeTimers(() => clock.now, clock, 2);
    const fired: string[] = [];
    timers.schedule("a/b#1", 100, () => fired.push("first"));
    timers.schedule("a/b#1", 50, () => fired.push("second"));
    expect(clock.pending).toEqual([50]);
    expect(timers.schedule("a/b#2", 10, () => fired.push("two"))).toBe(true);
    expect(timers.schedule("a/b#3", 10, () => fired.push("three"))).toBe(false);
    timers.schedule("a/b#2", null, () => undefined);
    clock.advanceTo(1000);
    expect(fired).toEqual(["second"]);
    expect(timers.deadline("a/b#1")).toBeUndefined();
  });

  test("cancelPull cancels a PR and its merge groups, not another PR", () => {
    const clock = new ManualClock(0);
    const timers = new FreezeTimers(() => clock.now, clock);
    for (const key of ["a/b#1", "a/b#1@abc", "a/b#10", "a/b#1x"]) timers.schedule(key, 10, () => undefined);
    timers.cancelPull("a/b#1");
    expect(timers.size).toBe(2);
    timers.clear();
    expect(timers.size).toBe(0);
  });

  test("Node's timers are unref'd: a pending freeze edge does not keep the process alive", () => {
    const handle = NODE_TIMERS.set(() => undefined, 60_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    NODE_TIMERS.clear(handle);
  });
});
