// `compliance-gate audit export` (SPEC §6.4) against a fake GitHub: nock at the HTTP boundary,
// real payload shapes (@octokit/webhooks-examples), real policies, records sealed with Ed25519 keys.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { recordBlock, renderAuditComment } from "../../src/render/audit-comment.js";
import { CSV_COLUMNS } from "../../src/render/export-csv.js";
import type { AuditExportRow } from "../../src/audit/export-row.js";
import type { AuditRecord, MergeRecordBody } from "../../src/audit/record.js";
import { sealRecord } from "../../src/audit/seal.js";
import { parseExportDate } from "../../src/cli/audit-export.js";
import { exceptionMarker } from "../../src/audit/exception-marker.js";
import { sealGap, type GapRecord } from "../../src/audit/enforcement-gap.js";
import { gapBlock } from "../../src/render/enforcement-issue.js";
import { knownRecord } from "../audit/known-record.js";
import { fixedKeys, freshKeys } from "../audit/keys.js";
import { REPO_PATH, blobSha, github, replyPages } from "../github/fake-github.js";
import { run } from "./run.js";

const APP = fixedKeys(5);
const OTHER = freshKeys();
const TOKEN = { GITHUB_TOKEN: "ghp_test" };
const APP_BOT = { login: "compliance-gate[bot]", type: "Bot" };
const PERIOD = ["--since", "2026-11-01", "--until", "2026-12-01"];
const ARGS = ["audit", "export", "--repo", "acme/gitops", ...PERIOD, "--app-login", "compliance-gate[bot]"];

const PRODUCTION = `version: 1
environment: production
scope:
  branches: [main]
  paths: [clusters/production/**]
rules:
  - name: SRE approves cluster changes
    paths: [clusters/production/**]
    approvals: 2
    approvers: { teams: [sre] }
`;

const STAGING = `version: 1
scope:
  branches: [main]
  paths: [clusters/staging/**]
rules:
  - name: Platform approves staging
    paths: [clusters/staging/**]
    approvals: 1
    approvers: { users: [frank] }
`;

const POLICIES = { "production.yml": PRODUCTION, "staging.yml": STAGING };

let dir: string;
let appPub: string;

beforeAll(() => {
  nock.disableNetConnect();
  dir = mkdtempSync(join(tmpdir(), "audit-export-"));
  appPub = join(dir, "app.pub");
  writeFileSync(appPub, APP.publicPem);
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  rmSync(dir, { recursive: true, force: true });
});

/** A commit sha named after `tag`. */
function sha(tag: string): string {
  return createHash("sha1").update(tag).digest("hex");
}

interface WebhookDefinition {
  name: string;
  examples: { action: string; pull_request?: Record<string, unknown>; comment?: Record<string, unknown>; check_run?: Record<string, unknown> }[];
}

const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

function example(name: string, action: string, key: "pull_request" | "comment" | "check_run"): Record<string, unknown> {
  const found = definitions.find((d) => d.name === name)?.examples.find((e) => e.action === action)?.[key];
  if (!found) throw new Error(`no ${name}.${action} example`);
  return structuredClone(found);
}

interface PullSpec {
  number: number;
  title?: string;
  merged_at: string | null;
  updated_at?: string;
  /** The first parent of its merge commit (its base when it merged). */
  parent?: string;
}

/** A real `pull_request.closed` payload's pull request, as GET /pulls/{n} returns it, moved to acme/gitops. */
function pullObject(spec: PullSpec): Record<string, unknown> {
  const pull = example("pull_request", "closed", "pull_request") as Record<string, unknown> & {
    head: Record<string, unknown>;
    base: Record<string, unknown> & { repo: Record<string, unknown> };
  };
  const n = spec.number;
  Object.assign(pull, {
    number: n,
    title: spec.title ?? `Change ${n}`,
    html_url: `https://github.com/acme/gitops/pull/${n}`,
    url: `https://api.github.com/repos/acme/gitops/pulls/${n}`,
    user: { login: "carol", type: "User" },
    state: "closed",
    merged: spec.merged_at !== null,
    merged_at: spec.merged_at,
    merged_by: spec.merged_at === null ? null : { login: "dave", type: "User" },
    merge_commit_sha: sha(`merge${n}`),
    updated_at: spec.updated_at ?? spec.merged_at ?? "2026-11-15T00:00:00Z",
    closed_at: spec.merged_at ?? "2026-11-15T00:00:00Z",
    changed_files: 1,
  });
  pull.head.sha = sha(`head${n}`);
  pull.base.ref = "main";
  pull.base.sha = sha(`base${n}`);
  pull.base.repo.default_branch = "main";
  pull.base.repo.full_name = "acme/gitops";
  return pull;
}

/** The same pull request as the list endpoint returns it: without the fields only a single pull request has. */
function listedPull(spec: PullSpec): Record<string, unknown> {
  const pull = pullObject(spec);
  for (const key of ["merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments", "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"]) {
    delete pull[key];
  }
  return pull;
}

/** A real issue comment by `user` holding `body`. */
function comment(id: number, n: number, body: string, user: { login: string; type: string } = APP_BOT): Record<string, unknown> {
  return {
    ...example("issue_comment", "created", "comment"),
    id,
    html_url: `https://github.com/acme/gitops/pull/${n}#issuecomment-${id}`,
    body,
    user: { login: user.login, id, type: user.type, site_admin: false },
  };
}

