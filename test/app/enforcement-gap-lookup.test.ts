// The merge recorder's look-up of the enforcement gap a merge landed in (SPEC §5), over HTTP (nock):
// the issues the app opened (by author, newest first — others' issues cannot push them out), the
// compliance/audit check runs of the branch's tip (the copy nobody can edit), and what is said
// when a record does not verify or the listing is cut.
import nock from "nock";
import { enforcementGapAt } from "../../src/app/enforcement-gaps.js";
import { GitHubPorts } from "../../src/app/github-ports.js";
import { sealGap, type GapRecord } from "../../src/audit/enforcement-gap.js";
import { gapBlock } from "../../src/render/enforcement-issue.js";
import { exceptionMarker } from "../../src/audit/exception-marker.js";
import { API, REPO_PATH, probotOctokit } from "../github/fake-github.js";
import { fixedKeys } from "../audit/keys.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BOT = "compliance-gate[bot]";
const MERGED_AT = Date.parse("2026-11-25T10:00:30Z");
const KEYS = fixedKeys(9);
const GAP: GapRecord = sealGap(
  { version: 1, repository: "acme/gitops", branches: ["main"], from: "2026-11-25T10:00:00Z", until: "2026-11-25T10:01:00Z", restored: true, found_at: "2026-11-25T10:00:00Z", by: "mallory", event: "repository_ruleset.deleted", what: ["x"] },
  KEYS.privateKey,
);
const issue = (number: number, body: string): Record<string, unknown> => ({ number, body, user: { login: BOT, type: "Bot" }, state: "open", created_at: "2026-11-25T10:01:05Z" });
const appIssues = (page = "1"): nock.Interceptor =>
  nock(API)
    .get(`${REPO_PATH}/issues`)
    .query((q) => q["creator"] === BOT && q["sort"] === "created" && q["direction"] === "desc" && q["since"] === "2026-11-25T10:00:30.000Z" && q["labels"] === undefined && q["page"] === page);
const tipRuns = (runs: unknown[] = []): nock.Scope =>
  nock(API).get(`${REPO_PATH}/commits/heads%2Fmain/check-runs`).query((q) => q["check_name"] === "compliance/audit").reply(200, { total_count: runs.length, check_runs: runs });
const lookup = () => enforcementGapAt(new GitHubPorts().for(probotOctokit(), "acme", "gitops"), { login: BOT, branch: "main", at: MERGED_AT, publicKey: KEYS.publicKey });

test("the gap is found among the issues the app opened, listed by author (labels and others' issues play no part)", async () => {
  appIssues().reply(200, [issue(5000, `${exceptionMarker("acme/gitops@enforcement:x")}\n${gapBlock(GAP)}`)]);
  tipRuns();
  expect(await lookup()).toEqual({ flag: { from: GAP.from, until: GAP.until, by: "mallory", issue: "#5000" }, problems: [] });
});

test("with the issue gone (deleted, issues turned off), the copy in the branch tip's compliance/audit check run is found", async () => {
  appIssues().reply(200, []);
  tipRuns([{ id: 7, name: "compliance/audit", html_url: "https://github.com/acme/gitops/runs/7", app: { slug: "compliance-gate" }, output: { text: gapBlock(GAP) }, started_at: "2026-11-25T10:01:01Z" }]);
  expect((await lookup()).flag).toEqual({ from: GAP.from, until: GAP.until, by: "mallory", issue: "https://github.com/acme/gitops/runs/7" });
});

test("a record edited in the issue body is a problem and flags nothing", async () => {
  appIssues().reply(200, [issue(5000, gapBlock({ ...GAP, by: "alice" }))]);
  tipRuns();
  const found = await lookup();
  expect(found.flag).toBeNull();
  expect(found.problems).toEqual([expect.stringMatching(/^issue #5000: its enforcement gap record does not verify \(.*signature does not verify.*\)/)]);
});

test("a listing of the app's issues cut at 10 pages is said, never silently taken as whole", async () => {
  for (let p = 1; p <= 10; p++) {
    appIssues(String(p)).reply(
        200,
        Array.from({ length: 100 }, (_, i) => issue(20_000 - p * 100 - i, "a violation")),
        { link: `<${API}${REPO_PATH}/issues?page=${p + 1}>; rel="next"` },
      );
  }
  tipRuns();
  const found = await lookup();
  expect(found.flag).toBeNull();
  expect(found.problems).toEqual(["the enforcement gaps could not all be read: compliance-gate[bot] opened more than 1000 issues since the merge"]);
});
