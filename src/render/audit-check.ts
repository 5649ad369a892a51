// The `compliance/audit` check run of a direct push (SPEC §4.3): a title and summary saying what
// was recorded, and the text that holds the audit record (github/audit-check.ts posts it).
import type { AuditRecord } from "../audit/record.js";
import { recordBlock, renderAuditComment, type AuditCommentExtra } from "./audit-comment.js";
import { sizeOf } from "./fit.js";
import { MAX_CHECK_TEXT } from "./limits.js";

/** The title and summary of a direct push's compliance/audit check. */
export function auditCheckHeadline(
  record: AuditRecord,
  push: { commits: number; notApproved: readonly string[]; issue: number | undefined },
): { title: string; summary: string } {
  return {
    title: record.compliant ? "Direct push: recorded" : `Direct push: compliance violation (${push.notApproved.join(", ")})`,
    summary:
      `${push.commits} commit${push.commits === 1 ? "" : "s"} of this push belong to no merged pull request. ` +
      `The audit record is below (digest \`${record.digest}\`).${push.issue !== undefined ? ` Exception: #${push.issue}.` : ""}`,
  };
}

/**
 * The check run's text: the audit comment's body, or — when that does not fit GitHub's limit on
 * a check run's text (in UTF-8 bytes, as GitHub counts) — the record block alone, compact; null when not even that fits, as a
 * record cut short would not verify.
 */
export function auditCheckText(record: AuditRecord, extra: AuditCommentExtra): string | null {
  const rendered = renderAuditComment(record, extra);
  if (sizeOf(rendered) <= MAX_CHECK_TEXT) return rendered;
  const compact = recordBlock(record, false);
  return sizeOf(compact) <= MAX_CHECK_TEXT ? compact : null;
}
