// `compliance-gate audit export --repo OWNER/NAME …` (SPEC §6.4): every change of a period that
// reached an environment — each merged pull request and direct push — with its audit record and
// whether that verifies, or marked missing: an auditor's population and sample in one file.
import { randomBytes, type KeyObject } from "node:crypto";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { exportCsv } from "../audit/export-csv.js";
import { buildExportRow, type AuditExportRow } from "../audit/export-row.js";
import type { AuditRecord } from "../audit/record.js";
import { verifyRecord } from "../audit/seal.js";
import type { FoundChange } from "../audit/population.js";
import { readAuditPopulation, type Population } from "../app/audit-export.js";
import { GatherFailed } from "../github/client.js";
import { githubAccess, isHttpUrl } from "./github-access.js";
import { readPublicKey } from "./input.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Io } from "./main.js";

/** The period an export covers when --since is not given. */
export const DEFAULT_PERIOD_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export type ExportFormat = "jsonl" | "csv";

/** What `audit export` was asked for, checked. */
export interface AuditExportArgs {
  owner: string;
  repo: string;
  /** Epoch milliseconds: the period is [since, until). */
  since: number;
  until: number;
  format: ExportFormat;
  /** A PEM file holding the app's Ed25519 public key. */
  publicKey?: string;
  /** The REST API's base URL, without a trailing slash. */
  apiUrl?: string;
  /** Where to write the export; standard output when absent. */
  output?: string;
  /** The app's bot login, e.g. `compliance-gate[bot]`: only its comments, check runs and issues count as records. */
  appLogin?: string;
  quiet: boolean;
  /** Look for direct pushes to gated branches (default), or skip them with --skip-pushes. */
  pushes: boolean;
}

/** GitHub's rules for an owner (user or org) and a repository name. */
const REPO_PATTERN = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;
const APP_LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;


function validDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time, as epoch milliseconds; a usage error otherwise. */
export function parseExportDate(flag: string, value: string): number {
  const bad = (): never => {
    throw new UsageError(`${flag} must be a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time such as 2026-11-01T09:00:00Z (got '${value}')`);
  };
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    if (!validDay(year, month, date)) return bad();
    return Date.UTC(year, month - 1, date);
  }
  const time = DATE_TIME.exec(value);
  if (!time) return bad();
  const [year, month, date, hour, minute, second] = time.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!validDay(year, month, date) || hour > 23 || minute > 59 || second > 59) return bad();
  if (time[9] !== undefined && (Number(time[9]) > 23 || Number(time[10]) > 59)) return bad();
  const ms = Date.parse(value.toUpperCase().replace(" ", "T"));
  return Number.isNaN(ms) ? bad() : ms;
}

