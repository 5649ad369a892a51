// Merge groups of several pull requests (SPEC §3.1): a group's checks are the strictest of every PR
// it holds, found structurally (GitHub's events, the queue's refs proven by the commits), never from
// commit messages; commits of no PR are judged as a direct push; what cannot be attributed fails.
import { MAX_GROUP_COMMITS } from "../../src/app/merge-group.js";
import { FakeGitHub, POLICIES, REPO_PATH, TIP, mergeGroupEvent, replyPages, review, type TestApp, useTestApp } from "./helpers.js";
import { buildQueue, mockEntryFiles, mockQueueRefs, mockQueuedPull, mockRange, sha, type MergeMethod, type QueueEntry, type QueuedPull } from "./merge-queue.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

/** A queued PR changing one production file; approved by alice on its head unless told otherwise. */
function queued(number: number, options: { approved?: boolean; path?: string } = {}): QueuedPull {
  const head = sha(`head${number}`);
  return {
    number,
    head,
    author: "carol",
    files: [{ filename: options.path ?? `clusters/production/app-${number}.yaml`, status: "modified", sha: sha(`blob${number}`) }],
    reviews: options.approved === false ? [] : [review(number, "alice", "APPROVED", head)],
  };
}

/** name → [conclusion, title] of the last check of each name on `at`. */
function showing(at: string): Record<string, [string, string]> {
  const shown: Record<string, [string, string]> = {};
  for (const check of github.checks.filter((c) => c.head_sha === at)) shown[check.name] = [check.conclusion ?? check.status, check.output.title];
  return shown;
}

/** The merge_group event of the last entry, received by a process that saw none of the entries before it. */
async function lastEntryQueued(entries: readonly QueueEntry[]): Promise<QueueEntry> {
  const last = entries[entries.length - 1] as QueueEntry;
  await app.receive("merge_group", mergeGroupEvent({ number: last.number, sha: last.sha, baseSha: last.parent }));
  return last;
}

/**
 * Everything GitHub answers about a queue whose entries this process learns from the refs: the
 * comparison, the refs, and each PR's reads (an entry named by a ref proves itself: squash and
 * rebase entries by the files they change).
 */
function serveQueue(method: MergeMethod, pulls: readonly QueuedPull[], entries: readonly QueueEntry[]): void {
  const last = entries[entries.length - 1] as QueueEntry;
  github.policies(POLICIES);
  github.pull({ number: last.number, head: pulls[pulls.length - 1]?.head, author: "carol" });
  mockRange(github, entries, last.sha);
  mockQueueRefs(github, entries);
  pulls.forEach((pull, i) => {
    const entry = entries[i] as QueueEntry;
    const own = entry === last;
    if (!own && method !== "merge") mockEntryFiles(github, entry, pull.files);
    mockQueuedPull(github, pull, { read: !own, proof: !own && method !== "merge" });
  });
}

describe.each<MergeMethod>(["squash", "merge", "rebase"])("a group of three PRs (%s)", (method) => {
  test("whose middle PR lost its approval fails, and names it", async () => {
    const pulls = [queued(1), queued(2, { approved: false }), queued(3)];
    const entries = buildQueue(method, pulls);
    serveQueue(method, pulls, entries);
    const last = await lastEntryQueued(entries);

    expect(showing(last.sha)).toEqual({
      "compliance/production": ["failure", "#2 not approved: Waiting for 1 approval from @alice"],
      "compliance/staging": ["success", expect.any(String)],
      "compliance/policy": ["success", expect.any(String)],
    });
    const production = github.last("compliance/production");
    expect(production?.external_id).toBe("merge_group:3");
    expect(production?.output.summary).toContain("- #1 — passes");
    expect(production?.output.summary).toContain("- #2 — **not approved**: Waiting for 1 approval from @alice");
    expect(production?.output.summary).toContain("- #3 — passes");
    expect(github.scope.isDone()).toBe(true);
  });

  test("all approved passes", async () => {
    const pulls = [queued(1), queued(2), queued(3)];
    const entries = buildQueue(method, pulls);
    serveQueue(method, pulls, entries);
    const last = await lastEntryQueued(entries);
    expect(showing(last.sha)).toEqual({
      "compliance/production": ["success", "Every part of the merge group passes: #1, #2 and #3"],
      "compliance/staging": ["success", expect.any(String)],
      "compliance/policy": ["success", expect.any(String)],
    });
    expect(github.scope.isDone()).toBe(true);
  });
});

