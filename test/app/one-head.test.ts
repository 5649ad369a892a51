// Facts from one head (SPEC §3.3): a push while a PR's lists are read never gets a verdict posted
// with another commit's files; a head that keeps moving fails closed on the newest head.
import { MAX_GATHERINGS } from "../../src/app/one-head.js";
import { FakeGitHub, HEAD, NUMBER, POLICIES, REPO_PATH, commit, pullRequestEvent, review, type TestApp, useTestApp } from "./helpers.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

const H2 = "2".repeat(40);
const H3 = "3".repeat(40);
const H4 = "4".repeat(40);
const STAGING_FILE = { filename: "clusters/staging/app.yaml", status: "modified" };
const PRODUCTION_FILE = { filename: "clusters/production/api.yaml", status: "modified" };

/** The PR as GitHub answers a re-read after it moved: a new head, a new `updated_at`, a new ETag. */
function movedTo(head: string, minute: number): void {
  github.pull({ head, updatedAt: `2026-11-25T10:${String(minute).padStart(2, "0")}:00Z` });
}

/**
 * One gathering's lists (files, reviews, commits) at a head, without the confirming re-read. The
 * base tip is not read again for it: an evaluation has one view of the base tip, read first.
 */
function listsAt(head: string, files: unknown[]): void {
  github.listsOnly({ files, reviews: [review(1, "bob", "APPROVED", head)], commits: [commit(head, "carol", "carol")] });
}

test("the head moves between the file listing and the post: the checks go on the new head only, from its files", async () => {
  // Read at HEAD, which changes staging only (bob approved it) …
  github.policies(POLICIES).pull();
  listsAt(HEAD, [STAGING_FILE]);
  // … but by the time the lists are read the PR is at H2, which changes production too.
  movedTo(H2, 1);
  listsAt(H2, [STAGING_FILE, PRODUCTION_FILE]);
  github.unmoved();
  await app.receive("pull_request", pullRequestEvent("synchronize"));

  expect(github.checks.length).toBeGreaterThan(0);
  expect(github.checks.every((c) => c.head_sha === H2)).toBe(true);
  const shown = Object.fromEntries(github.checks.map((c) => [c.name, [c.conclusion ?? c.status, c.output.title]]));
  expect(shown).toEqual({
    // H2's production file: without it, production would have been "not affected" — on H2, a commit it does not describe.
    "compliance/production": ["in_progress", "Waiting for 1 approval from @alice"],
    "compliance/staging": ["success", expect.any(String)],
    "compliance/policy": ["success", "No policy changes"],
  });
  expect(github.scope.isDone()).toBe(true);
});

test("a PR changed while read, even back to the same head, is read again: its updated_at moved", async () => {
  github.policies(POLICIES).pull();
  listsAt(HEAD, [STAGING_FILE]);
  // X → Y → X: the same head again, but the lists read meanwhile may be Y's.
  github.pull({ updatedAt: "2026-11-25T10:05:00Z" });
  listsAt(HEAD, [PRODUCTION_FILE]);
  github.unmoved();
  await app.receive("pull_request", pullRequestEvent("synchronize"));
  expect(github.last("compliance/production")).toMatchObject({ head_sha: HEAD, status: "in_progress" });
  expect(github.scope.isDone()).toBe(true);
});

test("a head that keeps moving fails closed on the newest head it read; that head's own event then judges it", async () => {
  github.policies(POLICIES).pull();
  const heads = [HEAD, H2, H3, H4];
  for (let i = 0; i < MAX_GATHERINGS; i += 1) {
    listsAt(heads[i] as string, [PRODUCTION_FILE]);
    movedTo(heads[i + 1] as string, i + 1);
  }
  await app.receive("pull_request", pullRequestEvent("synchronize"));

  // Never silence where a check is expected, never a verdict from one head's facts on another.
  expect(github.checks.map((c) => [c.name, c.head_sha, c.conclusion])).toEqual([
    ["compliance/policy", H4, "failure"],
    ["compliance/production", H4, "failure"],
    ["compliance/staging", H4, "failure"],
  ]);
  expect(github.last("compliance/production")?.output.title).toContain(`changed while its files and reviews were read, ${MAX_GATHERINGS} times in a row`);
  expect(github.last("compliance/production")?.output.title).toContain("4444444");
  expect(github.scope.isDone()).toBe(true);

  // H4's synchronize event: the push that moved it last, evaluated like any other.
  github.reset();
  github.tipUnchanged(1);
  github.scope.get(`${REPO_PATH}/pulls/${NUMBER}`).matchHeader("if-none-match", /pull-/).reply(304, "");
  listsAt(H4, [PRODUCTION_FILE]);
  github.unmoved();
  await app.receive("pull_request", pullRequestEvent("synchronize", { head: H4 }));
  expect(github.last("compliance/production")).toMatchObject({ head_sha: H4, status: "in_progress", output: { title: "Waiting for 1 approval from @alice" } });
  expect(github.scope.isDone()).toBe(true);
});

test("a PR closed while its lists were read is left alone: nothing is posted", async () => {
  github.policies(POLICIES).pull();
  listsAt(HEAD, [PRODUCTION_FILE]);
  github.pull({ state: "closed", updatedAt: "2026-11-25T10:09:00Z" });
  await app.receive("pull_request", pullRequestEvent("synchronize"));
  expect(github.checks).toEqual([]);
  expect(github.scope.isDone()).toBe(true);
});
