// Writes compliance check runs: the state → check run mapping of SPEC §3, one POST per check, and no
// POST at all when this process already posted the same success for the same commit and name.
import type { State } from "../engine/types.js";
import { fitCheckOutput, type CheckOutput } from "../render/check-output.js";
import { sameNameOutput } from "../render/shared-check.js";
import type { GitHubSession } from "./client.js";
import { LruCache } from "./lru-cache.js";

/** Every check this app posts starts with this; nothing else is ours. */
export const CHECK_PREFIX = "compliance/";
/** The check that validates the head version of the policies (SPEC §3.2). */
export const POLICY_CHECK = "compliance/policy";
/**
 * The check run that holds the audit record of a direct push, on the push's head commit. It is
 * not a verdict about any pull request: evaluations never list, supersede or overwrite it.
 */
export const AUDIT_CHECK = "compliance/audit";

/** How a check run shows a result: passing, waiting, or failing. */
export type Verdict = "success" | "in_progress" | "failure";

/**
 * SPEC §3's table. `pending` is in_progress, never neutral or skipped: GitHub counts those as
 * passing, and a required check must not pass while approvals are missing.
 */
export function verdictOf(state: State): Verdict {
  switch (state) {
    case "approved":
    case "not_affected":
      return "success";
    case "pending":
      return "in_progress";
    case "blocked":
    case "error":
      return "failure";
  }
}

/** A check run to post. */
export interface PlannedCheck {
  name: string;
  verdict: Verdict;
  output: CheckOutput;
  /** Overrides the target's external id: the PR whose verdict this is, when several share a commit. */
  externalId?: string;
}

/** How strict a verdict is: failure blocks, in_progress waits, success passes. */
const STRICTNESS: Record<Verdict, number> = { success: 0, in_progress: 1, failure: 2 };

/** Whether `a` is stricter than `b`. */
export function stricter(a: Verdict, b: Verdict): boolean {
  return STRICTNESS[a] > STRICTNESS[b];
}

/**
 * One check per name, the strictest of those planned under it; equally strict ones are shown
 * together. Two checks of one name would both be posted, and GitHub would show the later one,
 * whatever it says: a success posted after a failure of the same name would be failing open.
 */
export function oneCheckPerName(planned: readonly PlannedCheck[]): PlannedCheck[] {
  const byName = new Map<string, PlannedCheck>();
  for (const check of planned) {
    const held = byName.get(check.name);
    if (held === undefined || stricter(check.verdict, held.verdict)) byName.set(check.name, check);
    else if (!stricter(held.verdict, check.verdict)) {
      byName.set(check.name, { ...held, output: sameNameOutput(held.output, check.output) });
    }
  }
  return [...byName.values()];
}

/** Where a check run goes. */
export interface CheckTarget {
  owner: string;
  repo: string;
  /** The commit the check is about: the PR's head, or a merge group's head. */
  sha: string;
  /** Lets a "Re-run" find the pull request again without asking GitHub (see parseExternalId). */
  externalId: string;
}

/** The body of POST /repos/{owner}/{repo}/check-runs for a check; `now` stamps a completed run. */
export function checkRunBody(target: CheckTarget, check: PlannedCheck, now: number): Record<string, unknown> {
  const common = { name: check.name, head_sha: target.sha, external_id: check.externalId ?? target.externalId, output: fitCheckOutput(check.output) };
  if (check.verdict === "in_progress") return { ...common, status: "in_progress" };
  return { ...common, status: "completed", conclusion: check.verdict, completed_at: new Date(now).toISOString() };
}

/** `pull:42` for a PR's head, `merge_group:42` for the merge group a PR is queued in. */
export function externalIdOf(number: number, mergeGroup: boolean): string {
  return `${mergeGroup ? "merge_group" : "pull"}:${number}`;
}

/** The pull request (and whether the check was on its merge group) an external id names, or undefined. */
export function parseExternalId(externalId: string | null | undefined): { number: number; mergeGroup: boolean } | undefined {
  const match = /^(pull|merge_group):(\d+)$/.exec(externalId ?? "");
  if (!match) return undefined;
  return { number: Number(match[2]), mergeGroup: match[1] === "merge_group" };
}

export interface CheckWriterOptions {
  /** Results remembered, one per commit and check name. Default 5,000. */
  maxEntries?: number;
  /** Epoch milliseconds, for `completed_at`. */
  clock?: () => number;
  /** This app's id, when configured; otherwise learnt from the first check run GitHub returns. */
  appId?: number;
}

