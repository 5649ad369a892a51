// Nothing lost (SPEC §4.4): a merged PR whose record could not be written gets it on a later
// event in its repository, without anyone asking; and the reconcile costs one listing per
// interval and repository once every recent merge is known to be recorded.
import type { InProcessLater } from "../../src/app/later.js";
import { createPrivateKey } from "node:crypto";
import nock from "nock";
import { AuditGitHub, MERGED_AT, MERGE_SHA, PARENT, listedMerged, mergedEvent, mergedPull, signingKeys } from "./audit-fake.js";
import { FakeGitHub, HEAD, NOW, NUMBER, POLICIES, REPO_PATH, capturingLogger, commit, pullRequestEvent, review, startApp, type TestApp } from "./helpers.js";

const keys = signingKeys();
const signingKey = createPrivateKey(keys.privateKey);
const approved = { reviews: [review(1, "alice", "APPROVED")], commits: [commit("c1", "carol", "web-flow")] };
const INTERVAL = 600_000;

let github: FakeGitHub;
let audit: AuditGitHub;
let app: TestApp;

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub().acceptChecks();
  audit = new AuditGitHub(github);
  audit.commit(MERGE_SHA, [PARENT, HEAD]);
});
afterEach(() => {
  (app.gate.later as InProcessLater).clear();
  github.close();
  nock.cleanAll();
  expect(github.unmatched).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

/** A delivery that evaluates nothing (a new title): what is left of it is the reconcile. */
const quietEvent = (): Record<string, unknown> => pullRequestEvent("edited", { number: 50, changes: { title: { from: "old" } } });

const paths = (): string[] => github.answered.map((a) => `${a.method} ${a.path.replace(REPO_PATH, "")}`);

test("the comment write fails once and no retry is left: the record appears after the next event in the repository", async () => {
  const { log, lines } = capturingLogger();
  app = await startApp({ config: { signingKey }, log });
  github.folder(PARENT, POLICIES).listsOnly(approved);
  audit.fail("POST", /\/issues\/42\/comments$/, 502);
  await app.receive("pull_request", mergedEvent());
  expect(audit.auditComments()).toHaveLength(0);
  expect(lines.some((l) => l["level"] === 50 && String(l["msg"]).includes("could not be written: trying again later"))).toBe(true);

  // The retries are lost (a restart, or all three failed): only the reconcile is left.
  (app.gate.later as InProcessLater).clear();
  audit.closedPulls = [listedMerged(), { ...listedMerged({ number: 41 }), merged_at: null }];
  github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(200, mergedPull());
  github.listsOnly(approved);

  // An event within the interval does not reconcile…
  app.clock.now = NOW + INTERVAL - 1;
  github.reset();
  await app.receive("pull_request", quietEvent());
  expect(github.answered).toEqual([]);

  // …the first one after it does: the PR merged without a record gets it.
  app.clock.now = NOW + INTERVAL;
  await app.receive("pull_request", quietEvent());
  expect(audit.auditComments()).toHaveLength(1);
  expect(paths()).toEqual([
    "GET /pulls?state=closed&sort=updated&direction=desc&per_page=100&page=1",
    `GET /issues/${NUMBER}/comments?since=${encodeURIComponent(MERGED_AT)}&per_page=100&page=1`,
    `GET /pulls/${NUMBER}`,
    `GET /git/commits/${MERGE_SHA}`,
    `GET /pulls/${NUMBER}/files?per_page=100&page=1`,
    `GET /pulls/${NUMBER}/reviews?per_page=100&page=1`,
    `GET /pulls/${NUMBER}/commits?per_page=100&page=1`,
    // Enforcement gaps: the issues the app opened since the merge (by author, newest first), and its tip's compliance/audit runs.
    `GET /issues?creator=${encodeURIComponent("compliance-gate[bot]")}&state=all&sort=created&direction=desc&since=${encodeURIComponent("2026-11-25T09:55:00.000Z")}&per_page=100&page=1`,
    "GET /commits/heads%2Fmain/check-runs?check_name=compliance%2Faudit&filter=all&per_page=100&page=1",
    "POST /graphql",
    "POST /check-runs",
    `POST /issues/${NUMBER}/comments`,
    `GET /issues/${NUMBER}/comments?since=${encodeURIComponent(MERGED_AT)}&per_page=100&page=1`,
  ]);
  expect(lines.find((l) => l["msg"] === "reconciled the audit records of recent merges")).toMatchObject({ listed: 2, candidates: 1, recorded: 1, failed: 0 });

  // Steady state: one listing per interval and repository.
  github.reset();
  app.clock.now = NOW + 2 * INTERVAL;
  await app.receive("pull_request", quietEvent());
  expect(paths()).toEqual(["GET /pulls?state=closed&sort=updated&direction=desc&per_page=100&page=1"]);
});

test("by default the first event after the app starts reconciles: records another replica wrote are found and remembered", async () => {
  app = await startApp({ config: { signingKey }, reconcileOnFirstEvent: true });
  audit.comments.push({ id: 9, issue: NUMBER, body: "<!-- compliance-gate:audit v1 -->\n```json\n{}\n```", user: { login: "compliance-gate[bot]", type: "Bot" }, html_url: "" });
  audit.closedPulls = [listedMerged()];
  await app.receive("pull_request", quietEvent());
  expect(paths()).toEqual(["GET /pulls?state=closed&sort=updated&direction=desc&per_page=100&page=1", "GET /app", `GET /issues/${NUMBER}/comments?since=${encodeURIComponent(MERGED_AT)}&per_page=100&page=1`]);

  // Known to be recorded: the next reconcile lists and stops.
  github.reset();
  app.clock.now = NOW + INTERVAL;
  await app.receive("pull_request", quietEvent());
  expect(paths()).toEqual(["GET /pulls?state=closed&sort=updated&direction=desc&per_page=100&page=1"]);
});

test("PRs merged before the window are not looked at; the listing stops at the first PR updated before it", async () => {
  app = await startApp({ config: { signingKey, reconcileWindowMs: 86_400_000 }, reconcileOnFirstEvent: true });
  const old = "2026-11-20T10:00:00Z";
  audit.closedPulls = [
    // Updated yesterday within the day, but merged five days ago: out of the window.
    { ...listedMerged({ number: 40, mergedAt: old }), updated_at: "2026-11-25T08:00:00Z" },
    { ...listedMerged({ number: 39, mergedAt: old }), updated_at: old },
  ];
  await app.receive("pull_request", quietEvent());
  expect(paths()).toEqual(["GET /pulls?state=closed&sort=updated&direction=desc&per_page=100&page=1"]);
});

test("a listing that fails is tried again a minute later, not at every event", async () => {
  const { log, lines } = capturingLogger();
  app = await startApp({ config: { signingKey }, reconcileOnFirstEvent: true, log });
  audit.fail("GET", /\/pulls\?/, 502);
  await app.receive("pull_request", quietEvent());
  expect(lines.some((l) => l["level"] === 40 && String(l["msg"]).startsWith("cannot list the recent merges"))).toBe(true);
  github.reset();
  await app.receive("pull_request", quietEvent());
  expect(github.answered).toEqual([]);
  app.clock.now = NOW + 60_000;
  await app.receive("pull_request", quietEvent());
  expect(paths()).toEqual(["GET /pulls?state=closed&sort=updated&direction=desc&per_page=100&page=1"]);
});

test("the merge delivery itself, when it starts a reconcile, is recorded once", async () => {
  app = await startApp({ config: { signingKey }, reconcileOnFirstEvent: true });
  audit.closedPulls = [listedMerged()];
  github.folder(PARENT, POLICIES).listsOnly(approved);
  await app.receive("pull_request", mergedEvent());
  expect(audit.auditComments()).toHaveLength(1);
  expect(github.answered.filter((a) => a.method === "POST" && a.path !== "/graphql").map((a) => a.path)).toEqual([`${REPO_PATH}/check-runs`, `${REPO_PATH}/issues/${NUMBER}/comments`]);
});
