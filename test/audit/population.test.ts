// The population of an audit export, decided over listed data: tables, no HTTP.
import { AUDIT_MARKER } from "../../src/audit/comment.js";
import { recordBlock } from "../../src/render/audit-comment.js";
import { exceptionMarker } from "../../src/audit/exception-marker.js";
import {
  coveredCommits,
  firstParentChain,
  gatedBranches,
  inPeriod,
  judgingCommitOfMerge,
  landedBy,
  mergeChange,
  mergeCommitsByBranch,
  mergedInto,
  pushChange,
  pushRecordCovers,
  recordsInCheckRuns,
  recordsInComments,
  recordsInExceptionIssues,
  recordsOfCommit,
  recordsOfPull,
  type Findings,
  type FoundRecord,
  type ListedCheckRun,
  type ListedComment,
  type ListedCommit,
  type ListedIssue,
} from "../../src/audit/population.js";
import type { UnsealedRecord } from "../../src/audit/record.js";
import { invalid, policy, policySet, rule } from "../engine/build.js";
import { knownRecord } from "./known-record.js";

const APP = "compliance-gate[bot]";
const BOT = { login: APP, type: "Bot" };
const HUMAN = { login: "mallory", type: "User" };
const PERIOD = { since: Date.parse("2026-11-01T00:00:00Z"), until: Date.parse("2026-12-01T00:00:00Z") };

const sha = (c: string): string => c.repeat(40);
const block = (record: Record<string, unknown>): string => recordBlock(record as unknown as UnsealedRecord, false);

/** The record of PR #42 of acme/gitops. */
const MERGE_42 = knownRecord() as unknown as Record<string, unknown>;
/** A push record: before 0…, after c…, with commits b… and c…. */
const PUSH = { version: 1, kind: "push", repository: "acme/gitops", before: sha("0"), after: sha("c"), commits: [{ sha: sha("b") }, { sha: sha("c") }] };

describe("inPeriod", () => {
  test.each([
    ["2026-11-01T00:00:00Z", true],
    ["2026-11-30T23:59:59Z", true],
    ["2026-12-01T00:00:00Z", false],
    ["2026-10-31T23:59:59Z", false],
    [null, false],
    [undefined, false],
    ["not a date", false],
  ])("%s: %s", (at, expected) => {
    expect(inPeriod(at, PERIOD)).toBe(expected);
  });
});