/**
 * Posts check runs, skipping a success this process already posted for the same commit and name.
 *
 * Only successes are skipped. The memory is this process's: another replica (or a slow evaluation
 * of its own that lost a race) may have posted since, and GitHub shows whichever run came last.
 * Skipping a success can at worst leave a stricter result showing (a check that waits or fails
 * when it should pass: annoying, corrected by the next event or a re-run). Skipping a failure or
 * a wait could leave a stale success showing that nothing would ever correct — failing open — so
 * those are always posted: one write per evaluation for each check that does not pass.
 */
export class CheckWriter {
  /** Fingerprint of the last result posted, by `owner/repo@sha|name`. */
  private readonly posted: LruCache<string, string>;
  private readonly clock: () => number;
  private ownAppId: number | undefined;

  constructor(options: CheckWriterOptions = {}) {
    this.posted = new LruCache({ maxEntries: options.maxEntries ?? 5000 });
    this.clock = options.clock ?? Date.now;
    this.ownAppId = options.appId;
  }

  /** This app's id, once configured or learnt; undefined before. */
  get appId(): number | undefined {
    return this.ownAppId;
  }

  /**
   * Creates the check run, unless the same success is already posted (then nothing is sent) or
   * `force` (a person asked for a re-run). A new run of the same name on the same commit
   * supersedes the old one in GitHub's UI and for branch protection, so there is never an update.
   * Throws GitHubError when GitHub refuses.
   */
  async post(gh: GitHubSession, target: CheckTarget, check: PlannedCheck, options: { force?: boolean } = {}): Promise<"posted" | "unchanged"> {
    const key = `${target.owner}/${target.repo}@${target.sha}|${check.name}`.toLowerCase();
    const fingerprint = JSON.stringify([check.verdict, check.externalId ?? target.externalId, fitCheckOutput(check.output)]);
    if (!options.force && check.verdict === "success" && this.posted.get(key) === fingerprint) return "unchanged";
    // Forgotten first: if the POST fails, the next evaluation must not believe the old result still shows.
    this.posted.delete(key);
    const response = await gh.request(
      "POST /repos/{owner}/{repo}/check-runs",
      { owner: target.owner, repo: target.repo, ...checkRunBody(target, check, this.clock()) },
      `posting ${check.name}`,
    );
    this.posted.set(key, fingerprint);
    const appId = (response.data as { app?: { id?: unknown } } | undefined)?.app?.id;
    if (this.ownAppId === undefined && typeof appId === "number") this.ownAppId = appId;
    return "posted";
  }
}

/** A compliance check run as GitHub lists it on a commit. */
export interface ListedCheck {
  name: string;
  externalId: string | undefined;
  /** The app that posted it, when GitHub says. */
  appId: number | undefined;
}

/**
 * The latest compliance check run of each name on a commit (GitHub's default `filter=latest`),
 * from this app when its id is known.
 */
export async function postedChecks(gh: GitHubSession, owner: string, repo: string, sha: string, appId: number | undefined): Promise<ListedCheck[]> {
  const listed = await gh.list<{ name?: string; external_id?: string | null; app?: { id?: number } | null }>(
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
    { owner, repo, ref: sha, ...(appId !== undefined ? { app_id: appId } : {}) },
    `listing the check runs of ${sha.slice(0, 7)}`,
    { maxPages: 3, items: (data) => (data as { check_runs?: { name?: string }[] }).check_runs ?? [] },
  );
  return listed.items.flatMap((run) =>
    typeof run.name === "string" && run.name.startsWith(CHECK_PREFIX) && run.name !== AUDIT_CHECK && (appId === undefined || run.app?.id === undefined || run.app.id === appId)
      ? [{ name: run.name, externalId: typeof run.external_id === "string" ? run.external_id : undefined, appId: run.app?.id }]
      : [],
  );
}

/**
 * Names of the compliance checks already on a commit, from this app when its id is known: on a
 * failure these must be overwritten too, or an earlier success would keep showing.
 */
export async function postedCheckNames(gh: GitHubSession, owner: string, repo: string, sha: string, appId: number | undefined): Promise<string[]> {
  return [...new Set((await postedChecks(gh, owner, repo, sha, appId)).map((check) => check.name))];
}
