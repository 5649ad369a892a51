// `compliance-gate audit export --repo OWNER/NAME …` (SPEC §6.4): every change of a period that
// reached an environment — each merged pull request and direct push — with its audit record and
// whether that verifies, or marked missing: an auditor's population and sample in one file.
import type { KeyObject } from "node:crypto";
import { readAuditPopulation, type Population } from "../app/audit-export.js";
import { GitHubPorts } from "../app/github-ports.js";
import { GitHubError } from "../github/client.js";
import { apiUrlFlag, appLoginFlag, githubAccess, repoFlag } from "./github-access.js";
import { exportCsv } from "../render/export-csv.js";
import { exportSummary } from "../render/export-summary.js";
import { exportRows } from "./export-rows.js";
import { publicKeyFlag, readPublicKey } from "./input.js";
import { commitOutput, discardOutput, openOutput, type PendingOutput } from "./output-file.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

const HELP = `Usage: compliance-gate audit export --repo OWNER/NAME [--since DATE] [--until DATE]
         [--format jsonl|csv] [--public-key FILE] [--app-login LOGIN]
         [--output FILE] [--api-url URL] [--skip-pushes] [--quiet]

Exports an auditor's population: every pull request merged in the period (into
any branch) that touched an environment, and every direct push to a gated branch
that changed an environment's files — one row each, with the audit record the app
wrote, whether its digest (and, with --public-key, its signature) verifies, and
"missing": true where there is no record. A change without a record is judged by
the policies at its parent commit (for a merge, the base as it was at the merge),
as the app would have judged it; when its files cannot all be listed it is
included as missing, never left out.

Where the records are: a merged pull request's in the app's comment on it; a
direct push's in the compliance/audit check run the app posted on the push's
head commit (it covers the push's older commits too), or — for a violation whose
check run was never written — in the app's compliance-exception issue.

Deployments the app answered and revisions it checked as applied (SPEC §8) are
rows too (kind deployment or applied), from the compliance/audit check runs of
the gated branches' commits and of the commits GitHub deployed to the
environments the policies name; --skip-pushes skips them with the pushes.

Options:
  --repo OWNER/NAME   the environment repository
  --since DATE        start of the period, included (default: 90 days before --until)
  --until DATE        end of the period, excluded (default: now)
                      DATE is YYYY-MM-DD (midnight UTC) or RFC 3339, such as
                      2026-11-01T09:00:00+01:00; --since 2026-10-01 --until
                      2026-11-01 is exactly October (UTC)
  --format FORMAT     jsonl (default): one JSON row per line, which
                      'compliance-gate audit verify' reads; or csv: a header,
                      then one line per row with the record flattened
  --public-key FILE   the app's Ed25519 public key in PEM: also check signatures
                      (without it a record's digest proves only that it was not
                      changed by accident; anyone can recompute a digest)
  --app-login LOGIN   the app's bot login, such as compliance-gate[bot]: only its
                      comments, issues and check runs (app compliance-gate) count
                      as records (recommended; without it any GitHub App's do,
                      and a push row names the app in "problems"). A comment or
                      issue by a person holding the audit marker is never a
                      record: it is ignored and reported under "problems"
  --output FILE, -o   write to FILE, whole or not at all (a temporary file beside
                      it is renamed over it when complete); default: stdout
  --api-url URL       the GitHub REST API (default: $GITHUB_API_URL, else
                      https://api.github.com); for GitHub Enterprise Server,
                      https://HOST/api/v3
  --skip-pushes       do not look for direct pushes (cheaper; the export says so)
  --quiet, -q         no progress and no summary on stderr

Environment:
  GITHUB_TOKEN        required: a token that can read the repository's contents,
                      pull requests, issues and checks (e.g. $(gh auth token))
  GITHUB_API_URL      the GitHub REST API, as --api-url

Rows are sorted by merge (or commit) time, then number. CSV columns:
  repository, kind, pull_request, title, merged_at, merged_by, merge_commit_sha,
  url, environments (env=state;…), compliant, break_glass, approvers
  (env/rule:login@commit;…), policy_commit, digest, digest_ok, signature_ok,
  missing, problems
Cells starting with = + - @ are prefixed with ' so no spreadsheet runs them.

Cost: about 2 GitHub requests per merged pull request with a record, 5 or more
without one; 1 per 100 closed pull requests listed; per gated branch, 1 per 100
commits, and 1 per commit that is not a known merge commit (4 or more when it
turns out to be a direct push: its policies, files and check runs; a push
without a record of its own also reads the check runs of the newer commits
passed over, once each). When any push lacks a check run record, 1 more per 100
compliance-exception issues updated in the period, once. Progress goes to stderr.

Exits 0 when the export was written, records missing or not; 1 when GitHub could
not be read (nothing is written); 2 on a usage error, a missing GITHUB_TOKEN or
an unreadable public key.

Examples:
  GITHUB_TOKEN=$(gh auth token) compliance-gate audit export --repo acme/gitops \\
    --since 2026-10-01 --until 2027-01-01 --app-login 'compliance-gate[bot]' \\
    --public-key audit-signing.pub --output q4.jsonl
  compliance-gate audit verify --public-key audit-signing.pub q4.jsonl
  compliance-gate audit export --repo acme/gitops --format csv -o q4.csv
`;

