// The enforcement gaps of an audit export (SPEC §5, §6.4): every merge of the period that landed
// while its branch's checks were not binding is flagged, from the gap records the app left in its
// issues and in the compliance/audit check runs the export read.
import type { KeyObject } from "node:crypto";
import { gapFlagOf, gapsIn } from "../audit/enforcement-gap.js";
import type { FoundChange, ListedCheckRun, ListedIssue } from "../audit/population.js";
import { privateGlobs } from "../engine/globs.js";
import { listAppIssuesSince, MAX_APP_ISSUE_PAGES, MAX_EXCEPTION_PAGES, type Listing } from "../github/audit-population.js";
import { GatherFailed, type GitHubSession } from "../github/client.js";
import { EXCEPTION_LABEL } from "../github/exception-issues.js";

export interface ExportGaps {
  gh: GitHubSession;
  owner: string;
  repo: string;
  /** As GitHub spells it. */
  repository: string;
  /** Epoch ms: the period's start. */
  since: number;
  appLogin?: string;
  publicKey?: KeyObject;
  /** The export's one listing of the compliance-exception issues (without --app-login). */
  exceptionIssues: () => Promise<Listing<ListedIssue>>;
  /** The compliance/audit check runs the export read. */
  checkRuns: () => Promise<Listing<ListedCheckRun>[]>;
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
  const { owner, repo, since, appLogin, publicKey } = ex;
  let issues: Listing<ListedIssue>;
  if (appLogin !== undefined) {
    issues = await listAppIssuesSince(ex.gh, { owner, repo, repository: ex.repository, creator: appLogin, since });
    if (!issues.complete) throw new GatherFailed(`${appLogin} opened more than ${MAX_APP_ISSUE_PAGES * 100} issues in ${ex.repository} since ${new Date(since).toISOString()}: export a shorter period`);
  } else {
    issues = await ex.exceptionIssues();
    if (!issues.complete) throw new GatherFailed(`more than ${MAX_EXCEPTION_PAGES * 100} ${EXCEPTION_LABEL} issues of ${ex.repository} were updated since ${new Date(since).toISOString()}: export a shorter period (or pass --app-login)`);
  }
  const runs = (await ex.checkRuns()).flatMap((listed) => listed.items);
  const found = gapsIn(
    { issues: issues.items, runs },
    { names: [`${owner}/${repo}`, ex.repository], ...(appLogin !== undefined ? { app: appLogin } : {}), ...(publicKey ? { publicKey } : {}) },
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
