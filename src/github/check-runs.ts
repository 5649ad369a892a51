// Check runs on GitHub: this app's verdicts posted (one POST per check, none when this process
// already posted the same success for the same commit and name), the records of direct pushes
// (`compliance/audit`), and the one reader of a commit's check runs, for all of them.
import { checkRunWriter } from "../audit/writer.js";
import { parseAuditComment } from "../audit/comment.js";
import { fitCheckOutput } from "../render/check-output.js";
import { AUDIT_CHECK, CHECK_PREFIX, type PlannedCheck } from "../render/check-run.js";
import { MAX_CHECK_TEXT } from "../render/limits.js";
import type { GitHubSession } from "./client.js";
import { LruCache } from "./lru-cache.js";

/** Pages of a commit's compliance/audit check runs (100 each) read at most. */
export const MAX_PUSH_RECORD_PAGES = 5;

/** Where a check run goes. */
export interface CheckTarget {
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

/** A check run as GitHub lists it on a commit. */
export interface ListedCheckRun {
  id: number | undefined;
  name: string;
  externalId: string | undefined;
  /** The app that posted it, when GitHub says. */
  appId: number | undefined;
  appSlug: string | undefined;
  url: string | null;
  /** Its output text (where a record is kept). */
  text: string | null;
  /** When it completed, else started (ISO 8601), when GitHub says. */
  at?: string;
}

interface ApiCheckRun {
  id?: unknown;
  name?: unknown;
  external_id?: unknown;
  html_url?: unknown;
  app?: { id?: unknown; slug?: unknown } | null;
  output?: { text?: unknown } | null;
  completed_at?: unknown;
  started_at?: unknown;
}

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

function listedRun(run: ApiCheckRun): ListedCheckRun[] {
  if (typeof run.name !== "string") return [];
  const at = str(run.completed_at) ?? str(run.started_at);
  return [
    {
      id: typeof run.id === "number" ? run.id : undefined,
      name: run.name,
      externalId: str(run.external_id) ?? undefined,
      appId: typeof run.app?.id === "number" ? run.app.id : undefined,
      appSlug: str(run.app?.slug) ?? undefined,
      url: str(run.html_url),
      text: str(run.output?.text),
      ...(at !== null ? { at } : {}),
    },
  ];
}

/**
 * The check runs of a commit, at most `maxPages` pages: by default the latest of each name (from
 * app `appId` when given); with `name`, every run of that name (`filter=all`: a branch forced back
 * to a commit has a record per push). `complete` is false when GitHub offered more.
 */
async function listCheckRuns(
  gh: GitHubSession,
  owner: string,
  repo: string,
  sha: string,
  options: { maxPages: number; appId?: number; name?: string; doing: string },
): Promise<{ runs: ListedCheckRun[]; complete: boolean }> {
  const listed = await gh.list<ListedCheckRun>(
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
    {
      owner,
      repo,
      ref: sha,
      ...(options.appId !== undefined ? { app_id: options.appId } : {}),
      ...(options.name !== undefined ? { check_name: options.name, filter: "all" } : {}),
    },
    options.doing,
    { maxPages: options.maxPages, items: (data) => ((data as { check_runs?: ApiCheckRun[] } | undefined)?.check_runs ?? []).flatMap(listedRun) },
  );
  return { runs: listed.items, complete: listed.complete };
}

export interface CheckMemoryOptions {
  /** Results remembered, one per commit and check name. Default 5,000. */
  maxEntries?: number;
  /** Epoch milliseconds, for `completed_at`. */
  clock?: () => number;
  /** This app's id, when configured; otherwise learnt from the first check run GitHub returns. */
  appId?: number;
}

/** What this process remembers of the check runs it posted, and this app's id: one per process. */
export class CheckMemory {
  /** Fingerprint of the last result posted, by `owner/repo@sha|name`. */
  readonly posted: LruCache<string, string>;
  readonly clock: () => number;
  appId: number | undefined;

