// The evidence port of enforcement over HTTP (nock): a gap's record kept in a neutral
// compliance/audit check run on the tip of each branch concerned (read with the policy source's
// one reader of a branch tip), on the default branch's when none exists, and the commits that
// landed in the gap listed through the one reader of a branch's history.
import nock from "nock";
import { GitHubPorts } from "../../src/app/github-ports.js";
import { sealGap } from "../../src/audit/enforcement-gap.js";
import { API, REPO_PATH, probotOctokit } from "../github/fake-github.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const TIP = "b".repeat(40);
const GAP = sealGap({
  version: 1,
  repository: "acme/gitops",
  branches: ["release/1"],
  from: "2026-11-25T10:00:00.250Z",
  until: "2026-11-25T10:01:00.500Z",
  restored: true,
  found_at: "2026-11-25T10:01:00.000Z",
  by: "mallory",
  event: "repository_ruleset.deleted",
  what: ["the ruleset compliance-gate (app 1) was deleted"],
});

const evidence = () => new GitHubPorts().enforcement(probotOctokit(), "acme", "gitops", { botLogin: async () => "compliance-gate[bot]", defaultBranch: "main" }).evidence;

test("keep: a neutral compliance/audit check run on the branch's tip, named for the gap, completed when it ended", async () => {
  nock(API).get(`${REPO_PATH}/git/ref/heads%2Frelease%2F1`).reply(200, { object: { sha: TIP } });
  let posted: Record<string, unknown> | undefined;
  nock(API)
    .post(`${REPO_PATH}/check-runs`, (body: Record<string, unknown>) => {
      posted = body;
      return true;
    })
    .reply(201, { id: 9 });
  expect(await evidence().keep({ gap: GAP, branches: ["release/1"], title: "gap on release/1", text: "the record" })).toEqual([TIP]);
  expect(posted).toMatchObject({
    name: "compliance/audit",
    head_sha: TIP,
    external_id: "enforcement:release/1:2026-11-25T10:00:00.250Z",
    status: "completed",
    conclusion: "neutral",
    completed_at: "2026-11-25T10:01:00.500Z",
    output: { title: "gap on release/1", text: "the record" },
  });
  expect(nock.isDone()).toBe(true);
});

test("keep: a branch that does not exist (any more) gets no copy; with none left, the default branch's tip holds it", async () => {
  nock(API).get(`${REPO_PATH}/git/ref/heads%2Frelease%2F1`).reply(404, { message: "Not Found" });
  nock(API).get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { object: { sha: TIP } });
  const heads: unknown[] = [];
  nock(API)
    .post(`${REPO_PATH}/check-runs`, (body: Record<string, unknown>) => {
      heads.push([body["head_sha"], body["external_id"]]);
      return true;
    })
    .reply(201, { id: 9 });
  expect(await evidence().keep({ gap: GAP, branches: ["release/1"], title: "t", text: "x" })).toEqual([TIP]);
  expect(heads).toEqual([[TIP, "enforcement:main:2026-11-25T10:00:00.250Z"]]);
});

test("keep: a tip GitHub cannot read fails the write (the gap stays pending), never skipped", async () => {
  nock(API).get(`${REPO_PATH}/git/ref/heads%2Frelease%2F1`).reply(502, "");
  await expect(evidence().keep({ gap: GAP, branches: ["release/1"], title: "t", text: "x" })).rejects.toThrow(/error 502 while reading the tip of base branch release\/1/);
});

test("landed: one page of the branch's commits within the gap, whole seconds widening it, each with its first line", async () => {
  nock(API)
    .get(`${REPO_PATH}/commits`)
    .query({ sha: "release/1", since: "2026-11-25T10:00:00Z", until: "2026-11-25T10:01:01Z", per_page: "100", page: "1" })
    .reply(200, [{ sha: "c".repeat(40), commit: { message: "Bump api\n\nbody", committer: { date: "2026-11-25T10:00:30Z" } } }]);
  expect(await evidence().landed("release/1", GAP.from as string, GAP.until)).toEqual({
    commits: [{ sha: "c".repeat(40), title: "Bump api", at: "2026-11-25T10:00:30Z" }],
    complete: true,
  });
});