/** The record the app would write for #n: sealed, and signed with `key` (the app's by default). */
function record(n: number, overrides: Partial<MergeRecordBody> = {}, key: string | null = APP.privatePem): AuditRecord {
  const result = sealRecord(
    { ...knownRecord(), pull_request: n, title: `Change ${n}`, merge_commit_sha: sha(`merge${n}`), head_sha: sha(`head${n}`), ...overrides },
    key ?? undefined,
  );
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

/** The sealed record the app would write for a direct push `before`→`after` of `commits`, signed with `key`. */
function pushRecord(before: string, after: string, commits: string[], key: string = APP.privatePem): AuditRecord {
  const body = { ...knownRecord() } as Record<string, unknown>;
  for (const field of ["pull_request", "title", "author", "head_sha", "merge_commit_sha", "merged_by", "merged_at"]) delete body[field];
  const sealed = sealRecord(
    {
      ...(body as unknown as MergeRecordBody),
      kind: "push",
      pull_request: null,
      pusher: "erin",
      pushed_at: "2026-11-25T10:01:30Z",
      before,
      after,
      commits: commits.map((c) => ({ sha: c, author: "erin", committer: "erin" })),
      compliant: false,
    } as never,
    key,
  );
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record;
}

/** A real `check_run.completed` payload's check run, as GET /commits/{ref}/check-runs lists it: the app's compliance/audit run on `head`. */
function checkRun(id: number, head: string, text: string, slug = "compliance-gate"): Record<string, unknown> {
  const run = example("check_run", "completed", "check_run") as Record<string, unknown> & { app: Record<string, unknown> };
  return {
    ...run,
    id,
    name: "compliance/audit",
    head_sha: head,
    external_id: `push:${head}`,
    conclusion: "failure",
    html_url: `https://github.com/acme/gitops/runs/${id}`,
    url: `https://api.github.com/repos/acme/gitops/check-runs/${id}`,
    output: { title: "Direct push: compliance violation (production)", summary: "1 commit of this push belongs to no merged pull request.", text, annotations_count: 0 },
    app: { ...run.app, slug, name: slug },
  };
}

/** The compliance/audit check runs of commit `ref`, paginated as GitHub wraps them. */
function mockCheckRuns(scope: nock.Scope, ref: string, runs: unknown[]): void {
  replyPages(scope, `${REPO_PATH}/commits/${ref}/check-runs`, runs, {
    query: { check_name: "compliance/audit", filter: "all" },
    wrap: (page) => ({ total_count: runs.length, check_runs: page }),
  });
}

/** The compliance-exception issues updated since the period started (listed once per export). */
function mockExceptionIssues(scope: nock.Scope, issues: unknown[]): void {
  replyPages(scope, `${REPO_PATH}/issues`, issues, {
    query: { labels: "compliance-exception", state: "all", sort: "created", direction: "asc", since: "2026-11-01T00:00:00.000Z" },
  });
}

/** A commit of main that no pull request claims: its pull requests (none) and its changed files. */
function mockDirectCommit(scope: nock.Scope, c: ChainCommit, files: string[]): void {
  replyPages(scope, `${REPO_PATH}/commits/${c.sha}/pulls`, []);
  scope.get(`${REPO_PATH}/commits/${c.sha}`).query({ per_page: "100", page: "1" }).reply(200, apiCommit(c, files));
}

/**
 * The repository, and its compliance-exception issues: `issues` when given (listed once, as the
 * test requires); else none, listed at most once — by an export with merges, for enforcement gaps.
 */
function mockRepository(scope: nock.Scope, issues?: unknown[], appIssues: unknown[] = []): void {
  scope.get(REPO_PATH).reply(200, { id: 1, name: "gitops", full_name: "acme/gitops", default_branch: "main", private: true });
  // The issues the app opened (--app-login), newest first: where enforcement gaps are looked for when merges were found.
  scope
    .get(`${REPO_PATH}/issues`)
    .query({ creator: "compliance-gate[bot]", state: "all", sort: "created", direction: "desc", since: "2026-11-01T00:00:00.000Z", per_page: "100", page: "1" })
    .optionally()
    .reply(200, appIssues);
  if (issues !== undefined) mockExceptionIssues(scope, issues);
  else {
    scope
      .get(`${REPO_PATH}/issues`)
      .query({ labels: "compliance-exception", state: "all", sort: "created", direction: "asc", since: "2026-11-01T00:00:00.000Z", per_page: "100", page: "1" })
      .optionally()
      .reply(200, []);
  }
}

function mockPullList(scope: nock.Scope, specs: PullSpec[], options: { pages?: number } = {}): void {
  replyPages(scope, `${REPO_PATH}/pulls`, specs.map(listedPull), {
    query: { state: "closed", sort: "updated", direction: "desc" },
    ...(options.pages !== undefined ? { pages: options.pages } : {}),
  });
}

/** The policy folder at `commit`; its blobs may be read once for the whole export (they are cached by sha). */
function mockPoliciesAt(scope: nock.Scope, commit: string, files: Record<string, string> | null = POLICIES): void {
  const contents = scope.get(`${REPO_PATH}/contents/policies`).query({ ref: commit });
  if (files === null) {
    contents.reply(404, { message: "Not Found" });
    return;
  }
  contents.reply(
    200,
    Object.entries(files).map(([name, text]) => ({ type: "file", name, path: `policies/${name}`, sha: blobSha(text) })),
  );
  for (const text of Object.values(files)) {
    scope
      .get(`${REPO_PATH}/git/blobs/${blobSha(text)}`)
      .optionally()
      .reply(200, { sha: blobSha(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
  }
}

/** A merged pull request the export reads: the pull request, then its comments. */
function mockMerged(scope: nock.Scope, spec: PullSpec, comments: unknown[]): void {
  scope.get(`${REPO_PATH}/pulls/${spec.number}`).reply(200, pullObject(spec));
  replyPages(scope, `${REPO_PATH}/issues/${spec.number}/comments`, comments);
}

/** What the export reads of a merged pull request without a record: its merge commit's parent, the policies there, its files. */
function mockJudged(scope: nock.Scope, spec: PullSpec, files: string[], policies: Record<string, string> | null = POLICIES): void {
  const parent = spec.parent ?? sha(`parent${spec.number}`);
  scope.get(`${REPO_PATH}/git/commits/${sha(`merge${spec.number}`)}`).reply(200, { sha: sha(`merge${spec.number}`), parents: [{ sha: parent }] });
  mockPoliciesAt(scope, parent, policies);
  if (policies !== null) {
    replyPages(scope, `${REPO_PATH}/pulls/${spec.number}/files`, files.map((filename) => ({ filename, status: "modified" })));
  }
}

/** #43 merged without a record, its merge commit's parent merge42: what the export reads before the policies there. */
function mockUnrecorded43(scope: nock.Scope): void {
  mockRepository(scope);
  mockPullList(scope, [P43]);
  mockMerged(scope, P43, []);
  scope.get(`${REPO_PATH}/git/commits/${sha("merge43")}`).reply(200, { parents: [{ sha: sha("merge42") }] });
}

interface ChainCommit {
  sha: string;
  date: string;
  parents: string[];
  committer?: string;
}

function apiCommit(c: ChainCommit, files?: string[]): Record<string, unknown> {
  const who = c.committer ?? "web-flow";
  return {
    sha: c.sha,
    html_url: `https://github.com/acme/gitops/commit/${c.sha}`,
    parents: c.parents.map((p) => ({ sha: p })),
    author: { login: who === "web-flow" ? "dave" : who, type: "User" },
    committer: { login: who, type: "User" },
    commit: {
      message: "change",
      author: { name: "Dave", email: "dave@example.com", date: c.date },
      committer: { name: who, email: `${who}@example.com`, date: c.date },
    },
    ...(files ? { files: files.map((filename) => ({ filename, status: "modified" })) } : {}),
  };
}

/** The branches, main's policies at its tip and main's commits since the period started. */
function mockBranches(scope: nock.Scope, tip: string, commits: ChainCommit[]): void {
  replyPages(scope, `${REPO_PATH}/branches`, [
    { name: "main", commit: { sha: tip }, protected: true },
    { name: "feature/x", commit: { sha: sha("feature") }, protected: false },
  ]);
  mockPoliciesAt(scope, tip);
  replyPages(scope, `${REPO_PATH}/commits`, commits.map((c) => apiCommit(c)), { query: { sha: tip, since: "2026-11-01T00:00:00Z" } });
}

/**
 * What looking for verdicts (SPEC §8) reads besides the push scan, found empty: the compliance/audit
 * check runs of main's commits the push scan did not read, and the deployments to the policies' environments.
 * Registered last, so the tests' own answers for a commit come first.
 */
function mockVerdictScan(scope: nock.Scope): void {
  scope
    .get(new RegExp(`^${REPO_PATH}/commits/[0-9a-f]{40}/check-runs\\?`))
    .optionally()
    .times(50)
    .reply(200, { total_count: 0, check_runs: [] });
  for (const environment of ["production", "staging"]) {
    scope.get(`${REPO_PATH}/deployments`).query({ environment, per_page: "100", page: "1" }).optionally().reply(200, []);
  }
}

function rowsOf(jsonl: string): AuditExportRow[] {
  return jsonl
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditExportRow);
}

const P40: PullSpec = { number: 40, merged_at: "2026-10-20T10:00:00Z" };
const P41: PullSpec = { number: 41, merged_at: "2026-11-10T10:00:00Z" };
const P42: PullSpec = { number: 42, merged_at: "2026-11-20T10:00:00Z", parent: sha("merge41") };
const P43: PullSpec = { number: 43, merged_at: "2026-11-25T10:00:00Z", parent: sha("merge42") };
/** Merged before the period, updated in it (a late comment). */
const P44: PullSpec = { number: 44, merged_at: "2026-10-15T10:00:00Z", updated_at: "2026-11-28T10:00:00Z" };
/** Closed without merging. */
const P45: PullSpec = { number: 45, merged_at: null, updated_at: "2026-11-27T10:00:00Z" };
/** Merged in the period, changed only docs: no environment. */
const P46: PullSpec = { number: 46, merged_at: "2026-11-28T10:00:00Z", parent: sha("merge43") };
/** Merged after the period. */
const P47: PullSpec = { number: 47, merged_at: "2026-12-01T05:00:00Z", parent: sha("merge46") };

/**
 * acme/gitops: #41 and #42 merged with records (and a forged one on #42 by a person), #43 merged
 * without one, #44 merged before the period, #45 closed unmerged, #46 merged touching no
 * environment, #47 merged after the period; #40 was last updated before the period. Main's
 * history is the merge commits of #41, #42, #43, #46 and #47, plus `extra` commits.
 */
function mockRepositoryWithThreeMerges(scope: nock.Scope, options: { pushes?: boolean; forged?: AuditRecord; issues?: unknown[]; appIssues?: unknown[] } = {}): { r41: AuditRecord; r42: AuditRecord } {
  const r41 = record(41, { merged_at: P41.merged_at as string });
  const r42 = record(42, { merged_at: P42.merged_at as string });
  const forged = options.forged ?? record(42, { merged_at: P42.merged_at as string, merged_by: "mallory" }, null);
  mockRepository(scope, options.issues, options.appIssues);
  // Newest update first, as GitHub sorts them.
  mockPullList(scope, [P47, P44, P46, P45, P43, P42, P41, P40]);
  mockMerged(scope, P41, [comment(1, 41, "LGTM"), comment(2, 41, renderAuditComment(r41))]);
  mockMerged(scope, P42, [comment(3, 42, `Looks fine:\n\n${renderAuditComment(forged)}`, { login: "mallory", type: "User" }), comment(4, 42, renderAuditComment(r42))]);
  mockMerged(scope, P43, []);
  mockJudged(scope, P43, ["clusters/production/api.yaml"]);
  mockMerged(scope, P46, [comment(5, 46, "docs only")]);
  mockJudged(scope, P46, ["docs/runbook.md"]);
  if (options.pushes !== false) {
    const prCommit = sha("pr43-own-commit");
    mockBranches(scope, sha("merge47"), [
      { sha: sha("merge47"), date: "2026-12-01T05:00:00Z", parents: [sha("merge46"), sha("head47")] },
      { sha: sha("merge46"), date: "2026-11-28T10:00:00Z", parents: [sha("merge43"), sha("head46")] },
      { sha: sha("merge43"), date: "2026-11-25T10:00:00Z", parents: [sha("merge42"), prCommit] },
      // a commit of #43 itself, hanging off its merge commit: not on main's first-parent history
      { sha: prCommit, date: "2026-11-24T10:00:00Z", parents: [sha("merge41")], committer: "carol" },
      { sha: sha("merge42"), date: "2026-11-20T10:00:00Z", parents: [sha("merge41"), sha("head42")] },
      { sha: sha("merge41"), date: "2026-11-10T10:00:00Z", parents: [sha("older"), sha("head41")] },
    ]);
  }
  return { r41, r42 };
}

describe("compliance-gate audit export", () => {
  test("three merged pull requests in the period, one without a record: three rows, one missing", async () => {
    const scope = github();
    const { r41, r42 } = mockRepositoryWithThreeMerges(scope);

    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    const rows = rowsOf(r.stdout);
    expect(rows.map((row) => [row.pull_request, row.missing, row.digest_ok, row.signature_ok])).toEqual([
      [41, false, true, true],
      [42, false, true, true],
      [43, true, null, null],
    ]);
    expect(rows[0]).toEqual({
      repository: "acme/gitops",
      kind: "merge",
      pull_request: 41,
      title: "Change 41",
      merged_at: "2026-11-10T10:00:00Z",
      merged_by: "dave",
      merge_commit_sha: sha("merge41"),
      url: "https://github.com/acme/gitops/pull/41",
      record: r41,
      digest_ok: true,
      signature_ok: true,
      missing: false,
      problems: [],
    });
    // The person's comment with the marker is no record: the app's record is exported, and the forgery reported.
    expect(rows[1]?.record).toEqual(r42);
    expect(rows[1]?.problems).toEqual(["ignored an audit marker in https://github.com/acme/gitops/pull/42#issuecomment-3: @mallory is not a GitHub App"]);
    expect(rows[2]).toMatchObject({ pull_request: 43, record: null, missing: true, environments: ["production"], problems: ["no audit record"] });
    expect(r.stderr).toContain(
      "acme/gitops, 2026-11-01T00:00:00.000Z to 2026-12-01T00:00:00.000Z: 3 merged pull requests and 0 direct pushes reached an environment: 2 with records, 1 missing, 0 failing verification (digests and signatures checked).",
    );
    expect(r.stderr).toContain("Ignored 1 audit marker in comments, check runs or issues not written by the app");
    // repository 1, list 1; #41, #42: 2 each; #43, #46: 5 each, and the 2 policy blobs (read
    // twice when both read the policies at once); pushes: branches, policies at main's tip,
    // main's commits (all merge commits of pull requests: no push); the issues the app opened, for
    // enforcement gaps; verdicts (SPEC §8): the compliance/audit check runs of main's 4 commits in
    // the period, the deployments to production and staging, and the exception issues (where an
    // off-branch revision's verdict is kept)
    expect(r.stderr).toMatch(/\n(?:29|31) GitHub requests\.\n/);

    // Round trip: the export is what `audit verify` reads; the missing record fails it.
    const verified = await run(["audit", "verify", "--public-key", appPub, "-"], r.stdout);
    expect(verified.stdout).toBe(
      `ok acme/gitops#41 ${r41.digest.slice(0, 19)}\nok acme/gitops#42 ${r42.digest.slice(0, 19)}\nMISSING acme/gitops#43: no audit record\n`,
    );
    expect(verified.code).toBe(1);
  });

  test("without --app-login any GitHub App's record counts, a person's never", async () => {
    const scope = github();
    mockRepositoryWithThreeMerges(scope, { pushes: false });

    const r = await run(["audit", "export", "--repo", "acme/gitops", ...PERIOD, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    const rows = rowsOf(r.stdout);
    expect(rows.map((row) => row.pull_request)).toEqual([41, 42, 43]);
    expect((rows[1]?.record as MergeRecordBody | null)?.merged_by).toBe("dave");
    // no key: signatures unchecked
    expect(rows[0]?.signature_ok).toBeNull();
    expect(r.stderr).toContain("(direct pushes not scanned)");
  });

  test("--app-login pins the app: another bot's record is ignored too", async () => {
    const scope = github();
    mockRepository(scope);
    mockPullList(scope, [P41]);
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(record(41)), { login: "github-actions[bot]", type: "Bot" })]);
    mockJudged(scope, P41, ["clusters/staging/web.yaml"]);

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    expect(rowsOf(r.stdout)).toEqual([
      expect.objectContaining({
        pull_request: 41,
        missing: true,
        environments: ["staging"],
        problems: ["no audit record", "ignored an audit marker in https://github.com/acme/gitops/pull/41#issuecomment-2: @github-actions[bot] is not @compliance-gate[bot]"],
      }),
    ]);
  });

  test.each<[string, () => AuditRecord, Partial<AuditExportRow>, string]>([
    [
      "a tampered record: digest_ok false",
      () => {
        const r = record(41, { merged_at: P41.merged_at as string });
        (r.environments[0]?.rules[0]?.approved_by[0] as { login: string }).login = "mallory";
        return r;
      },
      { digest_ok: false, signature_ok: false, problems: ["digest mismatch", "signature does not verify"] },
      "digest mismatch",
    ],
    [
      "a record signed by another key: signature_ok false",
      () => record(41, { merged_at: P41.merged_at as string }, OTHER.privatePem),
      { digest_ok: true, signature_ok: false, problems: ["signature does not verify"] },
      "signature does not verify",
    ],
    [
      "an unsigned record, given the public key: signature_ok false",
      () => record(41, { merged_at: P41.merged_at as string }, null),
      { digest_ok: true, signature_ok: false, problems: ["not signed"] },
      "not signed",
    ],
  ])("%s", async (_name, make, expected, verifyProblem) => {
    const scope = github();
    mockRepository(scope);
    mockPullList(scope, [P41]);
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(make()))]);

    const r = await run([...ARGS, "--skip-pushes", "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    const rows = rowsOf(r.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pull_request: 41, missing: false, ...expected });
    expect(r.stderr).toContain("1 with records, 0 missing, 1 failing verification");
    const verified = await run(["audit", "verify", "--public-key", appPub, "-"], r.stdout);
    expect(verified.stdout).toContain(`FAIL acme/gitops#41: ${verifyProblem}`);
    expect(verified.code).toBe(1);
  });

  test("a record emptied of its environments still shows when it does not verify", async () => {
    const scope = github();
    mockRepository(scope);
    mockPullList(scope, [P41, P42]);
    const emptied = record(41);
    emptied.environments = [];
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(emptied))]);
    // a genuine record listing no environment leaves its pull request out
    mockMerged(scope, P42, [comment(3, 42, renderAuditComment(record(42, { environments: [] })))]);

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(rowsOf(r.stdout).map((row) => [row.pull_request, row.digest_ok])).toEqual([[41, false]]);
  });

  test("a record of another pull request is not this one's: missing, and said so", async () => {
    const scope = github();
    mockRepository(scope);
    mockPullList(scope, [P43]);
    mockMerged(scope, P43, [comment(2, 43, renderAuditComment(record(41)))]);
    mockJudged(scope, P43, ["clusters/production/api.yaml"]);

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(rowsOf(r.stdout)).toEqual([
      expect.objectContaining({
        pull_request: 43,
        missing: true,
        problems: ["no audit record", "https://github.com/acme/gitops/pull/43#issuecomment-2 holds the record of acme/gitops#41, not of #43: ignored"],
      }),
    ]);
  });

  test("a merged pull request whose base had no policies is not in the population", async () => {
    const scope = github();
    mockRepository(scope);
    mockPullList(scope, [P43]);
    mockMerged(scope, P43, []);
    mockJudged(scope, P43, ["clusters/production/api.yaml"], null);

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.stderr).toContain(": 0 merged pull requests reached an environment (direct pushes not scanned): 0 with records, 0 missing");
    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    expect(r.stdout).toBe("");
  });

  test("files GitHub cannot list: included as missing, files truncated (fail closed)", async () => {
    const scope = github();
    mockUnrecorded43(scope);
    mockPoliciesAt(scope, sha("merge42"));
    scope.get(`${REPO_PATH}/pulls/43/files`).query(true).reply(422, { message: "Sorry, the diff exceeded the maximum number of files" });

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    const [row] = rowsOf(r.stdout);
    expect(row).toMatchObject({ pull_request: 43, missing: true, environments: ["production", "staging"] });
    expect(row?.problems).toContain("files truncated");
  });

  test("a direct push to main that changes clusters/production: a push row, missing", async () => {
    const scope = github();
    const push = sha("direct-push");
    const hotfix = sha("hotfix-via-pr");
    mockRepository(scope);
    mockPullList(scope, [P41]);
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(record(41, { merged_at: P41.merged_at as string })))]);
    mockBranches(scope, hotfix, [
      // a squash-merged pull request's commit: GitHub associates it with the pull request
      { sha: hotfix, date: "2026-11-26T10:00:00Z", parents: [push], committer: "web-flow" },
      { sha: push, date: "2026-11-25T10:00:00Z", parents: [sha("merge41")], committer: "erin" },
      { sha: sha("merge41"), date: "2026-11-10T10:00:00Z", parents: [sha("older"), sha("head41")] },
    ]);
    replyPages(scope, `${REPO_PATH}/commits/${hotfix}/pulls`, [{ ...listedPull({ number: 50, merged_at: "2026-11-26T10:00:00Z" }) }]);
    replyPages(scope, `${REPO_PATH}/commits/${push}/pulls`, []);
    mockPoliciesAt(scope, sha("merge41"));
    scope
      .get(`${REPO_PATH}/commits/${push}`)
      .query({ per_page: "100", page: "1" })
      .reply(200, apiCommit({ sha: push, date: "2026-11-25T10:00:00Z", parents: [sha("merge41")], committer: "erin" }, ["clusters/production/api.yaml"]));
    mockCheckRuns(scope, push, []);
    // no check run holds a record: the exception issues are searched, once (mockRepository's listing)

    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    const rows = rowsOf(r.stdout);
    expect(rows.map((row) => [row.kind, row.pull_request, row.missing])).toEqual([
      ["merge", 41, false],
      ["push", null, true],
    ]);
    expect(rows[1]).toEqual({
      repository: "acme/gitops",
      kind: "push",
      pull_request: null,
      title: null,
      merged_at: "2026-11-25T10:00:00Z",
      merged_by: "erin",
      merge_commit_sha: push,
      url: `https://github.com/acme/gitops/commit/${push}`,
      environments: ["production"],
      record: null,
      digest_ok: null,
      signature_ok: null,
      missing: true,
      problems: ["no audit record"],
    });
    expect(r.stderr).toContain("1 merged pull request and 1 direct push reached an environment: 1 with records, 1 missing");
    const verified = await run(["audit", "verify", "-"], r.stdout);
    expect(verified.stdout).toContain(`MISSING acme/gitops@${push.slice(0, 7)}: no audit record`);
  });

  test("deployment and applied verdicts (SPEC §8) are rows of their own, found on main's commits and on the commits deployed, and verify", async () => {
    const scope = github();
    const merged = sha("merge41");
    const elsewhere = sha("feature-tip");
    mockRepository(scope);
    mockPullList(scope, [P41]);
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(record(41, { merged_at: P41.merged_at as string })))]);
    mockBranches(scope, merged, [{ sha: merged, date: "2026-11-10T10:00:00Z", parents: [sha("base")] }]);
    const verdict = (kind: "deployment" | "applied", at: string, fields: Record<string, unknown>): Record<string, unknown> => {
      const sealed = sealRecord({ version: 1, kind, repository: "acme/gitops", pull_request: null, environment: "production", sha: at, branch: "main", policy: { commit: merged, files: {} }, chain: { end: "origin", baseline: null, links: [] }, reasons: [], evaluated_at: "2026-11-12T10:00:00Z", ...fields } as never, APP.privatePem);
      if (!sealed.ok) throw new Error(sealed.message);
      return sealed.record as unknown as Record<string, unknown>;
    };
    const approved = verdict("deployment", merged, { state: "approved", compliant: true, github_environment: "production", run_id: 7, requested_by: "carol" });
    const applied = verdict("applied", merged, { compliant: true, reporter: { type: "status", context: "kustomization/apps-production/1f2e3d4c", id: 1, creator: "flux", target_url: null }, reported_at: "2026-11-12T10:05:00Z" });
    const rejected = verdict("deployment", elsewhere, { evaluated_at: "2026-11-13T10:00:00Z", state: "rejected", compliant: false, branch: null, github_environment: "production", run_id: 8, requested_by: "mallory", reasons: ["fffffff is not on a branch production deploys from (main)"] });
    mockCheckRuns(scope, merged, [checkRun(11, merged, recordBlock(approved as never)), checkRun(12, merged, recordBlock(applied as never))]);
    // A rejected deployment of a commit on no gated branch is found through GitHub's deployments.
    scope.get(`${REPO_PATH}/deployments`).query({ environment: "production", per_page: "100", page: "1" }).reply(200, [{ id: 8, sha: elsewhere, environment: "production", created_at: "2026-11-13T10:00:00Z" }]);
    mockCheckRuns(scope, elsewhere, [checkRun(13, elsewhere, recordBlock(rejected as never))]);

    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows.map((row) => [row.kind, row.title, row.merge_commit_sha.slice(0, 7), row.merged_by, row.digest_ok, row.signature_ok])).toEqual([
      ["merge", "Change 41", merged.slice(0, 7), "dave", true, true],
      ["deployment", "deployment to production: approved", merged.slice(0, 7), "carol", true, true],
      ["applied", "applied in production: approved", merged.slice(0, 7), "flux", true, true],
      ["deployment", "deployment to production: rejected", elsewhere.slice(0, 7), "mallory", true, true],
    ]);
    expect(r.stderr).toContain("1 merged pull request and 0 direct pushes reached an environment, 3 deployment or applied verdicts given");
    const verified = await run(["audit", "verify", "--public-key", appPub, "-"], r.stdout);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`ok acme/gitops@${elsewhere.slice(0, 7)} deployment to production`);
  });

  test("a gap's copy in the compliance/audit check run of a branch's commit flags a merge inside it when its issue is gone; it must carry the app's signature", async () => {
    const scope = github();
    const merged = sha("merge41");
    mockRepository(scope);
    mockPullList(scope, [P41]);
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(record(41, { merged_at: P41.merged_at as string })))]);
    mockBranches(scope, merged, [{ sha: merged, date: "2026-11-10T10:00:00Z", parents: [sha("base")] }]);
    const gap = (by: string, signed = false): GapRecord =>
      sealGap(
        { version: 1, repository: "acme/gitops", branches: ["main"], from: "2026-11-10T09:00:00.000Z", until: "2026-11-10T11:00:00.000Z", restored: true, found_at: "2026-11-10T09:00:00.000Z", by, event: "repository_ruleset.deleted", what: ["x"] },
        signed ? APP.privateKey : undefined,
      );
    mockCheckRuns(scope, merged, [{ ...checkRun(21, merged, gapBlock(gap("mallory", true))), started_at: "2026-11-10T11:00:01Z" }, checkRun(22, merged, gapBlock(gap("alice")))]);
    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows[0]?.enforcement_gap).toEqual({ from: "2026-11-10T09:00:00.000Z", until: "2026-11-10T11:00:00.000Z", by: "mallory", issue: "https://github.com/acme/gitops/runs/21" });
    expect(r.stderr).toContain("Problem: https://github.com/acme/gitops/runs/22: its enforcement gap record does not verify (not signed)");
  });

  test("an applied revision on no gated branch, which Flux reported: its record is found in its exception issue", async () => {
    const scope = github();
    const merged = sha("merge41");
    const offBranch = sha("flux-branch");
    const sealed = sealRecord({ version: 1, kind: "applied", repository: "acme/gitops", pull_request: null, environment: "production", sha: offBranch, branch: null, reporter: { type: "status", context: "kustomization/apps-production/1f2e3d4c", id: 1, creator: "flux", target_url: null }, reported_at: "2026-11-14T10:00:00Z", policy: { commit: merged, files: {} }, chain: { end: "bound", baseline: null, links: [] }, reasons: ["not on a branch production deploys from (main)"], compliant: false, evaluated_at: "2026-11-14T10:00:01Z" } as never, APP.privatePem);
    if (!sealed.ok) throw new Error(sealed.message);
    const issue = (number: number, user: { login: string; type: string }): Record<string, unknown> => ({
      number,
      html_url: `https://github.com/acme/gitops/issues/${number}`,
      title: "Compliance exception: unapproved revision",
      state: "open",
      labels: [{ name: "compliance-exception" }],
      user: { login: user.login, type: user.type },
      body: `${exceptionMarker(`acme/gitops@${offBranch} applied in production`)}\n\n${recordBlock(sealed.record as never, false)}`,
    });
    mockRepository(scope, [issue(20, { login: "mallory", type: "User" }), issue(21, APP_BOT)]);
    mockPullList(scope, [P41]);
    mockMerged(scope, P41, [comment(2, 41, renderAuditComment(record(41, { merged_at: P41.merged_at as string })))]);
    mockBranches(scope, merged, [{ sha: merged, date: "2026-11-10T10:00:00Z", parents: [sha("base")] }]);
    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);
    expect(r.code).toBe(0);
    const rows = rowsOf(r.stdout);
    expect(rows.map((row) => [row.kind, row.title, row.merge_commit_sha, row.url])).toEqual([
      ["merge", "Change 41", merged, expect.any(String)],
      ["applied", "applied in production: unapproved", offBranch, "https://github.com/acme/gitops/issues/21"],
    ]);
  });

  test("a push whose head changed no environment's path: its older commit's record is in the head's check run", async () => {
    const scope = github();
    const first: ChainCommit = { sha: sha("push-prod"), date: "2026-11-25T10:00:00Z", parents: [sha("base")], committer: "erin" };
    const head: ChainCommit = { sha: sha("push-docs"), date: "2026-11-25T10:01:00Z", parents: [first.sha], committer: "erin" };
    mockRepository(scope);
    mockPullList(scope, []);
    mockBranches(scope, head.sha, [head, first]);
    mockPoliciesAt(scope, first.sha);
    mockDirectCommit(scope, head, ["docs/runbook.md"]);
    mockPoliciesAt(scope, sha("base"));
    mockDirectCommit(scope, first, ["clusters/production/db.yaml"]);
    mockCheckRuns(scope, first.sha, []);
    const pushed = pushRecord(sha("base"), head.sha, [first.sha, head.sha]);
    // the compact record block alone, as the app writes it when the whole comment does not fit
    mockCheckRuns(scope, head.sha, [checkRun(11, head.sha, recordBlock(pushed, false))]);

    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    expect(rowsOf(r.stdout)).toEqual([
      expect.objectContaining({ kind: "push", merge_commit_sha: head.sha, record: pushed, missing: false, digest_ok: true, signature_ok: true, problems: [] }),
    ]);
  });

  test.each<[string, string[], Partial<AuditExportRow>]>([
    [
      "--app-login pins the app: a check run by another app holds no record",
      ["--app-login", "compliance-gate[bot]"],
      {
        missing: true,
        record: null,
        problems: ["no audit record", "ignored an audit marker in https://github.com/acme/gitops/runs/7: @github-actions[bot] is not @compliance-gate[bot]"],
      },
    ],
    [
      "without --app-login any GitHub App's check run holds a record, and the row names the app",
      [],
      { missing: false, digest_ok: true, problems: ["https://github.com/acme/gitops/runs/7 was written by @github-actions[bot] (pass --app-login to accept only the app's records)"] },
    ],
  ])("%s", async (_name, login, expected) => {
    const scope = github();
    const push: ChainCommit = { sha: sha("push-by-actions"), date: "2026-11-25T10:00:00Z", parents: [sha("base")], committer: "erin" };
    mockRepository(scope);
    mockPullList(scope, []);
    mockBranches(scope, push.sha, [push]);
    mockPoliciesAt(scope, sha("base"));
    mockDirectCommit(scope, push, ["clusters/production/db.yaml"]);
    mockCheckRuns(scope, push.sha, [checkRun(7, push.sha, renderAuditComment(pushRecord(sha("base"), push.sha, [push.sha])), "github-actions")]);

    mockVerdictScan(scope);
    const r = await run(["audit", "export", "--repo", "acme/gitops", ...PERIOD, ...login], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    expect(rowsOf(r.stdout)).toEqual([expect.objectContaining({ kind: "push", merge_commit_sha: push.sha, ...expected })]);
  });

  test("a tampered push record in the app's check run: digest_ok false", async () => {
    const scope = github();
    const push: ChainCommit = { sha: sha("push-tampered"), date: "2026-11-25T10:00:00Z", parents: [sha("base")], committer: "erin" };
    mockRepository(scope);
    mockPullList(scope, []);
    mockBranches(scope, push.sha, [push]);
    mockPoliciesAt(scope, sha("base"));
    mockDirectCommit(scope, push, ["clusters/production/db.yaml"]);
    const tampered = pushRecord(sha("base"), push.sha, [push.sha]);
    (tampered as unknown as { compliant: boolean }).compliant = true;
    mockCheckRuns(scope, push.sha, [checkRun(8, push.sha, renderAuditComment(tampered))]);

    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    expect(rowsOf(r.stdout)).toEqual([
      expect.objectContaining({ kind: "push", missing: false, digest_ok: false, signature_ok: false, problems: ["digest mismatch", "signature does not verify"] }),
    ]);
    expect(r.stderr).toContain("0 merged pull requests and 1 direct push reached an environment: 1 with records, 0 missing, 1 failing verification");
    const verified = await run(["audit", "verify", "--public-key", appPub, "-"], r.stdout);
    expect(verified.stdout).toContain(`FAIL acme/gitops@${push.sha.slice(0, 7)}: digest mismatch`);
  });

  test("a push without a check run: its record is taken from the app's exception issue, listed once per export", async () => {
    const scope = github();
    const older: ChainCommit = { sha: sha("push-a"), date: "2026-11-20T10:00:00Z", parents: [sha("base")], committer: "erin" };
    const newer: ChainCommit = { sha: sha("push-b"), date: "2026-11-25T10:00:00Z", parents: [older.sha], committer: "erin" };
    mockPullList(scope, []);
    mockBranches(scope, newer.sha, [newer, older]);
    mockPoliciesAt(scope, older.sha);
    mockDirectCommit(scope, newer, ["clusters/production/db.yaml"]);
    mockCheckRuns(scope, newer.sha, []);
    mockPoliciesAt(scope, sha("base"));
    mockDirectCommit(scope, older, ["clusters/production/api.yaml"]);
    mockCheckRuns(scope, older.sha, []);
    // the older push's exception issue, and a person's copy of it
    const pushed = pushRecord(sha("base"), older.sha, [older.sha]);
    const body = `${exceptionMarker(`acme/gitops@${sha("base")}..${older.sha}`)}\n### Compliance exception\n\nThis direct push reached production without approval.\n\n${recordBlock(pushed, false)}`;
    const issue = (number: number, user: { login: string; type: string }): Record<string, unknown> => ({
      number,
      html_url: `https://github.com/acme/gitops/issues/${number}`,
      title: "Compliance exception",
      state: "open",
      labels: [{ name: "compliance-exception" }],
      user: { login: user.login, type: user.type },
      body,
    });
    mockRepository(scope, [issue(12, { login: "mallory", type: "User" }), issue(13, APP_BOT)]);

    mockVerdictScan(scope);
    const r = await run([...ARGS, "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    expect(rowsOf(r.stdout)).toEqual([
      expect.objectContaining({
        merge_commit_sha: older.sha,
        record: pushed,
        missing: false,
        digest_ok: true,
        signature_ok: true,
        problems: [
          "ignored an audit marker in https://github.com/acme/gitops/issues/12: @mallory is not a GitHub App",
          "no compliance/audit check run holds its record: exported the copy in its exception issue",
        ],
      }),
      expect.objectContaining({ merge_commit_sha: newer.sha, record: null, missing: true, problems: ["no audit record"] }),
    ]);
  });

  test("paging stops at the first pull request updated before the period", async () => {
    const scope = github();
    mockRepository(scope);
    // 100 closed, unmerged pull requests updated in the period; then #40, updated before it.
    const unmerged = Array.from({ length: 100 }, (_, i): PullSpec => ({ number: 100 + i, merged_at: null, updated_at: "2026-11-20T10:00:00Z" }));
    mockPullList(scope, [...unmerged, P40, { number: 39, merged_at: "2026-10-01T00:00:00Z" }], { pages: 3 });
    // Pages 1 and 2 are read; page 3 never is. Page 1 once more, for pull requests updated meanwhile.
    scope.get(`${REPO_PATH}/pulls`).query({ state: "closed", sort: "updated", direction: "desc", per_page: "100", page: "1" }).reply(200, unmerged.map(listedPull));

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(scope.pendingMocks()).toEqual([`GET https://api.github.com:443${REPO_PATH}/pulls`]);
  });

  test.each([false, true])("progress on stderr for long exports (--quiet %s)", async (quiet) => {
    const scope = github();
    mockRepository(scope);
    const specs = Array.from({ length: 26 }, (_, i): PullSpec => ({ number: 200 + i, merged_at: `2026-11-${String(2 + i).padStart(2, "0")}T10:00:00Z` }));
    mockPullList(scope, specs);
    for (const spec of specs) mockMerged(scope, spec, [comment(spec.number, spec.number, renderAuditComment(record(spec.number)))]);

    const r = await run([...ARGS, "--skip-pushes", ...(quiet ? ["--quiet"] : [])], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(rowsOf(r.stdout)).toHaveLength(26);
    if (quiet) {
      expect(r.stderr).toBe("");
    } else {
      expect(r.stderr).toContain("checked 25 of 26 merged pull requests…\n");
      expect(r.stderr).toContain("26 merged pull requests reached an environment (direct pushes not scanned): 26 with records, 0 missing");
      // 1 for the repository, 1 for the list, 2 for each pull request, 1 for the exception issues (enforcement gaps)
      expect(r.stderr).toContain("55 GitHub requests.");
    }
  });

  test("--format csv: a header, a line per row, RFC 4180 quoting, no formulas", async () => {
    const scope = github();
    const title = '=HYPERLINK("https://evil.example","click"), then\nmore';
    mockRepository(scope);
    mockPullList(scope, [P41, { ...P43, title: "-1+1" }]);
    const r41 = record(41, { merged_at: P41.merged_at as string });
    mockMerged(scope, { ...P41, title }, [comment(2, 41, renderAuditComment(r41))]);
    mockMerged(scope, { ...P43, title: "@SUM(A1:A2)" }, []);
    mockJudged(scope, P43, ["clusters/production/api.yaml"]);

    const r = await run([...ARGS, "--skip-pushes", "--format", "csv", "--public-key", appPub], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    // RFC 4180: lines end with CRLF; a line break inside a quoted field is data
    const lines = r.stdout.split("\r\n");
    expect(lines[0]).toBe(
      "repository,kind,pull_request,title,merged_at,merged_by,merge_commit_sha,url,environments,compliant,break_glass,approvers,policy_commit,digest,digest_ok,signature_ok,missing,problems,enforcement_gap",
    );
    expect(lines[0]?.split(",")).toEqual([...CSV_COLUMNS]);
    const m41 = sha("merge41");
    const head = knownRecord().head_sha;
    expect(lines[1]).toBe(
      `acme/gitops,merge,41,"'=HYPERLINK(""https://evil.example"",""click""), then\nmore",2026-11-10T10:00:00Z,dave,${m41},https://github.com/acme/gitops/pull/41,` +
        `production=approved,true,false,production/SRE approves cluster changes:alice@${head};production/SRE approves cluster changes:bob@${head},` +
        `${r41.policy.commit},${r41.digest},true,true,false,,`,
    );
    expect(lines[2]).toBe(
      `acme/gitops,merge,43,'@SUM(A1:A2),2026-11-25T10:00:00Z,dave,${sha("merge43")},https://github.com/acme/gitops/pull/43,production=missing,,,,,,,,true,no audit record,`,
    );
    expect(lines[3]).toBe("");
    expect(lines).toHaveLength(4);
  });

  test("a merge inside an enforcement gap the app's exception issue records is flagged (SPEC §5); a person's look-alike and an edited record are not", async () => {
    const scope = github();
    const gapIssue = (number: number, user: { login: string; type: string }, body: string): Record<string, unknown> => ({
      number,
      html_url: `https://github.com/acme/gitops/issues/${number}`,
      title: "Compliance exception: required checks weakened on main by mallory",
      state: "open",
      created_at: "2026-11-25T10:02:00Z",
      labels: [{ name: "compliance-exception" }],
      user,
      body,
    });
    const sealed = (from: string, until: string, by = "mallory"): GapRecord =>
      sealGap({ version: 1, repository: "acme/gitops", branches: ["main"], from, until, restored: true, found_at: from, by, event: "repository_ruleset.deleted", what: ["compliance/production was not required on main"] });
    const real = sealed("2026-11-25T09:59:00.000Z", "2026-11-25T10:01:00.000Z");
    mockRepositoryWithThreeMerges(scope, {
      pushes: false,
      appIssues: [
        gapIssue(14, APP_BOT, gapBlock({ ...sealed("2026-11-20T09:00:00.000Z", "2026-11-20T11:00:00.000Z"), by: "alice" })),
        gapIssue(13, { login: "mallory", type: "User" }, gapBlock(sealed("2026-11-20T09:00:00.000Z", "2026-11-20T11:00:00.000Z", "alice"))),
        gapIssue(12, APP_BOT, `${exceptionMarker(`acme/gitops@enforcement:${real.from}`)}\n\n${gapBlock(real)}`),
      ],
    });
    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);
    expect(r.code).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    const rows = rowsOf(r.stdout);
    expect(rows.map((row) => [row.pull_request, row.enforcement_gap ?? null])).toEqual([
      [41, null],
      [42, null],
      [43, { from: "2026-11-25T09:59:00.000Z", until: "2026-11-25T10:01:00.000Z", by: "mallory", issue: "#12" }],
    ]);
    expect(rows[0]?.problems).toContain("an enforcement gap record could not be used (see the export's problems): a gap this merge landed in may be missing");
    expect(r.stderr).toContain("Problem: https://github.com/acme/gitops/issues/14: its enforcement gap record does not verify (digest mismatch)");
  });

  test("--output writes the file whole, through a temporary file, and nothing on stdout", async () => {
    const scope = github();
    mockRepositoryWithThreeMerges(scope, { pushes: false });
    const out = join(dir, "export-ok", "q4.jsonl");
    emptyDir(join(dir, "export-ok"));
    writeFileSync(out, "old contents\n");

    const r = await run([...ARGS, "--skip-pushes", "--output", out], "", undefined, TOKEN);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(rowsOf(readFileSync(out, "utf8")).map((row) => row.pull_request)).toEqual([41, 42, 43]);
    expect(readdirSync(join(dir, "export-ok"))).toEqual(["q4.jsonl"]);
    expect(r.stderr).toContain(`Wrote 3 rows to ${out}.`);
  });

  test("GitHub answering 502: exit 1, a message without a stack trace, no output file", async () => {
    const scope = github();
    mockRepository(scope);
    mockPullList(scope, [P41, P43]);
    mockMerged(scope, P41, []);
    scope.get(`${REPO_PATH}/pulls/43`).reply(502, "<html>Bad Gateway</html>");
    scope.get(`${REPO_PATH}/git/commits/${sha("merge41")}`).optionally().reply(200, { parents: [{ sha: sha("parent41") }] });
    mockPoliciesAt(scope, sha("parent41"));
    replyPages(scope, `${REPO_PATH}/pulls/41/files`, []);
    const outDir = join(dir, "export-502");
    emptyDir(outDir);
    const out = join(outDir, "q4.jsonl");

    const r = await run([...ARGS, "--skip-pushes", "--output", out], "", undefined, TOKEN);

    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("compliance-gate audit export: GitHub API error 502 while reading #43; nothing was written\n");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(outDir)).toEqual([]);
  });

  test("policies GitHub fails to read fail the export: no change is judged without them", async () => {
    const scope = github();
    mockUnrecorded43(scope);
    scope.get(`${REPO_PATH}/contents/policies`).query({ ref: sha("merge42") }).reply(502, "<html>Bad Gateway</html>");

    const r = await run([...ARGS, "--skip-pushes"], "", undefined, TOKEN);

    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`GitHub API error 502 while listing policies/ at ${sha("merge42").slice(0, 7)}`);
    expect(scope.pendingMocks()).toEqual([]);
  });

  test("a failed export leaves an existing output file as it was", async () => {
    const scope = github();
    scope.get(REPO_PATH).reply(502, "Bad Gateway");
    const outDir = join(dir, "export-keep");
    emptyDir(outDir);
    const out = join(outDir, "q4.jsonl");
    writeFileSync(out, "yesterday's export\n");

    const r = await run([...ARGS, "--output", out], "", undefined, TOKEN);

    expect(r.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("yesterday's export\n");
    expect(readdirSync(outDir)).toEqual(["q4.jsonl"]);
  });

  test("a 401 says what to check", async () => {
    github().get(REPO_PATH).reply(401, { message: "Bad credentials" });
    const r = await run(ARGS, "", undefined, TOKEN);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("GitHub API error 401 while reading acme/gitops: Bad credentials (is GITHUB_TOKEN valid, and not expired?)");
  });
});

