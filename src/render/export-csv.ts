// An audit export as CSV (SPEC §6.4): one line per change with its record flattened, quoted as
// RFC 4180 says and safe to open in a spreadsheet (no cell is read as a formula).
import type { AuditExportRow } from "../audit/export-row.js";

/** The columns of `audit export --format csv`, in order. */
export const CSV_COLUMNS = [
  "repository",
  "kind",
  "pull_request",
  "title",
  "merged_at",
  "merged_by",
  "merge_commit_sha",
  "url",
  "environments",
  "compliant",
  "break_glass",
  "approvers",
  "policy_commit",
  "digest",
  "digest_ok",
  "signature_ok",
  "missing",
  "problems",
  "enforcement_gap",
] as const;

type Cell = string | number | boolean | null;

/** Spreadsheets run a cell starting with one of these as a formula (CSV injection, OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: a cell that a spreadsheet would take for a formula gets a leading `'`; a field
 * holding a quote, comma or line break is quoted, its quotes doubled (RFC 4180). Null is empty.
 */
export function csvField(value: Cell): string {
  let text = value === null ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objects(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function str(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "";
}

/** `env/rule:login@commit` for each approval that counted, and `env/break glass:…` for break glass. */
function approvers(environments: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  for (const env of environments) {
    const name = str(env.environment);
    for (const rule of objects(env.rules)) {
      for (const a of objects(rule.approved_by)) out.push(`${name}/${str(rule.name)}:${str(a.login)}@${str(a.commit)}`);
    }
    for (const a of objects(env.break_glass_approved_by)) out.push(`${name}/break glass:${str(a.login)}@${str(a.commit)}`);
  }
  return out;
}

/**
 * The cells of one row, in CSV_COLUMNS order. The record is read defensively: a tampered record
 * may have any shape, and its row must still print (its digest_ok says it is not to be trusted).
 */
export function csvCells(row: AuditExportRow): Cell[] {
  const record: Record<string, unknown> | null = isObject(row.record) ? (row.record as unknown as Record<string, unknown>) : null;
  const envs = objects(record?.environments);
  const verdict = record !== null && (record.kind === "deployment" || record.kind === "applied" || record.kind === "rebaseline");
  const verdictState = record?.kind === "deployment" ? str(record.state) : record?.kind === "rebaseline" ? "accepted" : record?.compliant === true ? "approved" : "unapproved";
  const environments = verdict
    ? [`${str(record.environment)}=${verdictState}`]
    : record
      ? envs.map((e) => `${str(e.environment)}=${str(e.state)}`)
      : (row.environments ?? []).map((name) => `${name}=missing`);
  const policy = isObject(record?.policy) ? record.policy : null;
  const bool = (value: unknown): boolean | null => (typeof value === "boolean" ? value : null);
  return [
    row.repository,
    row.kind,
    row.pull_request,
    row.title,
    row.merged_at,
    row.merged_by,
    row.merge_commit_sha,
    row.url,
    environments.join(";"),
    record ? bool(record.compliant) : null,
    record ? envs.some((e) => e.break_glass === true) : null,
    approvers(envs).join(";"),
    policy && typeof policy.commit === "string" ? policy.commit : null,
    record && typeof record.digest === "string" ? record.digest : null,
    row.digest_ok,
    row.signature_ok,
    row.missing,
    row.problems.join("; "),
    row.enforcement_gap ? `${row.enforcement_gap.from ?? "start unknown"}..${row.enforcement_gap.until}${row.enforcement_gap.issue !== null ? ` ${row.enforcement_gap.issue}` : ""}` : null,
  ];
}

/** The CSV text of `rows`: a header line, then one line per row; lines end with CRLF (RFC 4180). */
export function exportCsv(rows: readonly AuditExportRow[]): string {
  const lines = [CSV_COLUMNS.join(","), ...rows.map((row) => csvCells(row).map(csvField).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}