  constructor(options: CheckMemoryOptions = {}) {
    this.posted = new LruCache({ maxEntries: options.maxEntries ?? 5000 });
    this.clock = options.clock ?? Date.now;
    this.appId = options.appId;
  }
}

/**
 * One repository's check runs through one session: the CheckSink port over GitHub.
 *
 * Only successes are skipped. The memory is this process's: another replica (or a slow evaluation
 * of its own that lost a race) may have posted since, and GitHub shows whichever run came last.
 * Skipping a success can at worst leave a stricter result showing (a check that waits or fails
 * when it should pass: annoying, corrected by the next event or a re-run). Skipping a failure or
 * a wait could leave a stale success showing that nothing would ever correct — failing open — so
 * those are always posted: one write per evaluation for each check that does not pass.
 */
export class GitHubCheckRuns {
  constructor(
    private readonly memory: CheckMemory,
    private readonly gh: GitHubSession,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  /** This app's id, once configured or learnt; undefined before. */
  get appId(): number | undefined {
    return this.memory.appId;
  }

  /**
   * Creates the check run, unless the same success is already posted (then nothing is sent) or
   * `force` (a person asked for a re-run). A new run of the same name on the same commit
   * supersedes the old one in GitHub's UI and for branch protection, so there is never an update.
   * Throws GitHubError when GitHub refuses.
   */
  async post(target: CheckTarget, check: PlannedCheck, options: { force?: boolean } = {}): Promise<"posted" | "unchanged"> {
    const { owner, repo, memory } = this;
    const key = `${owner}/${repo}@${target.sha}|${check.name}`.toLowerCase();
    const fingerprint = JSON.stringify([check.verdict, check.externalId ?? target.externalId, fitCheckOutput(check.output)]);
    if (!options.force && check.verdict === "success" && memory.posted.get(key) === fingerprint) return "unchanged";
    // Forgotten first: if the POST fails, the next evaluation must not believe the old result still shows.
    memory.posted.delete(key);
    const response = await this.gh.request(
      "POST /repos/{owner}/{repo}/check-runs",
      { owner, repo, ...checkRunBody(target, check, memory.clock()) },
      `posting ${check.name}`,
    );
    memory.posted.set(key, fingerprint);
    const appId = (response.data as { app?: { id?: unknown } } | undefined)?.app?.id;
    if (memory.appId === undefined && typeof appId === "number") memory.appId = appId;
    return "posted";
  }

  /**
   * The latest compliance check run of each name on a commit (GitHub's default `filter=latest`),
   * from this app when its id is known; compliance/audit, a record and no verdict, left out.
   */
  async ours(sha: string): Promise<ListedCheckRun[]> {
    const appId = this.memory.appId;
    const { runs } = await listCheckRuns(this.gh, this.owner, this.repo, sha, {
      maxPages: 3,
      ...(appId !== undefined ? { appId } : {}),
      doing: `listing the check runs of ${sha.slice(0, 7)}`,
    });
    return runs.filter((run) => run.name.startsWith(CHECK_PREFIX) && run.name !== AUDIT_CHECK && (appId === undefined || run.appId === undefined || run.appId === appId));
  }

  /**
   * Whether this app (`login`, its bot login) already recorded the push `before`→`sha` (any
   * compliance/audit run of the commit, not only the latest, whose record has that `before`): a
   * branch forced back to a commit that has a record of an earlier push is another push, with a
   * record of its own.
   */
  async hasPushRecord(request: { sha: string; before: string; login: string }): Promise<boolean> {
    const { runs } = await listCheckRuns(this.gh, this.owner, this.repo, request.sha, {
      maxPages: 1,
      name: AUDIT_CHECK,
      doing: `looking for the audit record on ${request.sha.slice(0, 7)}`,
    });
    return runs.some((run) => {
      if (!checkRunWriter(run.appSlug, request.login).ok) return false;
      const parsed = parseAuditComment(run.text ?? "");
      return parsed?.ok === true && parsed.record["before"] === request.before;
    });
  }

  /** Every compliance/audit check run of a commit (not only the latest: a branch forced back to a commit has a record per push), anyone's. */
  pushRecordRuns(sha: string): Promise<{ runs: ListedCheckRun[]; complete: boolean }> {
    return listCheckRuns(this.gh, this.owner, this.repo, sha, {
      maxPages: MAX_PUSH_RECORD_PAGES,
      name: AUDIT_CHECK,
      doing: `listing the ${AUDIT_CHECK} check runs of commit ${sha.slice(0, 7)}`,
    });
  }

  /**
   * Posts a record as a completed compliance/audit check run on the commit it is about: failure for
   * a violation (a red mark on the commit that says so), success when it is compliant. `text` must
   * fit whole (the caller makes sure): a cut record would not verify. A push's record is named
   * `push:<sha>`; a deployment's or an applied revision's names itself (`externalId`).
   */
  async postRecord(request: { sha: string; compliant: boolean; title: string; summary: string; text: string; externalId?: string }): Promise<number | undefined> {
    if (Buffer.byteLength(request.text, "utf8") > MAX_CHECK_TEXT) throw new Error(`the audit record of ${request.sha.slice(0, 7)} does not fit in a check run`);
    const output = fitCheckOutput({ title: request.title, summary: request.summary });
    const response = await this.gh.request(
      "POST /repos/{owner}/{repo}/check-runs",
      {
        owner: this.owner,
        repo: this.repo,
        name: AUDIT_CHECK,
        head_sha: request.sha,
        external_id: request.externalId ?? `push:${request.sha}`,
        status: "completed",
        conclusion: request.compliant ? "success" : "failure",
        completed_at: new Date(this.memory.clock()).toISOString(),
        output: { ...output, text: request.text },
      },
      `posting the audit record of ${request.sha.slice(0, 7)}`,
    );
    const id = (response.data as { id?: unknown } | undefined)?.id;
    return typeof id === "number" ? id : undefined;
  }
}