test("entries announced by earlier merge_group events need no refs: GitHub's own word says which PR each is", async () => {
  const pulls = [queued(1), queued(2, { approved: false }), queued(3)];
  const entries = buildQueue("squash", pulls);
  // The first two entries' events, each judged on its own group (#2's fails: it holds #1 and #2).
  github.policies(POLICIES);
  github.pull({ number: 1, head: pulls[0]?.head });
  mockQueuedPull(github, pulls[0] as QueuedPull, { read: false });
  await app.receive("merge_group", mergeGroupEvent({ number: 1, sha: entries[0]?.sha, baseSha: TIP }));
  expect(showing(entries[0]?.sha as string)["compliance/production"]).toEqual(["success", expect.any(String)]);

  github.tipUnchanged(1).pull({ number: 2, head: pulls[1]?.head });
  mockRange(github, entries, entries[1]?.sha as string);
  mockQueuedPull(github, pulls[0] as QueuedPull);
  mockQueuedPull(github, pulls[1] as QueuedPull, { read: false });
  await app.receive("merge_group", mergeGroupEvent({ number: 2, sha: entries[1]?.sha, baseSha: entries[0]?.sha }));
  expect(showing(entries[1]?.sha as string)["compliance/production"]).toEqual(["failure", "#2 not approved: Waiting for 1 approval from @alice"]);

  github.tipUnchanged(1).pull({ number: 3, head: pulls[2]?.head });
  mockRange(github, entries, entries[2]?.sha as string);
  for (const pull of pulls.slice(0, 2)) mockQueuedPull(github, pull);
  mockQueuedPull(github, pulls[2] as QueuedPull, { read: false });
  github.reset();
  await app.receive("merge_group", mergeGroupEvent({ number: 3, sha: entries[2]?.sha, baseSha: entries[1]?.sha }));
  expect(showing(entries[2]?.sha as string)["compliance/production"]).toEqual(["failure", "#2 not approved: Waiting for 1 approval from @alice"]);
  expect(github.answered.some((a) => a.path.includes("matching-refs"))).toBe(false);
  expect(github.scope.isDone()).toBe(true);
});

test("a commit in the group that belongs to no PR and touches production fails, judged as a direct push", async () => {
  const pulls = [queued(1), queued(3)];
  const [first, third] = buildQueue("squash", pulls);
  if (!first || !third) throw new Error("no queue");
  // Between #1's entry and #3's sits a commit no event and no ref names: it belongs to no PR.
  const stray: QueueEntry = { number: 0, sha: sha("stray"), parent: first.sha, commits: [{ ...(third.commits[0] as QueueEntry["commits"][number]), sha: sha("stray"), parents: [{ sha: first.sha, url: "", html_url: "" }] }] };
  const last: QueueEntry = { ...third, parent: stray.sha, commits: [{ ...(third.commits[0] as QueueEntry["commits"][number]), parents: [{ sha: stray.sha, url: "", html_url: "" }] }] };
  const entries = [first, stray, last];

  github.policies(POLICIES);
  github.pull({ number: 3, head: pulls[1]?.head });
  mockRange(github, entries, last.sha);
  mockQueueRefs(github, [first, last]);
  mockEntryFiles(github, first, pulls[0]?.files ?? []);
  mockQueuedPull(github, pulls[0] as QueuedPull, { proof: true });
  mockEntryFiles(github, stray, [{ filename: "clusters/production/db.yaml", status: "modified", sha: sha("evil") }]);
  mockQueuedPull(github, pulls[1] as QueuedPull, { read: false });
  await app.receive("merge_group", mergeGroupEvent({ number: 3, sha: last.sha, baseSha: stray.sha }));

  const [conclusion, title] = showing(last.sha)["compliance/production"] ?? [];
  expect(conclusion).toBe("failure");
  expect(title).toBe(`${stray.sha.slice(0, 7)} (no pull request) not approved: Waiting for 1 approval from @alice`);
  expect(github.last("compliance/production")?.output.summary).toContain("belongs to no pull request");
  expect(github.scope.isDone()).toBe(true);
});