/** Checks the flags of `audit export`; a mistake throws UsageError (exit 2 with the command's help). */
export function parseAuditExportArgs(values: Record<string, unknown>, positionals: string[], now: number): AuditExportArgs {
  if (positionals.length > 0) throw new UsageError(`export takes no arguments besides its options (got '${positionals[0] as string}')`);
  const { repo, since, until, format, output } = values;
  if (typeof repo !== "string") throw new UsageError("export needs --repo OWNER/NAME");
  const match = REPO_PATTERN.exec(repo);
  if (!match || repo.endsWith("/.") || repo.endsWith("/..")) throw new UsageError(`--repo must be OWNER/NAME, such as acme/gitops (got '${repo}')`);

  const untilMs = typeof until === "string" ? parseExportDate("--until", until) : now;
  const sinceMs = typeof since === "string" ? parseExportDate("--since", since) : untilMs - DEFAULT_PERIOD_DAYS * DAY_MS;
  if (sinceMs >= untilMs) {
    throw new UsageError(`--since (${new Date(sinceMs).toISOString()}) must be before --until (${new Date(untilMs).toISOString()})`);
  }

  if (format !== undefined && format !== "jsonl" && format !== "csv") throw new UsageError(`--format must be jsonl or csv (got '${String(format)}')`);

  const publicKey = values["public-key"];
  if (publicKey !== undefined && (typeof publicKey !== "string" || publicKey === "" || publicKey === "-")) {
    throw new UsageError("--public-key needs a FILE holding the app's Ed25519 public key in PEM");
  }
  const apiUrl = values["api-url"];
  if (apiUrl !== undefined && (typeof apiUrl !== "string" || !isHttpUrl(apiUrl))) {
    throw new UsageError(`--api-url must be an http(s) URL, such as https://github.example.com/api/v3 (got '${String(apiUrl)}')`);
  }
  if (output !== undefined && (typeof output !== "string" || output === "")) throw new UsageError("--output needs a FILE (or - for standard output)");
  let appLogin = values["app-login"];
  if (appLogin !== undefined) {
    if (typeof appLogin !== "string" || !APP_LOGIN.test(appLogin)) {
      throw new UsageError(`--app-login must be the app's bot login, such as compliance-gate[bot] (got '${String(appLogin)}')`);
    }
    if (!appLogin.endsWith("[bot]")) appLogin = `${appLogin}[bot]`;
  }
  return {
    owner: match[1] as string,
    repo: match[2] as string,
    since: sinceMs,
    until: untilMs,
    format: format === "csv" ? "csv" : "jsonl",
    ...(typeof publicKey === "string" ? { publicKey } : {}),
    ...(typeof apiUrl === "string" ? { apiUrl: apiUrl.replace(/\/+$/, "") } : {}),
    ...(typeof output === "string" && output !== "-" ? { output } : {}),
    ...(typeof appLogin === "string" ? { appLogin } : {}),
    quiet: values.quiet === true,
    pushes: values["skip-pushes"] !== true,
  };
}

/** A file written whole or not at all: a temporary file beside it, renamed over it when complete. */
interface PendingOutput {
  path: string;
  temp: string;
  handle: FileHandle;
}

async function openOutput(path: string): Promise<PendingOutput | string> {
  try {
    if ((await stat(path)).isDirectory()) return `--output ${path}: is a directory, not a file`;
  } catch {
    // no such file yet: it will be created
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    return { path, temp, handle: await open(temp, "wx") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such directory" : code === "EACCES" ? "permission denied" : (error as Error).message;
    return `--output ${path}: cannot write there: ${reason}`;
  }
}

async function discard(pending: PendingOutput | undefined): Promise<void> {
  if (!pending) return;
  await pending.handle.close().catch(() => undefined);
  await rm(pending.temp, { force: true });
}

async function commit(pending: PendingOutput, text: string): Promise<void> {
  await pending.handle.writeFile(text, "utf8");
  await pending.handle.sync();
  await pending.handle.close();
  await rename(pending.temp, pending.path);
}

/** What the user can do about the usual failures to read GitHub. */
function hintFor(message: string, args: AuditExportArgs, apiUrl: string): string {
  if (/rate limit/i.test(message)) return " (GITHUB_TOKEN's rate limit is used up: wait for it to reset, or export a shorter period)";
  if (/\berror 401\b/.test(message)) return " (is GITHUB_TOKEN valid, and not expired?)";
  if (/\berror 404\b/.test(message)) return ` (does ${args.owner}/${args.repo} exist on ${apiUrl}, and can GITHUB_TOKEN read it?)`;
  if (/\berror 403\b/.test(message)) return " (can GITHUB_TOKEN read the repository's contents, pull requests, issues and checks?)";
  return "";
}

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
  return a.merge_commit_sha < b.merge_commit_sha ? -1 : a.merge_commit_sha > b.merge_commit_sha ? 1 : 0;
}

