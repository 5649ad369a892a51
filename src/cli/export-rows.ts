// The rows of an audit export (SPEC §6.4), one per change found in the population
// (render/export-summary.ts says what they hold when the export is done).
import type { KeyObject } from "node:crypto";
import { buildExportRow, type AuditExportRow } from "../audit/export-row.js";
import type { AuditRecord } from "../audit/record.js";
import { verifyRecord } from "../audit/seal.js";
import type { FoundChange } from "../audit/population.js";
import type { Population } from "../app/audit-export.js";
import { compareCodePoints } from "../policy/code-point-order.js";

/**
 * The row of one found change. Of several records on one change the first that verifies is
 * exported (several mean something is off, and the row says so). A record listing no
 * environment leaves its change out — unless it does not verify, for then what it lists cannot
 * be believed: a change hidden by editing its record must still show.
 */
function rowOf(found: FoundChange, key: KeyObject | undefined): AuditExportRow | null {
  if (found.records.length === 0) {
    const change = found.environments !== null ? { ...found.change, environments: found.environments } : found.change;
    const row = buildExportRow(change, null, key);
    return { ...row, problems: [...row.problems, ...found.problems] };
  }
  const checked = found.records.map((f) => ({ found: f, ok: verifyRecord(f.record, key).ok }));
  const chosen = checked.find((c) => c.ok) ?? (checked[0] as (typeof checked)[number]);
  const problems = [...found.problems];
  if (checked.length > 1) problems.push(`${checked.length} audit records found; exported the one in ${chosen.found.comment}`);
  const environments = chosen.found.record.environments;
  if (Array.isArray(environments) && environments.length === 0 && chosen.ok) return null;
  const row = buildExportRow(found.change, chosen.found.record as unknown as AuditRecord, key);
  return { ...row, problems: [...row.problems, ...problems] };
}

function byLanding(a: AuditExportRow, b: AuditExportRow): number {
  const at = (Date.parse(a.merged_at) || 0) - (Date.parse(b.merged_at) || 0);
  if (at !== 0) return at;
  const number = (a.pull_request ?? Number.MAX_SAFE_INTEGER) - (b.pull_request ?? Number.MAX_SAFE_INTEGER);
  if (number !== 0) return number;
  return compareCodePoints(a.merge_commit_sha, b.merge_commit_sha);
}

/** The export's rows, sorted by when each change landed, then by pull request number. */
export function exportRows(population: Population, key?: KeyObject): AuditExportRow[] {
  return population.changes.flatMap((found) => rowOf(found, key) ?? []).sort(byLanding);
}
