// Writes compliance check runs: the state → check run mapping of SPEC §3, one POST per check, and no
// POST at all when this process already posted the same success for the same commit and name.
import { fitCheckOutput } from "../render/check-output.js";
import { AUDIT_CHECK, CHECK_PREFIX, type PlannedCheck } from "../render/check-run.js";
import type { GitHubSession } from "./client.js";
import { LruCache } from "./lru-cache.js";

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
