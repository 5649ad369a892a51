// The text of deployment verdicts (SPEC §8): the protection rule's comment, the check run holding a
// verdict record, the exception issue of an unapproved revision, and `audit trace` — snapshots, and
// the bounds each keeps.
import type { AppliedRecord, DeploymentRecord } from "../../src/audit/verdict-record.js";
import { sealRecord } from "../../src/audit/seal.js";
import { appliedException, appliedExceptionKey, brokenLinkException, brokenLinkKey, protectionComment, verdictCheckHeadline, verdictCheckText } from "../../src/render/deployment-verdict.js";
import { rebaselineAsked } from "../../src/audit/rebaseline.js";
import { MAX_PROTECTION_COMMENT } from "../../src/render/limits.js";
import { renderTrace, traceJson, type TraceView } from "../../src/render/trace.js";
import { parseAuditComment } from "../../src/audit/comment.js";

const sha = (c: string): string => c.repeat(40);
const CHAIN = {
  end: "baseline" as const,
  baseline: sha("5"),
  links: [
    { sha: sha("7"), status: "missing" as const, pull_request: null, record: null, reason: "7777777 was pushed directly and has no audit record" },
    { sha: sha("5"), status: "baseline" as const, pull_request: 8, record: "sha256:" + "b".repeat(64), reason: null },
  ],
};

function deployment(state: "approved" | "rejected", reasons: string[]): DeploymentRecord {
  const sealed = sealRecord({
    version: 1, kind: "deployment", repository: "acme/gitops", pull_request: null, environment: "production", github_environment: "production",
    sha: sha("7"), branch: "main", state, run_id: 101, deployment_id: 9, ref: "main", event: "push", requested_by: "carol", freeze: null, break_glass: false,
    policy: { commit: sha("7"), files: { "policies/production.yml": sha("f") } }, chain: CHAIN, reasons, compliant: state === "approved", evaluated_at: "2026-11-28T10:00:00Z",
  });
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record;
}

function applied(): AppliedRecord {
  const sealed = sealRecord({
    version: 1, kind: "applied", repository: "acme/gitops", pull_request: null, environment: "production", sha: sha("7"), branch: "main",
    reporter: { type: "status", context: "kustomization/apps-production/1f2e3d4c", id: 1, creator: "flux", target_url: null }, reported_at: "2026-11-28T10:02:00Z",
    policy: { commit: sha("7"), files: {} }, chain: CHAIN, reasons: ["7777777 was pushed directly and has no audit record"], compliant: false, evaluated_at: "2026-11-28T10:02:01Z",
  });
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record;
}

test("the protection rule's comment: the verdict, what is missing, where the record is — cut to its bound", () => {
  expect(protectionComment(deployment("rejected", ["7777777 was pushed directly and has no audit record"]))).toMatchSnapshot();
  expect(protectionComment(deployment("approved", []))).toMatch(/^compliance-gate approves 7777777 for production: every change that reached it is approved\./);
  const long = protectionComment(deployment("rejected", Array.from({ length: 100 }, (_, i) => `reason ${i} `.repeat(5))));
  expect(long.length).toBeLessThanOrEqual(MAX_PROTECTION_COMMENT);
  expect(long.endsWith("…")).toBe(true);
});

test("the check run of a verdict: its headline, the chain, and the record whole", () => {
  const record = deployment("rejected", ["7777777 was pushed directly and has no audit record"]);
  expect(verdictCheckHeadline(record)).toMatchSnapshot();
  const text = verdictCheckText(record) as string;
  expect(text).toMatchSnapshot();
  const parsed = parseAuditComment(text);
  expect(parsed?.ok && parsed.record).toEqual(record);
});

test("the exception issue of an unapproved revision carries its marker and the record", () => {
  const record = applied();
  const key = appliedExceptionKey("acme/gitops", record.sha, "production");
  const issue = appliedException(record, key);
  expect(issue.title).toBe("Compliance exception: unapproved revision 7777777 running in production");
  expect(issue.body.split("\n")[0]).toBe(`<!-- compliance-gate:exception acme/gitops@${sha("7")} applied in production -->`);
  expect(issue.body).toMatchSnapshot();
});

test("the exception issue of a change that breaks the chain: its marker, the line that asks for a re-baseline, and the record", () => {
  const record = applied();
  const key = brokenLinkKey("acme/gitops", sha("7"), "production", "main");
  const issue = brokenLinkException(record, CHAIN.links[0] as never, key);
  expect(issue.title).toBe("Compliance exception: 7777777 breaks the approval chain of production on main");
  expect(issue.body.split("\n")[0]).toBe(`<!-- compliance-gate:exception acme/gitops@${sha("7")} breaks the chain of production on main -->`);
  expect(rebaselineAsked(issue.body)).toEqual({ environment: "production", branch: "main", sha: sha("7") });
  expect(issue.body).toMatchSnapshot();
});

test("audit trace: the text and the JSON of a broken chain", () => {
  const view: TraceView = {
    repository: "acme/gitops",
    environment: "production",
    sha: sha("7"),
    branch: "main",
    branches: ["main"],
    policyCommit: sha("7"),
    chain: { links: CHAIN.links.map((l) => ({ ...l, title: l.pull_request === 8 ? "Bump api" : null })), end: "baseline", baseline: sha("5"), complete: false, problems: ["7777777 was pushed directly and has no audit record"] },
    read: new Map([
      [sha("7"), { records: [], verdicts: [applied() as unknown as Record<string, unknown>] }],
      [sha("5"), { records: [], verdicts: [{ ...(deployment("approved", []) as unknown as Record<string, unknown>), sha: sha("5"), digest: "sha256:" + "b".repeat(64) }] }],
    ]),
    warnings: ["https://github.com/acme/gitops/runs/9: ignored an audit marker: written by @github-actions[bot], not by @compliance-gate[bot]"],
    ok: false,
    problems: ["7777777 was pushed directly and has no audit record"],
  };
  expect(renderTrace(view)).toMatchSnapshot();
  expect(traceJson(view)).toMatchObject({ ok: false, end: "baseline", baseline: sha("5"), links: [{ sha: sha("7"), status: "missing" }, { sha: sha("5"), status: "baseline", pull_request: 8 }] });
});

test("audit trace: control characters from records (a PR title, a status context) are shown escaped, never sent to the terminal", () => {
  const record = { ...applied(), reporter: { type: "status", context: "kustomization/x\u001b[2J\r", id: 1, creator: "flux", target_url: null } };
  const view: TraceView = {
    repository: "acme/gitops",
    environment: "production",
    sha: sha("7"),
    branch: "main",
    branches: ["main"],
    policyCommit: sha("7"),
    chain: { links: [{ sha: sha("7"), status: "approved", pull_request: 9, title: "Bump\u001b]0;pwned\u0007 api\u202e", record: null, reason: null }], end: "origin", baseline: null, complete: true, problems: [] },
    read: new Map([[sha("7"), { records: [], verdicts: [record as unknown as Record<string, unknown>] }]]),
    ok: true,
    problems: [],
    warnings: [],
  };
  const text = renderTrace(view);
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/u);
  expect(text).toContain("#9 Bump\\u{1b}]0;pwned\\u{7} api\\u{202e}");
  expect(text).toContain("kustomization/x\\u{1b}[2J\\u{d}");
});
