// The deployment use cases' ports over GitHub (GitHubPorts.deployments: github/history.ts, and the
// chain's reads in app/chain-reads.ts) against GitHub mocked at the HTTP boundary: where a deployed
// commit is on a branch (its first-parent line, not any ancestor), and which merged pull requests
// GitHub associates with a commit.
import nock from "nock";
import { ChainReads } from "../../src/app/chain-reads.js";
import { GitHubPorts } from "../../src/app/github-ports.js";
import { API, REPO_PATH, github, probotOctokit } from "../github/fake-github.js";

const TIP = "f".repeat(40);
const MERGE = "e".repeat(40);
const FIRST = "d".repeat(40);
const SIDE = "5".repeat(40);
const ROOT = "0".repeat(40);

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

const adapter = () => new GitHubPorts({ clock: () => 0 }).deployments(probotOctokit(), "acme", "gitops", async () => "compliance-gate[bot]");

/** main: ROOT ← FIRST ← MERGE (FIRST and SIDE merged) ← TIP; SIDE is an ancestor off the first-parent line. */
function mockMain(scope: nock.Scope): void {
  scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { ref: "refs/heads/main", object: { sha: TIP } });
}
const HISTORY = [
  { sha: TIP, parents: [{ sha: MERGE }] },
  { sha: MERGE, parents: [{ sha: FIRST }, { sha: SIDE }] },
  { sha: SIDE, parents: [{ sha: ROOT }] },
  { sha: FIRST, parents: [{ sha: ROOT }] },
  { sha: ROOT, parents: [] },
];

describe("whether a commit is on a branch", () => {
  test("the tip: one request", async () => {
    const scope = github();
    mockMain(scope);
    expect(await adapter().deployments.isOnBranch(TIP, "main")).toBe(true);
  });

  test("a first parent of the tip is on it; an ancestor merged in from elsewhere is not", async () => {
    for (const [sha, on] of [
      [FIRST, true],
      [SIDE, false],
    ] as const) {
      const scope = github();
      mockMain(scope);
      scope.get(`${REPO_PATH}/compare/${sha}...${TIP}`).query(true).reply(200, { status: "ahead" });
      scope.get(`${REPO_PATH}/commits`).query({ sha: TIP, per_page: "100", page: "1" }).reply(200, HISTORY);
      expect(await adapter().deployments.isOnBranch(sha, "main")).toBe(on);
    }
  });

  test("a commit the branch does not have, or no such branch", async () => {
    const scope = github();
    mockMain(scope);
    scope.get(`${REPO_PATH}/compare/${"9".repeat(40)}...${TIP}`).query(true).reply(200, { status: "diverged" });
    expect(await adapter().deployments.isOnBranch("9".repeat(40), "main")).toBe(false);
    scope.get(`${REPO_PATH}/git/ref/heads%2Fgone`).reply(404, { message: "Not Found" });
    expect(await adapter().deployments.isOnBranch(TIP, "gone")).toBe(false);
  });

  test("an ancestor further back than the history can be listed: unknown, never yes", async () => {
    const scope = github();
    mockMain(scope);
    scope.get(`${REPO_PATH}/compare/${ROOT}...${TIP}`).query(true).reply(200, { status: "ahead" });
    // Ten full pages of first parents that never reach ROOT.
    const sha = (n: number): string => n.toString(16).padStart(40, "a");
    for (let page = 1; page <= 10; page++) {
      const items = Array.from({ length: 100 }, (_, i) => {
        const n = (page - 1) * 100 + i;
        return { sha: n === 0 ? TIP : sha(n), parents: [{ sha: sha(n + 1) }] };
      });
      const link = `<${API}${REPO_PATH}/commits?sha=${TIP}&per_page=100&page=${page + 1}>; rel="next"`;
      scope.get(`${REPO_PATH}/commits`).query({ sha: TIP, per_page: "100", page: String(page) }).reply(200, items, { link });
    }
    expect(await adapter().deployments.isOnBranch(ROOT, "main")).toBe("unknown");
  });
});

test("the merged pull requests of a commit, whatever branch they merged into; open ones are left out", async () => {
  const scope = github();
  const pull = (number: number, merged: boolean, base: string, merge: string | null) => ({ number, title: `PR ${number}`, merged_at: merged ? "2026-11-27T10:00:00Z" : null, merge_commit_sha: merge, head: { sha: "1".repeat(40) }, base: { ref: base } });
  scope.get(`${REPO_PATH}/commits/${MERGE}/pulls`).query(true).reply(200, [pull(50, true, "release/1", MERGE), pull(51, false, "main", null), pull(49, true, "main", TIP)]);
  expect(await new ChainReads(adapter()).pullsOf(MERGE)).toEqual([
    { number: 50, title: "PR 50", merge_commit_sha: MERGE },
    { number: 49, title: "PR 49", merge_commit_sha: TIP },
  ]);
});
