// What `audit export` says on stderr when it is done (SPEC §6.4): how many changes of the period
// reached an environment, with and without records, failing verification, and where they went.
import type { AuditExportRow } from "../audit/export-row.js";

/** What the export read, as its summary tells it (app/audit-export.ts's Population). */
export interface ExportedPopulation {
  /** `owner/name` as GitHub spells it. */
  repository: string;
  stats: { pushesScanned: boolean };
  /** What the export as a whole noticed. */
  problems: readonly string[];
  requests: { total: number };
}

/** `3 rows`: the count in plain digits, as the summary has always said it (markdown.ts's plural groups thousands). */
function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What an export says on stderr when it is done: how many changes of the period reached an
 * environment, with and without records and failing verification, and where it was written.
 */
export function exportSummary(
  rows: readonly AuditExportRow[],
  population: ExportedPopulation,
  period: { since: number; until: number },
  signaturesChecked: boolean,
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
  const checked = signaturesChecked ? "digests and signatures checked" : "digests checked; pass --public-key to check signatures";
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
