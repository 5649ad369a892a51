// Nothing lost (SPEC §4.4): GitHub does not redeliver a webhook that failed, so a merged PR whose
// record could not be written (GitHub down, the app restarting, a delivery that never came) is
// found again here. On any delivery for a repository — at most once per interval per repository
// and process — the PRs merged within the window are listed, and each one this process does not
// know to be recorded is recorded (which first looks for its audit comment, and stops there).
//
// The guarantee: a PR merged within the window gets its record by the first delivery for its
// repository that comes at least one interval after the failure (or after the replica started),
// or by the failed write's own retries (10 s, 1 min, 5 min), whichever is first. A repository that
// receives no event for longer than the window leaves such a PR without a record; `audit export`
// lists it as missing. Stateless: every replica keeps its own interval and memory, so after a
// restart the first event of a repository reconciles it.
import type { Logger } from "probot";
import { GitHubError } from "../github/client.js";
import { LruCache } from "../github/lru-cache.js";
import type { MergeRecorder } from "./audit-merge.js";
import type { DeliverySource } from "./delivery.js";
import type { Job, Ports } from "./ports.js";
import { requestSummary } from "./request-tally.js";

/** The job that reconciles a repository's recent merges when its interval has passed. */
export function reconcileJob(source: DeliverySource, log?: Record<string, string | number>): Job<DeliverySource> {
  return {
    kind: "reconcile",
    key: `reconcile:${source.owner}/${source.repo}`.toLowerCase(),
    ...(source.installationId !== undefined ? { installationId: source.installationId } : {}),
    payload: source,
    ...(log !== undefined ? { log } : {}),
    priority: "bulk",
  };
}

export interface ReconcilerOptions {
  recorder: MergeRecorder;
  clock: () => number;
  intervalMs: number;
  windowMs: number;
  /**
   * Whether the first delivery for a repository after the process starts reconciles it (the
   * default: a restart is when records get lost). False treats every repository as reconciled at
   * start, so the first reconcile comes one interval later (tests of other features).
   */
  reconcileOnFirstEvent?: boolean;
}

/** Repositories whose last reconcile is remembered (one number each). */
const MAX_REPOSITORIES = 10_000;
/** Pages of closed PRs (100 each) listed per reconcile at most. */
const MAX_PAGES = 10;
/** PRs recorded per reconcile at most, so one delivery never starts an unbounded burst of requests; the rest wait for the next. */
const MAX_RECORDINGS = 25;
/** After a reconcile that could not list the PRs, the next delivery tries again this much later. */
const FAILED_RETRY_MS = 60_000;

/** What one reconcile did. */
export interface Reconciled {
  listed: number;
  /** Merged within the window and not known to be recorded. */
  candidates: number;
  recorded: number;
  failed: number;
  /** Candidates left for the next reconcile (over MAX_RECORDINGS). */
  left: number;
}

/** Reconciles each repository's recent merges at most once per interval. */
export class Reconciler {
  private readonly last = new LruCache<string, number>({ maxEntries: MAX_REPOSITORIES });
  private readonly startedAt: number;

  constructor(private readonly options: ReconcilerOptions) {
    this.startedAt = options.clock();
  }

  /** Whether a delivery for the repository now would reconcile it (its interval has passed). */
  due(source: DeliverySource): boolean {
    const last = this.last.get(`${source.owner}/${source.repo}`.toLowerCase()) ?? (this.options.reconcileOnFirstEvent === false ? this.startedAt : undefined);
    return last === undefined || this.options.clock() - last >= this.options.intervalMs;
  }

  /** Called for every delivery: reconciles the repository when its interval has passed. Never rejects. */
  async onDelivery(ports: Ports, source: DeliverySource, log: Logger): Promise<Reconciled | undefined> {
    const key = `${source.owner}/${source.repo}`.toLowerCase();
    const now = this.options.clock();
    if (!this.due(source)) return undefined;
    // Taken before the work: the deliveries that arrive meanwhile do not start another.
    this.last.set(key, now);
    try {
      return await this.reconcile(ports, source, log);
    } catch (error) {
      this.last.set(key, now - this.options.intervalMs + Math.min(FAILED_RETRY_MS, this.options.intervalMs));
      log.warn(
        { repository: `${source.owner}/${source.repo}`, error: error instanceof GitHubError ? error.message : String(error) },
        "cannot list the recent merges to reconcile their audit records: trying again on a later event",
      );
      return undefined;
    }
  }

  /** Lists the window's merged PRs and records those not known to be recorded; throws when the listing fails. */
  async reconcile(ports: Ports, source: DeliverySource, log: Logger): Promise<Reconciled> {
    const { owner, repo } = source;
    const { recorder } = this.options;
    const since = this.options.clock() - this.options.windowMs;
    const listed = await ports.pulls.closedSince({ since, maxPages: MAX_PAGES, doing: "listing recently closed pull requests" });
    const candidates = listed.pulls
      .filter((p) => p.merged_at !== null && Date.parse(p.merged_at) >= since)
      .filter((p) => !recorder.isSettled(owner, repo, p.number) && !recorder.isRetrying(owner, repo, p.number))
      // Those about to leave the window first.
      .sort((a, b) => Date.parse(a.merged_at as string) - Date.parse(b.merged_at as string));
    const result: Reconciled = { listed: listed.pulls.length, candidates: candidates.length, recorded: 0, failed: 0, left: Math.max(0, candidates.length - MAX_RECORDINGS) };
    for (const pull of candidates.slice(0, MAX_RECORDINGS)) {
      const outcome = await recorder.onMerged(
        { ...source, number: pull.number, ...(pull.merged_at !== null ? { mergedAt: pull.merged_at } : {}), reason: "reconcile" },
        ports,
        log,
      );
      if (outcome === "failed") result.failed += 1;
      else if (outcome === "recorded") result.recorded += 1;
    }
    const level = result.recorded > 0 || result.failed > 0 || !listed.complete ? "info" : "debug";
    log[level](
      {
        repository: `${owner}/${repo}`,
        ...result,
        ...(listed.complete ? {} : { incomplete: `more than ${MAX_PAGES * 100} pull requests closed within the window: older ones were not looked at` }),
        requests: requestSummary(ports.requests()),
      },
      "reconciled the audit records of recent merges",
    );
    return result;
  }
}
