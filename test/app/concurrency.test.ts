// Events for one PR arrive together and out of order: its evaluations never overlap, a burst
// costs one more evaluation (not one per event), and the last check shows the latest facts.
import nock from "nock";
import pino from "pino";
import { mapConcurrently } from "../../src/app/concurrency.js";
import {
  FakeGitHub,
  NUMBER,
  REPO_PATH,
  POLICIES,
  commit,
  pullRequestEvent,
  replyPages,
  review,
  reviewEvent,
  startApp,
} from "./helpers.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("a burst of 10 deliveries for one PR", () => {
  test("is evaluated twice, never concurrently, and the final checks reflect the latest facts", async () => {
    /** "start" when an evaluation reads the PR, "end" when it logs its result (after its last write). */
    const marks: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void (JSON.parse(line).msg === "evaluated acme/gitops#42" && marks.push("end")) });
    const github = new FakeGitHub().acceptChecks();
    const app = await startApp({ log });

    // Evaluation 1 sees no approval; by evaluation 2 alice has approved. The first answer is slow,
    // so every other delivery arrives while evaluation 1 runs.
    // Each evaluation reads the base tip once: evaluation 1 cold (200), evaluation 2 a 304 (below).
    github.policies(POLICIES);
    const pull = { number: NUMBER, state: "open", user: { login: "carol" }, head: { sha: "h".repeat(40) }, base: { ref: "main", repo: { default_branch: "main" } }, labels: [], changed_files: 1, commits: 1 };
    // Each evaluation reads the PR, and again once its lists are read, to confirm the head did not move.
    let reads = 0;
    github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).times(4).reply(() => {
      reads += 1;
      if (reads % 2 === 1) marks.push("start");
      return [200, pull];
    });
    const base = `${REPO_PATH}/pulls/${NUMBER}`;
    github.scope.get(`${base}/files`).query(true).delay(50).reply(200, [{ filename: "clusters/production/api.yaml", status: "modified" }]);
    github.scope.get(`${base}/reviews`).query(true).reply(200, []);
    replyPages(github.scope, `${base}/commits`, [commit("c1", "carol", "web-flow")]);
    github.tipUnchanged(1);
    replyPages(github.scope, `${base}/files`, [{ filename: "clusters/production/api.yaml", status: "modified" }]);
    replyPages(github.scope, `${base}/reviews`, [review(1, "alice", "APPROVED")]);
    replyPages(github.scope, `${base}/commits`, [commit("c1", "carol", "web-flow")]);

    const deliveries: [string, Record<string, unknown>][] = [
      ["pull_request", pullRequestEvent("synchronize")],
      ["pull_request_review", reviewEvent("submitted")], // out of order: a review before the PR is "opened"
      ["pull_request", pullRequestEvent("opened")],
      ["pull_request", pullRequestEvent("labeled")],
      ["pull_request_review", reviewEvent("submitted", { reviewer: "bob" })],
      ["pull_request", pullRequestEvent("unlabeled")],
      ["pull_request_review", reviewEvent("edited")],
      ["pull_request", pullRequestEvent("ready_for_review")],
      ["pull_request_review", reviewEvent("dismissed", { reviewer: "dave" })],
      ["pull_request_review", reviewEvent("submitted")],
    ];
    await Promise.all(deliveries.map(([name, payload]) => app.receive(name, payload)));

    expect(marks).toEqual(["start", "end", "start", "end"]);
    const production = github.checks.filter((c) => c.name === "compliance/production");
    expect(production.map((c) => c.conclusion ?? c.status)).toEqual(["in_progress", "success"]);
    expect(github.scope.isDone()).toBe(true);
    expect(github.unmatched).toEqual([]);
    github.close();
  });
});

test("mapConcurrently keeps at most `limit` tasks in flight and runs every item", async () => {
  let inFlight = 0;
  let most = 0;
  const done: number[] = [];
  await mapConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    done.push(n);
    inFlight -= 1;
  });
  expect(most).toBe(3);
  expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  await mapConcurrently([], 4, async () => undefined);
});

test("mapConcurrently returns the results in the order of the items, whatever order they finish in", async () => {
  const delays = [5, 1, 3, 0, 2];
  const results = await mapConcurrently(delays, 2, async (ms, i) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return `${i}:${ms}`;
  });
  expect(results).toEqual(["0:5", "1:1", "2:3", "3:0", "4:2"]);
  expect(await mapConcurrently([7], 0, async (n) => n * 2)).toEqual([14]);
});

test("mapConcurrently rejects with the first failure and starts no item after it", async () => {
  const started: number[] = [];
  const run = mapConcurrently([1, 2, 3, 4, 5, 6], 2, async (n) => {
    started.push(n);
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (n === 2) throw new Error("GitHub could not be read");
    return n;
  });
  await expect(run).rejects.toThrow("GitHub could not be read");
  await new Promise((resolve) => setTimeout(resolve, 20));
  // 3 may have started before 2 failed (1 finished first); nothing after that.
  expect(started.filter((n) => n > 3)).toEqual([]);
});
