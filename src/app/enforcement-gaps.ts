// Enforcement gaps (SPEC §5) as this app recorded them — a sealed record in the issue it opened
// and a copy in a compliance/audit check run on the tip of the gap's branch — read back to flag
// the merges inside a gap: for a merge's audit record, and for every merge of an audit export.
import type { KeyObject } from "node:crypto";
import { gapFlagOf, gapsIn, type GapFlag } from "../audit/enforcement-gap.js";
import type { FoundChange, ListedIssue } from "../audit/population.js";
import { privateGlobs } from "../engine/globs.js";
import type { ListedCheckRun } from "../github/check-runs.js";
import { GitHubError } from "../github/client.js";
import { EXCEPTION_LABEL, MAX_APP_ISSUE_PAGES, MAX_ISSUE_PAGES } from "../github/exception-issues.js";
import type { Listing } from "../github/history.js";
import { AUDIT_CHECK } from "../render/check-run.js";
import type { Ports } from "./ports.js";

/** A compliance/audit check run as audit/'s readers of records take it. */
export function recordRun(run: ListedCheckRun): { id: number; url: string | null; app: string | null; text: string | null; started_at: string | null } {
  return { id: run.id ?? 0, url: run.url, app: run.appSlug ?? null, text: run.text, started_at: run.startedAt };
}

/**
 * The enforcement gaps a change on `branch` at `at` (epoch ms) may have landed in: those recorded
 * in the issues the app (`login`) opened since (a gap's issue is opened when it ends, after the
 * change; listed by author, newest first) and in the compliance/audit check runs of the branch's
 * tip (the copy nobody can edit or delete, there when issues are turned off). Every record is
 * verified (its signature with `publicKey`); one that is not, or a listing that could not be read
 * whole, is a problem to say. Two reads.
 */
export async function enforcementGapAt(ports: Ports, request: { login: string; branch: string; at: number; publicKey?: KeyObject }): Promise<{ flag: GapFlag | null; problems: string[] }> {
  const repository = `${ports.owner}/${ports.repo}`;
  const issues = await ports.audit.issuesOpenedBy(request.login, request.at, repository);
  const tip = await ports.audit.pushRecordRuns(`heads/${request.branch}`);
  const runs = tip.runs.filter((run) => run.name === AUDIT_CHECK).map(recordRun);
  const found = gapsIn({ issues: issues.items, runs }, { names: [repository], app: request.login, ...(request.publicKey ? { publicKey: request.publicKey } : {}) });
  const problems = [...found.problems];
  if (!issues.complete) problems.push(`the enforcement gaps could not all be read: ${request.login} opened more than ${MAX_APP_ISSUE_PAGES * 100} issues since the merge`);
  return { flag: gapFlagOf(found.gaps, request.branch, request.at), problems };
}

/** What an audit export read that holds enforcement gap records, and what it knows of its merges. */
export interface ExportGaps {
  ports: Ports;
  /** As GitHub spells it. */
  repository: string;
  /** Epoch ms: the period's start. */
  since: number;
  appLogin?: string;
  publicKey?: KeyObject;
  /** The export's one listing of the compliance-exception issues (without --app-login). */
  exceptionIssues: () => Promise<Listing<ListedIssue>>;
  /** The compliance/audit check runs the export read. */
  checkRuns: () => Promise<ListedCheckRun[]>;
  /** The base branch of each merged pull request, by number. */
  bases: ReadonlyMap<number, string>;
}

/**
 * Flags every merge of the export that landed inside an enforcement gap (SPEC §5), whenever it
 * was recorded, and returns what could not be used. The gaps are those recorded in the issues the
 * app opened since the period began (by author with --app-login, newest first; else the
 * compliance-exception issues) and in the compliance/audit check runs the export read (the copy
 * on a branch's tip nobody can edit or delete). A listing cut short fails the export: a gap left
 * out would leave its merges unflagged without a word.
 */
export async function flagEnforcementGaps(ex: ExportGaps, changes: FoundChange[]): Promise<string[]> {
  const merges = changes.filter((c) => c.change.kind === "merge");
  if (merges.length === 0) return [];
  const { ports, since, appLogin, publicKey } = ex;
  let issues: Listing<ListedIssue>;
  if (appLogin !== undefined) {
    issues = await ports.audit.issuesOpenedBy(appLogin, since, ex.repository);
    if (!issues.complete) throw new GitHubError(`${appLogin} opened more than ${MAX_APP_ISSUE_PAGES * 100} issues in ${ex.repository} since ${new Date(since).toISOString()}: export a shorter period`);
  } else {
    issues = await ex.exceptionIssues();
    if (!issues.complete) throw new GitHubError(`more than ${MAX_ISSUE_PAGES * 100} ${EXCEPTION_LABEL} issues of ${ex.repository} were updated since ${new Date(since).toISOString()}: export a shorter period (or pass --app-login)`);
  }
  const runs = (await ex.checkRuns()).filter((run) => run.name === AUDIT_CHECK).map(recordRun);
  const found = gapsIn(
    { issues: issues.items, runs },
    { names: [`${ports.owner}/${ports.repo}`, ex.repository], ...(appLogin !== undefined ? { app: appLogin } : {}), ...(publicKey ? { publicKey } : {}) },
  );
  // One compiler for the export: each distinct glob of the gaps compiled once, not once per merge.
  const globs = privateGlobs();
  for (const merge of merges) {
    const base = typeof merge.change.pull_request === "number" ? ex.bases.get(merge.change.pull_request) : undefined;
    const flag = base === undefined ? null : gapFlagOf(found.gaps, base, Date.parse(merge.change.merged_at), globs);
    if (flag === null) {
      if (found.problems.length > 0) merge.problems.push("an enforcement gap record could not be used (see the export's problems): a gap this merge landed in may be missing");
      continue;
    }
    merge.change.enforcement_gap = flag;
    if (appLogin === undefined) merge.problems.push(`its enforcement gap (${flag.issue ?? "a check run"}) was accepted from any GitHub App: pass --app-login to accept only the app's`);
  }
  return found.problems;
}
