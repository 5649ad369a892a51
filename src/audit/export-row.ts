// One row of an audit export (SPEC §6.4): a change that reached an environment, its record if
// there is one, and whether that record verifies — the auditor's population, one row each.
import type { KeyObject } from "node:crypto";
import type { GapFlag } from "./enforcement-gap.js";
import type { AuditRecord } from "./record.js";
import type { VerdictRecord } from "./verdict-record.js";
import { verifyRecord } from "./seal.js";

/** The change a row is about, as GitHub lists it (independently of any record). */
export interface ExportedChange {
  repository: string;
  /** A merged pull request, a direct push, or a verdict of SPEC §8: a deployment answered, a revision applied, a chain re-baselined. */
  kind: "merge" | "push" | "deployment" | "applied" | "rebaseline";
  /** Null for a direct push. */
  pull_request: number | null;
  /** The PR's title; null for a push; for a verdict, what it was (`deployment to production: rejected`). */
  title: string | null;
  /** When it landed: the PR's merge time, or the push's time. */
  merged_at: string;
  /** Who landed it: the merger, or the pusher; null when GitHub does not say. */
  merged_by: string | null;
  /** The commit that landed: the merge commit, or the push's head (`after`). */
  merge_commit_sha: string;
  /** The PR's (or the audit comment's) web address, when known. */
  url: string | null;
  /**
   * Only on a change without a record: the environments the export found it touched, judged by
   * the policies at its parent commit — what the missing record should have listed.
   */
  environments?: string[];
  /**
   * Only on a merge that landed while its branch was not guarded as its policies require (SPEC §5):
   * the gap, as its exception issue records it — found at export time, so also for merges recorded before the gap was.
   */
  enforcement_gap?: GapFlag;
  /** Only on a verdict's row: the environment it judged (its label names it). */
  environment?: string;
}

/** A row of `audit export --format jsonl`: the change, and its record or why there is none. */
export interface AuditExportRow extends ExportedChange {
  /** The audit record as found; null when none exists. */
  record: AuditRecord | VerdictRecord | null;
  /** Null when there is no record. */
  digest_ok: boolean | null;
  /** Null when there is no record or no public key was given. */
  signature_ok: boolean | null;
  /** True when the change has no audit record: a gap the auditor must see. */
  missing: boolean;
  /** What failed verifying the record, or "no audit record". */
  problems: string[];
}

/** The export row of `change` with `record` (or null), verified now — with `publicKey`, signatures too. */
export function buildExportRow(change: ExportedChange, record: AuditRecord | VerdictRecord | null, publicKey?: string | Buffer | KeyObject): AuditExportRow {
  if (record === null) {
    return { ...change, record: null, digest_ok: null, signature_ok: null, missing: true, problems: ["no audit record"] };
  }
  const v = verifyRecord(record, publicKey);
  return { ...change, record, digest_ok: v.digest_ok, signature_ok: v.signature_ok, missing: false, problems: v.problems };
}

/**
 * Whether a parsed JSON object is an export row rather than a record: it has a `record` member,
 * which no record has, and no record `version`.
 */
export function isExportRow(value: Record<string, unknown>): boolean {
  return Object.hasOwn(value, "record") && !Object.hasOwn(value, "version");
}

/** `owner/name#42`, `owner/name@abc1234` or `owner/name@abc1234 deployment to production` for a row, from its own columns; null when they do not say. */
export function rowLabel(row: Record<string, unknown>): string | null {
  if (typeof row.repository !== "string") return null;
  if ((row.kind === "deployment" || row.kind === "applied" || row.kind === "rebaseline") && typeof row.merge_commit_sha === "string" && typeof row.environment === "string") {
    return `${row.repository}@${row.merge_commit_sha.slice(0, 7)} ${row.kind} to ${row.environment}`;
  }
  if (typeof row.pull_request === "number") return `${row.repository}#${row.pull_request}`;
  if (typeof row.merge_commit_sha === "string") return `${row.repository}@${row.merge_commit_sha.slice(0, 7)}`;
  return null;
}
