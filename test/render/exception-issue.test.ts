// The exception issue (SPEC §4.3): its title and body, as snapshots; strings from people escaped,
// only the approvers asked for the retrospective @mentioned, and the sealed record copied whole.
import { parseAuditComment } from "../../src/audit/comment.js";
import { sealRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecordBody } from "../../src/audit/record.js";
import { exceptionBody, exceptionTitle, type ExceptionReport } from "../../src/render/exception-issue.js";
import { knownRecord } from "../audit/known-record.js";

function sealed(body: MergeRecordBody): AuditRecord {
  const result = sealRecord(body);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

const pending = {
  environment: "production",
  state: "pending" as const,
  break_glass: false,
  title: "Waiting for 1 approval from @acme/sre",
  missing: [{ name: "SRE approves *cluster* changes", required: 2, missing: 1, needed: "@acme/sre" }],
  freeze: null,
};

function report(overrides: Partial<ExceptionReport> = {}): ExceptionReport {
  const body = knownRecord();
  body.title = "Bump @everyone's api <img src=x>";
  body.compliant = false;
  return {
    key: "acme/gitops#42",
    record: sealed(body),
    violations: [pending],
    breakGlass: [],
    reviewers: ["alice", "acme/sre"],
    changeUrl: "https://github.com/acme/gitops/pull/42",
    recordUrl: "https://github.com/acme/gitops/pull/42",
    ...overrides,
  };
}

test("a violation", () => {
  const r = report();
  expect(exceptionTitle(r)).toMatchSnapshot();
  const body = exceptionBody(r);
  expect(body).toMatchSnapshot();
  expect(body.split("\n")[0]).toBe("<!-- compliance-gate:exception acme/gitops#42 -->");
  // Nobody is notified by the PR's title; the approvers are.
  expect(body.slice(0, body.indexOf("<!-- compliance-gate:audit"))).not.toContain("@everyone");
  expect(body).toContain("@alice, @acme/sre: please review");
  const copy = parseAuditComment(body);
  expect(copy?.ok && copy.record["digest"]).toBe(r.record.digest);
});

test("break glass", () => {
  const r = report({ violations: [], breakGlass: [{ ...pending, state: "approved", break_glass: true, title: "Approved by break glass (label emergency)", missing: [] }] });
  expect(exceptionTitle(r)).toMatchSnapshot();
  expect(exceptionBody(r)).toMatchSnapshot();
});

test("a record too large for the description keeps the record whole and says what was left out", () => {
  const r = report({ violations: Array.from({ length: 2000 }, (_, i) => ({ ...pending, environment: `env-${i}` })) });
  const body = exceptionBody(r);
  expect(Buffer.byteLength(body)).toBeLessThanOrEqual(65_536);
  expect(body).toContain("left out to fit GitHub's size limit");
  expect(parseAuditComment(body)?.ok).toBe(true);
});