describe("a group whose PRs cannot all be identified fails closed, naming the commits", () => {
  test("when a forged ref names an approved PR for another PR's entry, and the real ref is gone", async () => {
    // #2 (unapproved) is queued; someone deleted its ref and made one naming #5, which alice approved.
    const pulls = [queued(1), queued(2, { approved: false }), queued(3)];
    const entries = buildQueue("squash", pulls);
    const [first, second, last] = entries as [QueueEntry, QueueEntry, QueueEntry];
    const decoy = queued(5, { path: "clusters/production/harmless.yaml" });
    github.policies(POLICIES);
    github.pull({ number: 3, head: pulls[2]?.head });
    mockRange(github, entries, last.sha);
    mockQueueRefs(github, [first, { number: 5, parent: first.sha, sha: second.sha }, last]);
    mockEntryFiles(github, first, pulls[0]?.files ?? []);
    mockQueuedPull(github, pulls[0] as QueuedPull, { proof: true, judged: false });
    // The entry changes #2's file, which #5 does not: the ref is not believed.
    github.pull({ number: 5, head: decoy.head });
    mockEntryFiles(github, second, pulls[1]?.files ?? []);
    replyPages(github.scope, `${REPO_PATH}/pulls/5/files`, decoy.files);
    await app.receive("merge_group", mergeGroupEvent({ number: 3, sha: last.sha, baseSha: second.sha }));

    const shown = showing(last.sha);
    expect(Object.keys(shown).sort()).toEqual(["compliance/policy", "compliance/production", "compliance/staging"]);
    for (const [conclusion, title] of Object.values(shown)) {
      expect(conclusion).toBe("failure");
      expect(title).toContain("cannot tell which pull requests this merge group holds");
    }
    expect(github.last("compliance/production")?.output.title).toContain(`its change to clusters/production/app-2.yaml is not #5's (commit ${second.sha.slice(0, 7)})`);
    expect(github.scope.isDone()).toBe(true);
  });

  test("when the queue's refs disagree about an entry", async () => {
    const pulls = [queued(1), queued(2, { approved: false }), queued(3)];
    const entries = buildQueue("merge", pulls);
    const [first, second, last] = entries as [QueueEntry, QueueEntry, QueueEntry];
    github.policies(POLICIES);
    github.pull({ number: 3, head: pulls[2]?.head });
    mockRange(github, entries, last.sha);
    mockQueueRefs(github, [first, second, { number: 5, parent: first.sha, sha: second.sha }, last]);
    await app.receive("merge_group", mergeGroupEvent({ number: 3, sha: last.sha, baseSha: second.sha }));
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "failure", output: { title: expect.stringContaining(`the merge queue's refs disagree about ${second.sha.slice(0, 7)} (#2 on ${first.sha.slice(0, 7)}, #5 on ${first.sha.slice(0, 7)})`) } });
  });

  test(`when the group has more than ${MAX_GROUP_COMMITS} commits`, async () => {
    github.policies(POLICIES);
    github.pull({ number: 3 });
    const head = sha("big");
    github.scope
      .get(`${REPO_PATH}/compare/${TIP}...${head}`)
      .query(true)
      .times(3)
      .reply(200, { total_commits: MAX_GROUP_COMMITS + 1, merge_base_commit: { sha: TIP }, commits: [] }, { link: `<${REPO_PATH}?page=2>; rel="next"` });
    await app.receive("merge_group", mergeGroupEvent({ number: 3, sha: head, baseSha: sha("prev") }));
    expect(github.last("compliance/production")).toMatchObject({ conclusion: "failure", output: { title: expect.stringContaining(`more than the ${MAX_GROUP_COMMITS} this app attributes`) } });
  });
});

test("a group of one PR still waiting for approval fails: a queue must never wait on an approval", async () => {
  const pull = queued(7, { approved: false });
  const [entry] = buildQueue("squash", [pull]);
  if (!entry) throw new Error("no queue");
  github.policies(POLICIES);
  github.pull({ number: 7, head: pull.head });
  mockQueuedPull(github, pull, { read: false });
  await app.receive("merge_group", mergeGroupEvent({ number: 7, sha: entry.sha, baseSha: TIP }));
  expect(showing(entry.sha)["compliance/production"]).toEqual(["failure", "#7 not approved: Waiting for 1 approval from @alice"]);
  // Stacked on the base branch's tip: nothing more than the PR itself is read.
  expect(github.answered.some((a) => a.path.includes("/compare/") || a.path.includes("matching-refs"))).toBe(false);
});