/** The export's rows, sorted by when each change landed, then by pull request number. */
export function exportRows(population: Population, key?: KeyObject): AuditExportRow[] {
  return population.changes.flatMap((found) => rowOf(found, key) ?? []).sort(byLanding);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function summary(rows: AuditExportRow[], population: Population, args: AuditExportArgs, key: KeyObject | undefined): string {
  const merges = rows.filter((r) => r.kind === "merge").length;
  const pushes = rows.length - merges;
  const recorded = rows.filter((r) => !r.missing).length;
  const failing = rows.filter((r) => !r.missing && (r.digest_ok !== true || r.signature_ok === false)).length;
  const ignored = rows.reduce((n, r) => n + r.problems.filter((p) => p.startsWith("ignored an audit marker")).length, 0);
  const period = `${new Date(args.since).toISOString()} to ${new Date(args.until).toISOString()}`;
  const what = population.stats.pushesScanned
    ? `${plural(merges, "merged pull request")} and ${plural(pushes, "direct push", "direct pushes")} reached an environment`
    : `${plural(merges, "merged pull request")} reached an environment (direct pushes not scanned)`;
  const checked = key ? "digests and signatures checked" : "digests checked; pass --public-key to check signatures";
  const lines = [
    `${population.repository}, ${period}: ${what}: ${recorded} with records, ${rows.length - recorded} missing, ${failing} failing verification (${checked}).`,
  ];
  if (ignored > 0) lines.push(`Ignored ${plural(ignored, "audit marker")} in comments, check runs or issues not written by the app (see problems).`);
  lines.push(`${plural(population.requests.total, "GitHub request")}.`);
  return `${lines.join("\n")}\n`;
}

/** Exports the period's population of `args.repo`; 0 written, 1 GitHub could not be read, 2 usage. */
export async function runAuditExport(args: AuditExportArgs, io: Io): Promise<number> {
  const fail = (message: string, code = EXIT_USAGE): number => {
    io.stderr.write(`compliance-gate audit export: ${message}\n`);
    return code;
  };
  const access = githubAccess(
    "audit export",
    "the repository's pull requests, their comments and changed files, its commits and their check runs, its issues and the policies",
    args.apiUrl,
    io,
  );
  if (!access.ok) return fail(access.message);
  const { octokit, apiUrl } = access;

  let key: KeyObject | undefined;
  if (args.publicKey !== undefined) {
    const loaded = await readPublicKey(args.publicKey, io.stdin);
    if (!loaded.ok) return fail(loaded.message);
    key = loaded.key;
  }

  // Opened first, so an unwritable destination is found before a single request is spent.
  let pending: PendingOutput | undefined;
  if (args.output !== undefined) {
    const opened = await openOutput(args.output);
    if (typeof opened === "string") return fail(opened);
    pending = opened;
  }

  let population: Population;
  try {
    population = await readAuditPopulation(octokit, {
      owner: args.owner,
      repo: args.repo,
      since: args.since,
      until: args.until,
      pushes: args.pushes,
      now: (io.now ?? Date.now)(),
      ...(args.appLogin !== undefined ? { appLogin: args.appLogin } : {}),
      ...(args.quiet ? {} : { progress: (message: string) => void io.stderr.write(`${message}\n`) }),
    });
  } catch (error) {
    await discard(pending);
    if (error instanceof GatherFailed) {
      return fail(`${error.message}${hintFor(error.message, args, apiUrl)}; nothing was written`, EXIT_FAILED);
    }
    throw error;
  }

  const rows = exportRows(population, key);
  const text = args.format === "csv" ? exportCsv(rows) : rows.map((row) => `${JSON.stringify(row)}\n`).join("");
  if (pending) {
    try {
      await commit(pending, text);
    } catch (error) {
      await discard(pending);
      return fail(`--output ${pending.path}: cannot write: ${(error as Error).message}`, EXIT_FAILED);
    }
  } else {
    io.stdout.write(text);
  }
  if (!args.quiet) {
    io.stderr.write(summary(rows, population, args, key));
    if (pending) io.stderr.write(`Wrote ${plural(rows.length, "row")} to ${pending.path}.\n`);
  }
  return EXIT_OK;
}
