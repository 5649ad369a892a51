// The rows of an audit export (SPEC §6.4), one per change found in the population, and the
// summary `audit export` prints on stderr when it is done.
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

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What an export says on stderr when it is done: how many changes of the period reached an
 * environment, with and without records and failing verification, and where it was written.
 */
export function exportSummary(
  rows: AuditExportRow[],
  population: Population,
  period: { since: number; until: number },
  key: KeyObject | undefined,
  writtenTo: string | undefined,
): string {
  const merges = rows.filter((r) => r.kind === "merge").length;
  const pushes = rows.filter((r) => r.kind === "push").length;
  const verdicts = rows.length - merges - pushes;
  const recorded = rows.filter((r) => !r.missing).length;
  const failing = rows.filter((r) => !r.missing && (r.digest_ok !== true || r.signature_ok === false)).length;
  const ignored = rows.reduce((n, r) => n + r.problems.filter((p) => p.startsWith("ignored an audit marker")).length, 0);
  const dates = `${new Date(period.since).toISOString()} to ${new Date(period.until).toISOString()}`;
  const what = population.stats.pushesScanned
    ? `${plural(merges, "merged pull request")} and ${plural(pushes, "direct push", "direct pushes")} reached an environment` +
      (verdicts > 0 ? `, ${plural(verdicts, "deployment or applied verdict")} given` : "")
    : `${plural(merges, "merged pull request")} reached an environment (direct pushes not scanned)`;
  const checked = key ? "digests and signatures checked" : "digests checked; pass --public-key to check signatures";
  const lines = [
    `${population.repository}, ${dates}: ${what}: ${recorded} with records, ${rows.length - recorded} missing, ${failing} failing verification (${checked}).`,
  ];
  if (ignored > 0) lines.push(`Ignored ${plural(ignored, "audit marker")} in comments, check runs or issues not written by the app (see problems).`);
  const flagged = rows.filter((r) => r.enforcement_gap !== undefined).length;
  if (flagged > 0) lines.push(`${plural(flagged, "merge")} landed while the required checks were not binding (enforcement_gap).`);
  for (const problem of population.problems) lines.push(`Problem: ${problem}`);
  lines.push(`${plural(population.requests.total, "GitHub request")}.`);
  if (writtenTo !== undefined) lines.push(`Wrote ${plural(rows.length, "row")} to ${writtenTo}.`);
  return `${lines.join("\n")}\n`;
}
