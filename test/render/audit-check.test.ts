// The compliance/audit check of a direct push (SPEC §4.3): what its title and summary say, and a
// text that holds the record whole — the audit comment, or the record alone when that is too long.
import { sealRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecordBody } from "../../src/audit/record.js";
import { auditCheckHeadline, auditCheckText } from "../../src/render/audit-check.js";
import { recordBlock, renderAuditComment } from "../../src/render/audit-comment.js";
import { MAX_CHECK_TEXT } from "../../src/render/limits.js";
import { knownRecord } from "../audit/known-record.js";

function sealed(body: MergeRecordBody): AuditRecord {
  const result = sealRecord(body);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

/** A record whose compact block is `size` characters long, its title padded to get there. */
function recordOfSize(size: number): AuditRecord {
  const body = knownRecord();
  body.title = "";
  const bare = recordBlock(sealed(body), false).length;
  body.title = "x".repeat(size - bare);
  return sealed(body);
}

test("title and summary: recorded, or the environments not approved; the digest and the exception issue", () => {
  const record = sealed(knownRecord());
  expect(auditCheckHeadline(record, { commits: 1, notApproved: [], issue: undefined })).toEqual({
    title: "Direct push: recorded",
    summary: `1 commit of this push belong to no merged pull request. The audit record is below (digest \`${record.digest}\`).`,
  });
  const violation = sealed({ ...knownRecord(), compliant: false });
  expect(auditCheckHeadline(violation, { commits: 3, notApproved: ["production", "staging"], issue: 7 })).toEqual({
    title: "Direct push: compliance violation (production, staging)",
    summary: `3 commits of this push belong to no merged pull request. The audit record is below (digest \`${violation.digest}\`). Exception: #7.`,
  });
});

test("the text is the audit comment when it fits", () => {
  const record = sealed(knownRecord());
  expect(auditCheckText(record, { notes: ["n"] })).toBe(renderAuditComment(record, { notes: ["n"] }));
});

test("a comment over a check's limit gives way to the record alone, compact; a record that cannot fit gives null", () => {
  const big = recordOfSize(MAX_CHECK_TEXT - 10);
  expect(renderAuditComment(big).length).toBeGreaterThan(MAX_CHECK_TEXT);
  expect(auditCheckText(big, {})).toBe(recordBlock(big, false));
  expect(auditCheckText(recordOfSize(MAX_CHECK_TEXT + 1), {})).toBeNull();
});
