// Check runs on GitHub: this app's verdicts posted (one POST per check, none when what the check
// shows is what this app last wrote there), the records of direct pushes (`compliance/audit`), and
// the one reader of a commit's check runs, for all of them.
import { createHash } from "node:crypto";
import { checkRunWriter } from "../audit/writer.js";
import { parseAuditComment } from "../audit/comment.js";
import { fitCheckOutput, type CheckOutput } from "../render/check-output.js";
import { AUDIT_CHECK, CHECK_PREFIX, type PlannedCheck } from "../render/check-run.js";
import { MAX_CHECK_TEXT } from "../render/limits.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { LruCache } from "./lru-cache.js";

/** Pages of a commit's compliance/audit check runs (100 each) read at most. */
export const MAX_PUSH_RECORD_PAGES = 5;

/** Where a check run goes. */
export interface CheckTarget {
  /** The commit the check is about: the PR's head, or a merge group's head. */
  sha: string;
  /** Lets a "Re-run" find the pull request again without asking GitHub (see parseExternalId). */
  externalId: string;
  /** The commit is new (a push just made it): none of its check runs can be missing from the store, so none is read. */
  fresh?: boolean;
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
  /** ISO 8601, when GitHub says: a gap record must have ended before the run that holds it was started. */
  startedAt: string | null;
  /** When it completed, else started (ISO 8601), when GitHub says: the start-up sweep compares it with the PR's last change. */
  at?: string;
  /** Its conclusion once completed (`success`, `failure`, …): the start-up sweep re-evaluates every success. */
  conclusion?: string;
  /** What it shows, as compared with what is about to be written (see fingerprint). */
  shown: string;
}

interface ApiCheckRun {
  id?: unknown;
  name?: unknown;
  external_id?: unknown;
  html_url?: unknown;
  status?: unknown;
  conclusion?: unknown;
  app?: { id?: unknown; slug?: unknown } | null;
  output?: { title?: unknown; summary?: unknown; text?: unknown } | null;
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
      startedAt: str(run.started_at),
      ...(at !== null ? { at } : {}),
      ...(str(run.conclusion) !== null ? { conclusion: str(run.conclusion) as string } : {}),
      shown: fingerprint({
        status: str(run.status) ?? "",
        conclusion: str(run.conclusion),
        externalId: str(run.external_id),
        output: { title: str(run.output?.title) ?? "", summary: str(run.output?.summary) ?? "", ...(str(run.output?.text) !== null ? { text: str(run.output?.text) as string } : {}) },
      }),
    },
  ];
}

/** What a check run shows: status, conclusion, title, summary, text, and the external id a re-run finds the PR by. */
interface Shown {
  status: string;
  conclusion: string | null;
  externalId: string | null;
  output: CheckOutput;
}

/** A short digest of what a check run shows: equal digests, nothing to write. */
function fingerprint(shown: Shown): string {
  const { status, conclusion, externalId, output } = shown;
  const json = JSON.stringify([status, status === "completed" ? conclusion : null, externalId, output.title, output.summary, output.text ?? null]);
  return createHash("sha256").update(json).digest("base64url").slice(0, 22);
}

/** What the body of a check run about to be posted shows. */
function shownBy(body: Record<string, unknown>): string {
  return fingerprint({
    status: String(body["status"]),
    conclusion: typeof body["conclusion"] === "string" ? body["conclusion"] : null,
    externalId: typeof body["external_id"] === "string" ? body["external_id"] : null,
    output: body["output"] as CheckOutput,
  });
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

/**
 * What this app last wrote on each check — by `owner/repo@sha|name`, the fingerprint of what it
 * shows — in this process (MemoryCheckStore) or in Redis (redis-stores.ts), which every replica
 * shares. Knowing it, a check is written only when what it would show changes.
 */
export interface CheckStore {
  /** The fingerprint last written for `key`, undefined when unknown (never written, forgotten, expired). */
  get(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(entries: readonly (readonly [key: string, fingerprint: string])[]): Promise<void>;
  /** Forgets `key`, before a write: throws when it cannot, so that nothing is written that the store would misremember. */
  forget(key: string): Promise<void>;
}

/** The check store of one process: enough for one replica. */
export class MemoryCheckStore implements CheckStore {
  private readonly entries: LruCache<string, string>;

  /** @param maxEntries commits × names remembered; ~150 bytes each. */
  constructor(maxEntries = 20_000) {
    this.entries = new LruCache({ maxEntries });
  }

  get(keys: readonly string[]): Promise<(string | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.entries.get(key)));
  }

  set(entries: readonly (readonly [string, string])[]): Promise<void> {
    for (const [key, value] of entries) this.entries.set(key, value);
    return Promise.resolve();
  }

  forget(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }
}

/** What the sink tells about each check it was asked to post, for metrics. */
export interface CheckWriteObserver {
  check(outcome: "written" | "skipped" | "failed"): void;
}

export interface CheckMemoryOptions {
  /** Where what was written is remembered; default this process's memory. */
  store?: CheckStore;
  /**
   * Whether a check the store knows nothing of makes the sink read the commit's check runs once
   * (what a restart or an expired entry forgot), unless the caller says the commit is new.
   */
  recall?: boolean;
  /** Epoch milliseconds, for `completed_at`. */
  clock?: () => number;
  /** This app's id, when configured; otherwise learnt from the first check run GitHub returns. */
  appId?: number;
  observer?: CheckWriteObserver;
}