describe("recordsInComments", () => {
  const comment = (id: number, body: string | null, author: ListedComment["author"] = BOT, url: string | null = `https://github.com/acme/gitops/pull/42#issuecomment-${id}`): ListedComment => ({ id, url, author, body });

  test.each<[string, ListedComment[], string | undefined, { records: string[]; problems: string[] }]>([
    ["the app's comment holds the record", [comment(1, `Summary\n\n${block(MERGE_42)}`)], APP, { records: ["https://github.com/acme/gitops/pull/42#issuecomment-1"], problems: [] }],
    ["comments without a marker are skipped", [comment(1, "LGTM"), comment(2, null)], APP, { records: [], problems: [] }],
    [
      "a human's copy of the marker is a forgery, said so",
      [comment(3, block(MERGE_42), HUMAN)],
      APP,
      { records: [], problems: ["ignored an audit marker in https://github.com/acme/gitops/pull/42#issuecomment-3: @mallory is not a GitHub App"] },
    ],
    [
      "another app's, when the app is pinned",
      [comment(4, block(MERGE_42), { login: "other[bot]", type: "Bot" })],
      APP,
      { records: [], problems: ["ignored an audit marker in https://github.com/acme/gitops/pull/42#issuecomment-4: @other[bot] is not @compliance-gate[bot]"] },
    ],
    ["any app's, when none is pinned", [comment(5, block(MERGE_42), { login: "other[bot]", type: "Bot" })], undefined, { records: ["https://github.com/acme/gitops/pull/42#issuecomment-5"], problems: [] }],
    ["without a web address, the comment's id", [comment(6, block(MERGE_42), BOT, null)], APP, { records: ["comment 6"], problems: [] }],
    [
      "an unreadable record, said so",
      [comment(7, `${AUDIT_MARKER}\n\`\`\`json\n{ nope\n\`\`\``)],
      APP,
      { records: [], problems: [expect.stringMatching(/^unreadable audit record in https:\/\/github.com\/acme\/gitops\/pull\/42#issuecomment-7: the audit record is not valid JSON/) as unknown as string] },
    ],
    ["a marker-looking word without a marker line is no record", [comment(8, "see compliance-gate:audit docs")], APP, { records: [], problems: [] }],
  ])("%s", (_name, comments, app, expected) => {
    const found = recordsInComments(comments, app);
    expect({ records: found.records.map((f) => f.comment), problems: found.problems }).toEqual(expected);
  });

  test("two records in one comment are both found, in order", () => {
    const found = recordsInComments([comment(9, `${block(MERGE_42)}\n\n${block({ ...MERGE_42, pull_request: 43 })}`)], APP);
    expect(found.records.map((f) => f.record.pull_request)).toEqual([42, 43]);
  });
});

describe("recordsInCheckRuns", () => {
  const run = (id: number, app: string | null, text: string | null = block(PUSH)): ListedCheckRun => ({ id, url: `https://github.com/acme/gitops/runs/${id}`, app, text });

  test.each<[string, ListedCheckRun[], string | undefined, { records: string[]; problems: string[] }]>([
    ["the pinned app's run", [run(1, "compliance-gate")], APP, { records: ["https://github.com/acme/gitops/runs/1"], problems: [] }],
    [
      "any app's when none is pinned, saying which",
      [run(2, "other")],
      undefined,
      { records: ["https://github.com/acme/gitops/runs/2"], problems: ["https://github.com/acme/gitops/runs/2 was written by @other[bot] (pass --app-login to accept only the app's records)"] },
    ],
    ["another app's when one is pinned", [run(3, "other")], APP, { records: [], problems: ["ignored an audit marker in https://github.com/acme/gitops/runs/3: @other[bot] is not @compliance-gate[bot]"] }],
    ["no app named", [run(4, null)], undefined, { records: [], problems: ["ignored an audit marker in https://github.com/acme/gitops/runs/4: GitHub names no app that wrote it"] }],
    ["no output text", [run(5, "compliance-gate", null)], APP, { records: [], problems: [] }],
  ])("%s", (_name, runs, app, expected) => {
    const found = recordsInCheckRuns(runs, app);
    expect({ records: found.records.map((f) => f.comment), problems: found.problems }).toEqual(expected);
  });
});

describe("recordsInExceptionIssues", () => {
  const marked = (key: string, record: Record<string, unknown> = PUSH): string => `${exceptionMarker(key)}\n### Compliance exception\n\n${block(record)}`;
  const issue = (number: number, body: string, author: ListedIssue["author"] = BOT): ListedIssue => ({ number, url: `https://github.com/acme/gitops/issues/${number}`, author, body });
  const about = (s: string) => ({ repository: "Acme/GitOps", names: ["acme/gitops", "Acme/GitOps"], sha: s });

  test.each<[string, ListedIssue[], string, { records: string[]; problems: string[] }]>([
    ["the push's own issue, for its head", [issue(1, marked(`acme/gitops@${sha("0")}..${sha("c")}`))], sha("c"), { records: ["https://github.com/acme/gitops/issues/1"], problems: [] }],
    ["and for another of its commits", [issue(1, marked(`acme/gitops@${sha("0")}..${sha("c")}`))], sha("b"), { records: ["https://github.com/acme/gitops/issues/1"], problems: [] }],
    ["the marker as GitHub spells the repository, in any case", [issue(2, marked(`ACME/GITOPS@${sha("0")}..${sha("c")}`))], sha("c"), { records: ["https://github.com/acme/gitops/issues/2"], problems: [] }],
    ["a record the commit is not in", [issue(3, marked(`acme/gitops@${sha("0")}..${sha("c")}`))], sha("d"), { records: [], problems: [] }],
    ["a marker of another push", [issue(4, marked(`acme/gitops@${sha("1")}..${sha("c")}`))], sha("c"), { records: [], problems: [] }],
    ["no marker at all", [issue(5, block(PUSH))], sha("c"), { records: [], problems: [] }],
    [
      "a human's issue with the marker and the record",
      [issue(6, marked(`acme/gitops@${sha("0")}..${sha("c")}`), HUMAN)],
      sha("c"),
      { records: [], problems: ["ignored an audit marker in https://github.com/acme/gitops/issues/6: @mallory is not a GitHub App"] },
    ],
  ])("%s", (_name, issues, s, expected) => {
    const found = recordsInExceptionIssues(issues, about(s), APP);
    expect({ records: found.records.map((f) => f.comment), problems: found.problems }).toEqual(expected);
  });
});

const found = (...records: [string, Record<string, unknown>][]): Findings => ({ records: records.map(([comment, record]) => ({ comment, record })), problems: ["earlier"] });

test("recordsOfPull keeps the pull request's own records and reports the others", () => {
  const result = recordsOfPull(found(["c1", MERGE_42], ["c2", { ...MERGE_42, pull_request: 7 }], ["c3", { kind: "merge" }], ["c4", { ...MERGE_42, repository: "ACME/gitops" }]), "acme/GitOps", 42);
  expect(result).toEqual({
    records: [
      { comment: "c1", record: MERGE_42 },
      { comment: "c4", record: { ...MERGE_42, repository: "ACME/gitops" } },
    ],
    problems: ["earlier", "c2 holds the record of acme/gitops#7, not of #42: ignored", "c3 holds the record of no pull request, not of #42: ignored"],
  });
});

test("recordsOfCommit keeps the push records covering the commit and reports the others", () => {
  const result = recordsOfCommit(found(["r1", PUSH], ["r2", MERGE_42], ["r3", { ...PUSH, repository: "acme/other" }]), "acme/gitops", sha("b"));
  expect(result).toEqual({
    records: [{ comment: "r1", record: PUSH }],
    problems: ["earlier", "r2 holds a record that is not about commit bbbbbbb: ignored", "r3 holds a record that is not about commit bbbbbbb: ignored"],
  });
});

describe("pushRecordCovers", () => {
  test.each<[string, Record<string, unknown>, string, boolean]>([
    ["its head", PUSH, sha("c"), true],
    ["one of its commits", PUSH, sha("b"), true],
    ["its base is not in it", PUSH, sha("0"), false],
    ["a merge record", { ...MERGE_42, after: sha("c") }, sha("c"), false],
    ["another repository's push", { ...PUSH, repository: "acme/other" }, sha("c"), false],
    ["commits that are not objects", { ...PUSH, after: "x", commits: [null, "bbb", { sha: sha("b") }] }, sha("b"), true],
  ])("%s", (_name, record, s, expected) => {
    expect(pushRecordCovers(record, "ACME/gitops", s)).toBe(expected);
  });
});

test("coveredCommits: each record's head (else the row's commit) and its commits", () => {
  const records: FoundRecord[] = [
    { comment: "r1", record: PUSH },
    { comment: "r2", record: { kind: "push", commits: [{ sha: sha("e") }, { sha: 5 }, null] } },
  ];
  expect(coveredCommits(records, sha("f"))).toEqual([sha("c"), sha("b"), sha("c"), sha("f"), sha("e")]);
});

describe("judgingCommitOfMerge", () => {
  test.each<[string, { merge_commit_sha: string | null; base_sha?: string }, string | null, { commit: string | null; problems: string[] }]>([
    ["the merge commit's parent", { merge_commit_sha: sha("m"), base_sha: sha("b") }, sha("p"), { commit: sha("p"), problems: [] }],
    [
      "the merge commit could not be read",
      { merge_commit_sha: sha("m"), base_sha: sha("b") },
      null,
      { commit: sha("b"), problems: ["merge commit mmmmmmm could not be read: judged by the policies at the pull request's last base commit"] },
    ],
    ["no merge commit", { merge_commit_sha: null, base_sha: sha("b") }, null, { commit: sha("b"), problems: ["GitHub gives no merge commit: judged by the policies at the pull request's last base commit"] }],
    [
      "nothing known: listed anyway",
      { merge_commit_sha: null },
      null,
      {
        commit: null,
        problems: [
          "GitHub gives no merge commit: judged by the policies at the pull request's last base commit",
          "its base commit is unknown: listed as missing a record, since it may have touched an environment",
        ],
      },
    ],
  ])("%s", (_name, pull, parent, expected) => {
    expect(judgingCommitOfMerge(pull, parent)).toEqual(expected);
  });
});

test("mergeCommitsByBranch and mergedInto: what merged where", () => {
  const pulls = [
    { merged_at: "2026-11-02T00:00:00Z", merge_commit_sha: sha("1"), base: { ref: "main" } },
    { merged_at: "2026-11-03T00:00:00Z", merge_commit_sha: sha("1"), base: { ref: "release" } },
    { merged_at: null, merge_commit_sha: sha("2"), base: { ref: "main" } },
    { merged_at: "2026-11-04T00:00:00Z", merge_commit_sha: null, base: { ref: "main" } },
  ];
  expect(mergeCommitsByBranch(pulls)).toEqual(new Map([[sha("1"), new Set(["main", "release"])]]));
  expect(mergedInto(pulls.slice(2), "main")).toBe(true);
  expect(mergedInto(pulls.slice(2, 3), "main")).toBe(false);
  expect(mergedInto(pulls, "other")).toBe(false);
});

describe("gatedBranches", () => {
  const production = policy({ environment: "production", paths: ["clusters/production/**"], rules: [rule("SRE", ["**"], 1, { users: ["alice"] })] });
  const releases = policy({ environment: "staging", branches: ["release/*"], paths: ["clusters/staging/**"], rules: [] });
  const branches = ["release/2", "main", "feature", "release/1"];
  test.each([
    ["the default branch, for a policy without branches", policySet([production]), ["main"]],
    ["the branches a policy names, sorted", policySet([production, releases]), ["main", "release/1", "release/2"]],
    ["only named branches", policySet([releases]), ["release/1", "release/2"]],
    ["an invalid policy's branches are unknown: the default branch at least", policySet([releases], [invalid("x", [{ field: "rules", message: "required" }])]), ["main", "release/1", "release/2"]],
    ["no policies", policySet([]), []],
  ])("%s", (_name, set, expected) => {
    expect(gatedBranches(set, branches, "main")).toEqual(expected);
  });
});

describe("firstParentChain", () => {
  const commit = (c: string, parents: string[], at: string | null = "2026-11-10T00:00:00Z"): ListedCommit => ({
    sha: sha(c),
    url: null,
    parents: parents.map(sha),
    author: null,
    committer: null,
    committed_at: at,
  });
  // main: a ← b ← m (merge of b and the PR's x ← y) ← c; listed newest first, as GitHub does
  const listed = [commit("c", ["m"]), commit("m", ["b", "y"]), commit("y", ["x"]), commit("x", ["a"]), commit("b", ["a"]), commit("a", ["0"], "2026-10-30T00:00:00Z")];

  test.each<[string, ListedCommit[], string, string[]]>([
    ["first parents only, newest first, in the period", listed, sha("c"), ["c", "m", "b"]],
    ["from another tip", listed, sha("y"), ["y", "x"]],
    ["a tip that was not listed", listed, sha("z"), []],
    ["stops where the listing does", listed.slice(0, 2), sha("c"), ["c", "m"]],
    ["a cycle ends", [commit("p", ["q"]), commit("q", ["p"])], sha("p"), ["p", "q"]],
    ["a commit without a date is out of the period, but the chain goes on", [commit("p", ["q"], null), commit("q", [])], sha("p"), ["q"]],
  ])("%s", (_name, commits, tip, expected) => {
    expect(firstParentChain(commits, tip, PERIOD).map((c) => c.sha.slice(0, 1))).toEqual(expected);
  });
});

describe("landedBy", () => {
  const commit = (author: string | null, committer: string | null): ListedCommit => ({ sha: sha("a"), url: null, parents: [], author, committer, committed_at: null });
  test.each([
    ["the committer", commit("alice", "bob"), "bob"],
    ["the author of a web edit GitHub committed", commit("alice", "web-flow"), "alice"],
    ["the author of a web edit, in any case", commit("alice", "Web-Flow"), "alice"],
    ["the author when no committer is linked", commit("alice", null), "alice"],
    ["nobody known", commit(null, null), null],
  ])("%s", (_name, c, expected) => {
    expect(landedBy(c)).toBe(expected);
  });
});

test("mergeChange: the pull request as GitHub has it now, the list's merge time when it has none", () => {
  const pull = { number: 42, title: "Bump", html_url: "https://github.com/acme/gitops/pull/42", merged_at: null, merged_by: "dave", merge_commit_sha: null };
  expect(mergeChange("acme/gitops", pull, "2026-11-05T00:00:00Z")).toEqual({
    repository: "acme/gitops",
    kind: "merge",
    pull_request: 42,
    title: "Bump",
    merged_at: "2026-11-05T00:00:00Z",
    merged_by: "dave",
    merge_commit_sha: "",
    url: "https://github.com/acme/gitops/pull/42",
  });
});

test("pushChange: named by the push's head when a record says it, else by the commit", () => {
  const commit: ListedCommit = { sha: sha("b"), url: "https://github.com/acme/gitops/commit/b", parents: [sha("a")], author: "alice", committer: "web-flow", committed_at: "2026-11-10T00:00:00Z" };
  const expected = { repository: "acme/gitops", kind: "push", pull_request: null, title: null, merged_at: "2026-11-10T00:00:00Z", merged_by: "alice", url: "https://github.com/acme/gitops/commit/b" };
  expect(pushChange("acme/gitops", commit, [{ comment: "r", record: PUSH }])).toEqual({ ...expected, merge_commit_sha: sha("c") });
  expect(pushChange("acme/gitops", commit, [])).toEqual({ ...expected, merge_commit_sha: sha("b") });
  expect(pushChange("acme/gitops", { ...commit, committed_at: null, url: null }, [])).toEqual({ ...expected, merged_at: "", url: null, merge_commit_sha: sha("b") });
});
