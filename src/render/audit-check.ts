// The `compliance/audit` check run of a direct push (SPEC §4.3), and of a merge (a copy of its
// record on the merge commit, where only the app can write): a title and summary saying what was
// recorded, and the text that holds the audit record (github/check-runs.ts posts it).
import type { AuditRecord, MergeRecord } from "../audit/record.js";
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

/** The title and summary of the compliance/audit check holding the copy of a merge's record on its merge commit. */
export function mergeCheckHeadline(record: MergeRecord): { title: string; summary: string } {
  const failing = record.environments.filter((e) => e.state !== "approved").map((e) => e.environment);
  return {
    title: record.compliant ? `Merge of #${record.pull_request}: recorded` : `Merge of #${record.pull_request}: compliance violation (${failing.join(", ")})`,
    summary:
      `The audit record of #${record.pull_request}, merged as this commit; its audit comment holds the same record. ` +
      `A check run is written by this app only, so this copy is the one deployments rely on (digest \`${record.digest}\`).`,
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