export const auditExportCommand: Command = {
  name: "audit export",
  synopsis: "audit export --repo OWNER/NAME [--since DATE] [--until DATE] [--format jsonl|csv]",
  summary:
    "list every merged PR and direct push of a period that reached\n" +
    "an environment, with its audit record or marked missing (GITHUB_TOKEN)",
  help: HELP,
  options: {
    repo: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    format: { type: "string" },
    "public-key": { type: "string" },
    "app-login": { type: "string" },
    "api-url": { type: "string" },
    output: { type: "string", short: "o" },
    "skip-pushes": { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  },
  run: ({ values, positionals }, io) => runAuditExport(parseAuditExportArgs(values, positionals, (io.now ?? Date.now)()), io),
};

/** The period an export covers when --since is not given. */
const DEFAULT_PERIOD_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

type ExportFormat = "jsonl" | "csv";

/** What `audit export` was asked for, checked. */
interface AuditExportArgs {
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
function parseAuditExportArgs(values: Record<string, unknown>, positionals: string[], now: number): AuditExportArgs {
  if (positionals.length > 0) throw new UsageError(`export takes no arguments besides its options (got '${positionals[0] as string}')`);
  const { since, until, format, output } = values;
  const { owner, repo } = repoFlag("export", values.repo);

  const untilMs = typeof until === "string" ? parseExportDate("--until", until) : now;
  const sinceMs = typeof since === "string" ? parseExportDate("--since", since) : untilMs - DEFAULT_PERIOD_DAYS * DAY_MS;
  if (sinceMs >= untilMs) {
    throw new UsageError(`--since (${new Date(sinceMs).toISOString()}) must be before --until (${new Date(untilMs).toISOString()})`);
  }

  if (format !== undefined && format !== "jsonl" && format !== "csv") throw new UsageError(`--format must be jsonl or csv (got '${String(format)}')`);

  const publicKey = publicKeyFlag(values["public-key"]);
  const apiUrl = apiUrlFlag(values["api-url"]);
  if (output !== undefined && (typeof output !== "string" || output === "")) throw new UsageError("--output needs a FILE (or - for standard output)");
  const appLogin = appLoginFlag(values["app-login"]);
  return {
    owner,
    repo,
    since: sinceMs,
    until: untilMs,
    format: format === "csv" ? "csv" : "jsonl",
    ...(publicKey !== undefined ? { publicKey } : {}),
    ...(apiUrl !== undefined ? { apiUrl } : {}),
    ...(typeof output === "string" && output !== "-" ? { output } : {}),
    ...(appLogin !== undefined ? { appLogin } : {}),
    quiet: values.quiet === true,
    pushes: values["skip-pushes"] !== true,
  };
}

/** What the user can do about the usual failures to read GitHub. */
function hintFor(message: string, args: AuditExportArgs, apiUrl: string): string {
  if (/rate limit/i.test(message)) return " (GITHUB_TOKEN's rate limit is used up: wait for it to reset, or export a shorter period)";
  if (/\berror 401\b/.test(message)) return " (is GITHUB_TOKEN valid, and not expired?)";
  if (/\berror 404\b/.test(message)) return ` (does ${args.owner}/${args.repo} exist on ${apiUrl}, and can GITHUB_TOKEN read it?)`;
  if (/\berror 403\b/.test(message)) return " (can GITHUB_TOKEN read the repository's contents, pull requests, issues and checks?)";
  return "";
}

/** Exports the period's population of `args.repo`; 0 written, 1 GitHub could not be read, 2 usage. */
async function runAuditExport(args: AuditExportArgs, io: Io): Promise<number> {
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
    population = await readAuditPopulation(new GitHubPorts().for(octokit, args.owner, args.repo), {
      owner: args.owner,
      repo: args.repo,
      since: args.since,
      until: args.until,
      pushes: args.pushes,
      now: (io.now ?? Date.now)(),
      ...(args.appLogin !== undefined ? { appLogin: args.appLogin } : {}),
      ...(key !== undefined ? { publicKey: key } : {}),
      ...(args.quiet ? {} : { progress: (message: string) => void io.stderr.write(`${message}\n`) }),
    });
  } catch (error) {
    await discardOutput(pending);
    if (error instanceof GitHubError) {
      return fail(`${error.message}${hintFor(error.message, args, apiUrl)}; nothing was written`, EXIT_FAILED);
    }
    throw error;
  }

  const rows = exportRows(population, key);
  const text = args.format === "csv" ? exportCsv(rows) : rows.map((row) => `${JSON.stringify(row)}\n`).join("");
  if (pending) {
    try {
      await commitOutput(pending, text);
    } catch (error) {
      await discardOutput(pending);
      return fail(`--output ${pending.path}: cannot write: ${(error as Error).message}`, EXIT_FAILED);
    }
  } else {
    io.stdout.write(text);
  }
  if (!args.quiet) io.stderr.write(exportSummary(rows, population, args, key !== undefined, pending?.path));
  return EXIT_OK;
}