/** An empty directory at `path`. */
function emptyDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
}

describe("compliance-gate audit export: usage", () => {
  test("the command list and the audit help name it", async () => {
    expect((await run(["--help"])).stdout).toContain("audit export --repo OWNER/NAME");
    expect((await run(["audit", "--help"])).stdout).toContain("compliance-gate audit export --repo OWNER/NAME");
  });

  test("--help explains the options, the default period and the exit codes", async () => {
    const r = await run(["audit", "export", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: compliance-gate audit export --repo OWNER/NAME");
    expect(r.stdout).toContain("default: 90 days before --until");
    expect(r.stdout).toContain("--app-login LOGIN");
    expect(r.stdout).toContain("Exits 0 when the export was written");
    expect(r.stdout).toContain("--repo acme/gitops \\\n    --since 2026-10-01");
  });

  test("without GITHUB_TOKEN: exit 2, and it says why", async () => {
    const r = await run(ARGS, "", undefined, {});
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^compliance-gate audit export: GITHUB_TOKEN is not set\./);
  });

  test.each<[string[], string]>([
    [["audit", "export"], "export needs --repo OWNER/NAME"],
    [["audit", "export", "--repo", "acme"], "--repo must be OWNER/NAME"],
    [["audit", "export", "--repo", "acme/gitops", "--since", "2026-12-01", "--until", "2026-11-01"], "--since (2026-12-01T00:00:00.000Z) must be before --until (2026-11-01T00:00:00.000Z)"],
    [["audit", "export", "--repo", "acme/gitops", "--since", "2027-01-01"], "must be before --until"],
    [["audit", "export", "--repo", "acme/gitops", "--since", "yesterday"], "--since must be a date (YYYY-MM-DD"],
    [["audit", "export", "--repo", "acme/gitops", "--until", "2026-02-30"], "--until must be a date"],
    [["audit", "export", "--repo", "acme/gitops", "--format", "xlsx"], "--format must be jsonl or csv"],
    [["audit", "export", "--repo", "acme/gitops", "--app-login", "not a login"], "--app-login must be the app's bot login"],
    [["audit", "export", "--repo", "acme/gitops", "--api-url", "ftp://x"], "--api-url must be an http(s) URL"],
    [["audit", "export", "--repo", "acme/gitops", "extra"], "export takes no arguments"],
  ])("%j: usage error, exit 2", async (argv, message) => {
    const r = await run(argv, "", undefined, TOKEN);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("Usage: compliance-gate audit export");
  });

  test("an unreadable public key or output: exit 2 before any request", async () => {
    const key = await run([...ARGS, "--public-key", join(dir, "nope.pub")], "", undefined, TOKEN);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain("--public-key");
    const out = await run([...ARGS, "--output", join(dir, "no", "such", "dir", "x.jsonl")], "", undefined, TOKEN);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("cannot write there: no such directory");
  });

  test.each<[string, string]>([
    ["2026-11-01", "2026-11-01T00:00:00.000Z"],
    ["2026-11-01T09:30:00Z", "2026-11-01T09:30:00.000Z"],
    ["2026-11-01T09:30:00.250+01:00", "2026-11-01T08:30:00.250Z"],
    ["2026-11-01 09:30:00z", "2026-11-01T09:30:00.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
  ])("date %s is %s", (text, expected) => {
    expect(new Date(parseExportDate("--since", text)).toISOString()).toBe(expected);
  });

  test.each(["2026-11-31", "2026-13-01", "2026-11-01T24:00:00Z", "2026-11-01T09:30:00", "2026-11-01T09:30Z", "20261101"])("date %s is refused", (text) => {
    expect(() => parseExportDate("--since", text)).toThrow("--since must be a date");
  });
});