/** What this app knows of the check runs it wrote (the store), and its id: one per process. */
export class CheckMemory {
  readonly store: CheckStore;
  readonly recall: boolean;
  readonly clock: () => number;
  readonly observer: CheckWriteObserver | undefined;
  appId: number | undefined;

  constructor(options: CheckMemoryOptions = {}) {
    this.store = options.store ?? new MemoryCheckStore();
    this.recall = options.recall ?? false;
    this.clock = options.clock ?? Date.now;
    this.observer = options.observer;
    this.appId = options.appId;
  }
}

/** The key of a check in the store. */
function checkKey(owner: string, repo: string, sha: string, name: string): string {
  return `${owner}/${repo}@${sha}|${name}`.toLowerCase();
}

/**
 * One repository's check runs through one session: the CheckSink port over GitHub.
 *
 * A check is written only when what it shows changes from what this app last wrote there (the
 * store). That is safe only because a check is never written stale: evaluations of one PR never
 * run at once (the queue), and the store entry is forgotten before each write and set after it,
 * so a write that fails, or a process that dies between the two, leaves "unknown" — and unknown
 * is written again. The one exception is a commit that heads several PRs evaluated on different
 * replicas at once (README, Known limitations).
 */
export class GitHubCheckRuns {
  /** Commits whose check runs this sink already read (once per commit and use). */
  private readonly recalled = new Set<string>();

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
   * Creates the check run, unless it would show what this app last wrote there (then nothing is
   * sent), or `force` (a person asked for a re-run). A new run of the same name on the same commit
   * supersedes the old one in GitHub's UI and for branch protection, so there is never an update.
   * Throws GitHubError when GitHub refuses, or when the store cannot forget the old entry.
   */
  async post(target: CheckTarget, check: PlannedCheck, options: { force?: boolean } = {}): Promise<"posted" | "unchanged"> {
    const { owner, repo, memory } = this;
    const key = checkKey(owner, repo, target.sha, check.name);
    const body = checkRunBody(target, check, memory.clock());
    const shown = shownBy(body);
    if (!options.force && (await this.lastWritten(key, target.sha, target.fresh ?? false)) === shown) {
      memory.observer?.check("skipped");
      return "unchanged";
    }
    try {
      // Forgotten first: if the POST fails, or this process dies before the set, the next
      // evaluation must not believe the old result still shows.
      await memory.store.forget(key).catch((error: unknown) => {
        throw new GitHubError(`cannot record what ${check.name} shows (${error instanceof Error ? error.message : String(error)}): not written`);
      });
      const response = await this.gh.request("POST /repos/{owner}/{repo}/check-runs", { owner, repo, ...body }, `posting ${check.name}`);
      // Remembering is best effort: unknown is written again next time.
      await memory.store.set([[key, shown]]).catch(() => undefined);
      const appId = (response.data as { app?: { id?: unknown } } | undefined)?.app?.id;
      if (memory.appId === undefined && typeof appId === "number") memory.appId = appId;
    } catch (error) {
      memory.observer?.check("failed");
      throw error;
    }
    memory.observer?.check("written");
    return "posted";
  }

  /**
   * What this app last wrote on the check, from the store; when the store does not know and the
   * commit is not new, from one read of the commit's check runs (once per commit), which fills
   * the store for all its names. Undefined when neither knows; a store that fails knows nothing.
   */
  private async lastWritten(key: string, sha: string, fresh: boolean): Promise<string | undefined> {
    const known = await this.memory.store.get([key]).then(
      ([value]) => value,
      () => undefined,
    );
    if (known !== undefined || fresh || !this.memory.recall || this.recalled.has(sha)) return known;
    this.recalled.add(sha);
    let runs: ListedCheckRun[];
    try {
      runs = await this.ours(sha);
    } catch {
      // Not knowing, the check is written: at worst once more than needed.
      return undefined;
    }
    const entries = runs.map((run) => [checkKey(this.owner, this.repo, sha, run.name), run.shown] as const);
    await this.memory.store.set(entries).catch(() => undefined);
    return entries.find(([k]) => k === key)?.[1];
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

  /**
   * Every compliance/audit check run of a commit (not only the latest: a branch forced back to a
   * commit has a record per push), anyone's. `sha` may be a ref (`heads/main`): a branch's tip,
   * where enforcement keeps the copies of its gap records.
   */
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
   * `push:<sha>`; a deployment's, an applied revision's or an enforcement gap's names itself
   * (`externalId`). A gap's record is `neutral` (a red mark on a branch's tip would say its commit
   * failed something), completed when the gap ended (`completedAt`, epoch ms).
   */
  async postRecord(request: {
    sha: string;
    compliant: boolean;
    title: string;
    summary: string;
    text: string;
    externalId?: string;
    neutral?: boolean;
    completedAt?: number;
  }): Promise<number | undefined> {
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
        conclusion: request.neutral === true ? "neutral" : request.compliant ? "success" : "failure",
        completed_at: new Date(request.completedAt ?? this.memory.clock()).toISOString(),
        output: { ...output, text: request.text },
      },
      `posting the audit record of ${request.sha.slice(0, 7)}`,
    );
    const id = (response.data as { id?: unknown } | undefined)?.id;
    return typeof id === "number" ? id : undefined;
  }
}
