// One view of a branch's tip per session (policy-source.ts, SESSION_TIP_MS): a session asks GitHub
// for a tip once, takes it as the tip for 10 s of the cache's clock, then asks again (conditionally);
// another session — another job, such as the re-evaluation a push starts — always asks for itself.
import nock from "nock";
import { GitHubSession } from "../../src/github/client.js";
import { GitHubPolicySource, MAX_SESSION_TIPS, PolicyCache, SESSION_TIP_MS } from "../../src/github/policy-source.js";
import { API, OWNER, REPO, REPO_PATH, TIP, fakePolicyReader, github, mockPolicies, policy, probotOctokit } from "./fake-github.js";

const NOW = Date.parse("2026-11-27T10:00:00Z");
const MOVED = "c".repeat(40);
const production = JSON.stringify(policy("production", { users: ["alice"] }));

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

let now: number;
let cache: PolicyCache;

beforeEach(() => {
  now = NOW;
  cache = new PolicyCache({ policy: fakePolicyReader(), clock: () => now });
});

/** One session (one job's ports): a policy source over its own counted GitHub session. */
function session(): { source: GitHubPolicySource; count: GitHubSession["count"] } {
  const gh = new GitHubSession(probotOctokit());
  return { source: new GitHubPolicySource(cache, gh, OWNER, REPO), count: gh.count };
}

/** GET git/ref/heads/{branch} as GitHub answers it: the ref, its commit, an ETag. */
function tipIs(scope: nock.Scope, sha: string, etag: string, branch = "main"): void {
  scope.get(`${REPO_PATH}/git/ref/heads%2F${encodeURIComponent(branch)}`).reply(
    200,
    { ref: `refs/heads/${branch}`, node_id: "REF_kwDOA", url: `${API}${REPO_PATH}/git/refs/heads/${branch}`, object: { sha, type: "commit", url: `${API}${REPO_PATH}/git/commits/${sha}` } },
    { etag },
  );
}

/** The same tip, asked with the ETag of the last read: a free 304 (only when that ETag is sent). */
function tipUnchanged(scope: nock.Scope, etag: string, branch = "main"): void {
  scope.get(`${REPO_PATH}/git/ref/heads%2F${encodeURIComponent(branch)}`).matchHeader("if-none-match", etag).reply(304, "", { etag });
}

test("within SESSION_TIP_MS a session's second look at a branch's policies asks GitHub nothing", async () => {
  const { source, count } = session();
  const scope = github();
  mockPolicies(scope, { policies: { "production.yml": production } });
  const first = await source.atBranchTip("main");
  expect(first).toMatchObject({ kind: "policies", commit: TIP });
  expect(scope.isDone()).toBe(true);
  const asked = count.total;

  // The evaluation's second look (one-head.ts gathers with the facts), up to 10 s later: no request.
  now = NOW + SESSION_TIP_MS;
  const second = await source.atBranchTip("main");
  expect(second).toEqual(first);
  expect(await source.tipOf("main")).toBe(TIP);
  expect(count.total).toBe(asked);
});

test("after SESSION_TIP_MS the same session asks again, conditionally: an unchanged tip is a free 304, a moved one is seen", async () => {
  const { source, count } = session();
  mockPolicies(github(), { policies: { "production.yml": production } });
  await source.atBranchTip("main");

  now = NOW + SESSION_TIP_MS + 1;
  const unchanged = github();
  tipUnchanged(unchanged, `W/"etag-${TIP}"`);
  expect(await source.atBranchTip("main")).toMatchObject({ kind: "policies", commit: TIP });
  expect(unchanged.isDone()).toBe(true);
  expect(count.notModified).toBe(1);

  // Taken as the tip for another 10 s from that read …
  now += SESSION_TIP_MS;
  expect(await source.tipOf("main")).toBe(TIP);
  // … and past them, a push that moved the branch meanwhile is what the session sees.
  now += 1;
  const moved = github();
  moved.get(`${REPO_PATH}/git/ref/heads%2Fmain`).matchHeader("if-none-match", `W/"etag-${TIP}"`).reply(200, { ref: "refs/heads/main", object: { sha: MOVED, type: "commit" } }, { etag: 'W/"moved"' });
  expect(await source.tipOf("main")).toBe(MOVED);
  expect(moved.isDone()).toBe(true);
});

test("two sessions each ask for the tip: a new job (a push's re-evaluation) sees a push another session has not", async () => {
  const a = session();
  mockPolicies(github(), { policies: { "production.yml": production } });
  expect(await a.source.tipOf("main")).toBe(TIP);

  // A second session over the same process-wide cache, a second later: it asks (a free 304 when unchanged).
  now = NOW + 1000;
  const b = session();
  const unchanged = github();
  tipUnchanged(unchanged, `W/"etag-${TIP}"`);
  expect(await b.source.tipOf("main")).toBe(TIP);
  expect(unchanged.isDone()).toBe(true);
  expect(b.count).toMatchObject({ total: 1, notModified: 1 });

  // The branch moves; a third session asks and sees it, while the first keeps its one view.
  now = NOW + 2000;
  const c = session();
  const moved = github();
  tipIs(moved, MOVED, 'W/"moved"');
  expect(await c.source.tipOf("main")).toBe(MOVED);
  expect(moved.isDone()).toBe(true);
  expect(await a.source.tipOf("main")).toBe(TIP);
  expect(a.count.total).toBe(1);
});

test("a tip GitHub failed to give is not remembered: the session's next look asks again", async () => {
  const { source } = session();
  github().get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(502, "");
  await expect(source.tipOf("main")).rejects.toThrow(/error 502 while reading the tip of base branch main/);
  const scope = github();
  tipIs(scope, TIP, `W/"etag-${TIP}"`);
  expect(await source.tipOf("main")).toBe(TIP);
  expect(scope.isDone()).toBe(true);
});

test(`a session remembers the tips of ${MAX_SESSION_TIPS} branches at most: past them it forgets, and asks again`, async () => {
  const { source, count } = session();
  const branches = Array.from({ length: MAX_SESSION_TIPS + 1 }, (_, i) => `release/${i}`);
  const scope = github();
  for (const branch of branches) tipIs(scope, TIP, `W/"${branch}"`, branch);
  for (const branch of branches) await source.tipOf(branch);
  expect(count.total).toBe(branches.length);
  // The last one read is still known; the first was forgotten when the session's memory was full.
  await source.tipOf(branches.at(-1) as string);
  expect(count.total).toBe(branches.length);
  const again = github();
  tipUnchanged(again, 'W/"release/0"', "release/0");
  expect(await source.tipOf("release/0")).toBe(TIP);
  expect(again.isDone()).toBe(true);
  expect(count).toMatchObject({ total: branches.length + 1, notModified: 1 });
});
