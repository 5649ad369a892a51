// GitHub's secondary rate limits, kept per installation (and across replicas when the store is
// shared): requests in flight, points per minute with writes costing more, the spacing of writes
// and of content-creating writes, and the pauses GitHub asks for (retry-after, a spent primary
// limit). Every installation client of the app goes through one PacedClient.
import { randomUUID } from "node:crypto";
import { PacingRefusal, rateLimitOf, type GitHubClient, type GitHubResponse, type RateLimit } from "./client.js";
import { LruCache } from "./lru-cache.js";
import type { Budget, PacingStore } from "./pacing-store.js";
import { mayWrite, WriteRefused } from "./write-guard.js";

/** What the pacer keeps to, per installation. Defaults and the reasons for them: DEFAULT_PACING. */
export interface PacingLimits {
  /** Requests of one installation in flight at once. */
  concurrency: number;
  /** Secondary-limit points per minute, steady: a read costs 1, a write 5. */
  pointsPerMinute: number;
  /** Points that may go at once above the steady rate (any minute sees at most this plus pointsPerMinute). */
  pointsBurst: number;
  /** Milliseconds between two writes (POST, PATCH, PUT, DELETE) of one installation. */
  writeSpacingMs: number;
  /** Content-creating writes (issues, comments, review requests) per hour, steady, and at once. */
  contentPerHour: number;
  contentBurst: number;
  /** A pause GitHub asked for up to this long is waited out in place (then the request is sent once more); a longer one is refused at once, for the job to wait. */
  maxPauseWaitMs: number;
  /** A request GitHub has not answered in this long is abandoned: GitHub did not answer. */
  timeoutMs: number;
}

/**
 * GitHub's documented secondary limits ("Rate limits for the REST API"): at most 100 concurrent
 * requests; at most 900 points per minute for REST endpoints (GET, HEAD, OPTIONS 1 point;
 * POST, PATCH, PUT, DELETE 5); at most 80 content-generating requests per minute and 500 per
 * hour. The defaults stay inside each with a margin; bench/pacing.ts measures what they allow
 * (README, "GitHub's limits"):
 * - 20 in flight, a fifth of GitHub's 100;
 * - 780 points a minute steady plus a burst of 60: no minute can see more than 840 of 900. A
 *   warm evaluation reads 7 times (304s included: GitHub may charge them points) and writes what
 *   changed, so this budget, not the write spacing, bounds a burst: about 60 evaluations a minute.
 *   (720 plus 120 has the same worst minute, but a sustained burst goes at the steady rate: 7%
 *   slower.)
 * - writes 500 ms apart (120 a minute, 600 points): bench/pacing.ts finds that closer spacing gains
 *   nothing — the points budget binds first, for a burst of evaluations (at 1.3 writes a second)
 *   and for a policy push re-evaluating every open PR (2.0) alike — while 750 ms would slow the
 *   push by half and 1 s (GitHub's general advice for bulk writes) would double it. Check runs notify
 *   no one (Octokit's throttling does not count them as content creation either); should GitHub
 *   count them so, its 403s pause the installation (below), and
 *   COMPLIANCE_GITHUB_WRITE_SPACING_MS=750 keeps to 80 a minute;
 * - content-creating writes (issues, comments, review requests) 440 an hour plus a burst of 60:
 *   at most 500 in any hour, and at most 68 in any minute;
 * - GitHub's pauses up to 10 s waited in place, longer ones handed to the job's queue;
 * - 30 s for an answer (GitHub ends a REST request itself after 10 s, so an abandoned write has
 *   landed or never will before the next one is sent).
 */
export const DEFAULT_PACING: PacingLimits = {
  concurrency: 20,
  pointsPerMinute: 780,
  pointsBurst: 60,
  writeSpacingMs: 500,
  contentPerHour: 440,
  contentBurst: 60,
  maxPauseWaitMs: 10_000,
  timeoutMs: 30_000,
};

/** What the pacer reports, for metrics (app/metrics.ts implements it). */
export interface GitHubObserver {
  /** A request was answered (`status`), or got no answer at all (`status` undefined: refused by the pacer, dropped, timed out). */
  answered(request: { installation: string; method: string; status: number | undefined; waitedMs: number }): void;
  /** GitHub's primary limit as the last answer told it. */
  rateLimit(installation: string, remaining: number, limit: number | undefined): void;
  /** GitHub asked the installation to wait. */
  limited(installation: string, limit: RateLimit): void;
}

/** The routes whose writes create content GitHub limits separately (issues, comments, review requests). */
const CONTENT_ROUTES = [/\/issues$/, /\/issues\/[^/]+\/comments$/, /\/pulls\/[^/]+\/requested_reviewers$/, /\/pulls$/, /\/pulls\/[^/]+\/reviews$/];

/** How a route is paced: its method class and the budgets it draws from. */
export function budgetsOf(method: string, path: string, limits: PacingLimits): { write: boolean; budgets: Budget[] } {
  // A GraphQL query reads, whatever its method; the app sends no mutation.
  const write = !["GET", "HEAD", "OPTIONS"].includes(method) && path !== "/graphql";
  const budgets: Budget[] = [{ name: "points", capacity: limits.pointsBurst, intervalMs: 60_000 / limits.pointsPerMinute, cost: write ? 5 : 1 }];
  if (write && limits.writeSpacingMs > 0) budgets.push({ name: "writes", capacity: 1, intervalMs: limits.writeSpacingMs, cost: 1 });
  if (write && method === "POST" && CONTENT_ROUTES.some((route) => route.test(path))) {
    budgets.push({ name: "content", capacity: limits.contentBurst, intervalMs: 3_600_000 / limits.contentPerHour, cost: 1 });
  }
  return { write, budgets };
}

/** Timers the pacer sleeps on; tests pass instant ones. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
}

const REAL_SLEEP: Sleeper = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** How long one slot is held at most: a request abandoned at `timeoutMs`, with room to spare. */
const leaseOf = (limits: PacingLimits): number => limits.timeoutMs + 30_000;

export interface PacerOptions {
  store: PacingStore;
  limits?: Partial<PacingLimits>;
  observer?: GitHubObserver;
  sleeper?: Sleeper;
  /** Where a store that fails hands over (the store is Redis, and Redis is gone): this process's own. */
  fallback?: PacingStore;
  /** Told when the store fails and the fallback is used. */
  onStoreError?: (error: unknown) => void;
  /** Epoch ms, to read GitHub's `x-ratelimit-reset`; default Date.now. */
  clock?: () => number;
}

/** One pacer per process; `client` puts an installation's client behind it. */
export class Pacer {
  readonly limits: PacingLimits;
  readonly clock: () => number;
  private readonly sleeper: Sleeper;
  /** Per installation, until when this process's last reservation (or a pause) holds its requests. */
  private readonly heldUntil = new LruCache<string, number>({ maxEntries: 10_000 });

  constructor(private readonly options: PacerOptions) {
    this.limits = { ...DEFAULT_PACING, ...options.limits };
    this.sleeper = options.sleeper ?? REAL_SLEEP;
    this.clock = options.clock ?? Date.now;
  }

  /** `client` (an installation's Octokit) paced as installation `installation`. */
  client(installation: number | string, client: GitHubClient): GitHubClient {
    return new PacedClient(this, String(installation), client);
  }

  /**
   * Waits until the request may go: its budgets reserved, a slot held. Throws PacingRefusal when
   * GitHub asked the installation to hold for longer than `maxPauseWaitMs`. Returns the slot's
   * release and how long it waited.
   */
  async admit(installation: string, method: string, path: string): Promise<{ release: () => Promise<void>; waitedMs: number }> {
    const { budgets } = budgetsOf(method, path, this.limits);
    let waitedMs = 0;
    for (let pauses = 0; ; pauses += 1) {
      const reservation = await this.store((store) => store.reserve(installation, budgets));
      this.hold(installation, "pausedMs" in reservation ? reservation.pausedMs : reservation.waitMs);
      if ("pausedMs" in reservation) {
        // A pause that outlasts its wait (another request extended it) is handed over after a few rounds.
        if (reservation.pausedMs > this.limits.maxPauseWaitMs || pauses >= 3) throw new PacingRefusal({ kind: "secondary", retryAfterMs: reservation.pausedMs });
        await this.sleeper.sleep(reservation.pausedMs);
        waitedMs += reservation.pausedMs;
        continue;
      }
      if (reservation.waitMs > 0) {
        await this.sleeper.sleep(reservation.waitMs);
        waitedMs += reservation.waitMs;
      }
      break;
    }
    const id = randomUUID();
    // Slots free up when requests end: polled, from 10 ms up to a quarter second.
    for (let delay = 10; !(await this.store((store) => store.acquire(installation, id, this.limits.concurrency, leaseOf(this.limits)))); delay = Math.min(delay * 2, 250)) {
      await this.sleeper.sleep(delay);
      waitedMs += delay;
    }
    return { release: () => this.store((store) => store.release(installation, id)), waitedMs };
  }

  /**
   * Whether the installation's requests wait on its budgets now: the last one this process reserved
   * goes later than now (its budget is spent ahead, or GitHub asked it to hold). A queue starts no
   * more of the installation's runs meanwhile (GroupShares): they would only share the same budget,
   * each run taking longer, while a review that arrives next waits behind all of them.
   */
  spentAhead(installation: string): boolean {
    return (this.heldUntil.get(installation) ?? 0) > this.clock();
  }

  private hold(installation: string, ms: number): void {
    const until = this.clock() + ms;
    if (ms > 0 && until > (this.heldUntil.get(installation) ?? 0)) this.heldUntil.set(installation, until);
  }

  /** GitHub asked to wait: every request of the installation holds for `limit.retryAfterMs`, on every replica sharing the store. */
  async limited(installation: string, limit: RateLimit): Promise<void> {
    this.options.observer?.limited(installation, limit);
    await this.store((store) => store.pause(installation, limit.retryAfterMs));
  }

  get observer(): GitHubObserver | undefined {
    return this.options.observer;
  }

  /** The shared store, or this process's own while the shared one fails: pacing goes on either way. */
  private async store<T>(use: (store: PacingStore) => Promise<T>): Promise<T> {
    try {
      return await use(this.options.store);
    } catch (error) {
      if (!this.options.fallback) throw error;
      this.options.onStoreError?.(error);
      return use(this.options.fallback);
    }
  }
}

type RequestFunction = GitHubClient["request"];

/** The status and headers of a failed Octokit request, when GitHub answered. */
function answerOf(error: unknown): { status: number | undefined; headers: GitHubResponse["headers"] | undefined } {
  if (typeof error !== "object" || error === null) return { status: undefined, headers: undefined };
  const { status, response } = error as { status?: unknown; response?: { headers?: GitHubResponse["headers"] } };
  // Octokit reports "no answer" (a dropped connection, a timeout) as a 500 without a response.
  if (typeof status !== "number" || (status === 500 && response === undefined)) return { status: undefined, headers: undefined };
  return { status, headers: response?.headers };
}

/** An installation's client behind the pacer: what GitHubSession sends through. */
export class PacedClient implements GitHubClient {
  readonly request: RequestFunction;

  constructor(
    private readonly pacer: Pacer,
    private readonly installation: string,
    private readonly inner: GitHubClient,
  ) {
    const send: RequestFunction = (route, parameters) => this.send(route, parameters ?? {});
    // GitHubSession reads the client's base URL (GitHub Enterprise's GraphQL address) from here.
    this.request = Object.assign(send, { endpoint: (inner.request as { endpoint?: unknown }).endpoint });
  }

  private async send(route: string, parameters: Record<string, unknown>): Promise<GitHubResponse> {
    const [method = "GET", path = ""] = route.split(" ");
    const { write } = budgetsOf(method, path, this.pacer.limits);
    for (let attempt = 1; ; attempt += 1) {
      const { release, waitedMs } = await this.pacer.admit(this.installation, method, path);
      try {
        // Asked now, not when the write was asked for: the pacer may have held it for seconds, long
        // enough for what allowed it (a run's lease on its PR) to be lost. Refused, nothing is sent.
        if (write) await mayWrite();
        const response = await this.inner.request(route, { ...parameters, request: { ...(parameters["request"] as object | undefined), signal: AbortSignal.timeout(this.pacer.limits.timeoutMs) } });
        this.observe(method, response.status, response.headers, waitedMs);
        await this.spent(response.headers);
        return response;
      } catch (error) {
        if (error instanceof WriteRefused) throw error;
        const { status, headers } = answerOf(error);
        this.observe(method, status, headers, waitedMs);
        const limit = rateLimitOf(status, headers, error instanceof Error ? error.message : String(error), this.pacer.clock());
        if (limit === undefined) throw error;
        await this.pacer.limited(this.installation, limit);
        // A short pause is waited out here and the request sent once more; a long one is the job's to wait.
        if (attempt > 1 || limit.retryAfterMs > this.pacer.limits.maxPauseWaitMs) throw error;
      } finally {
        await release().catch(() => undefined);
      }
    }
  }

  private observe(method: string, status: number | undefined, headers: GitHubResponse["headers"] | undefined, waitedMs: number): void {
    const observer = this.pacer.observer;
    if (!observer) return;
    observer.answered({ installation: this.installation, method, status, waitedMs });
    const remaining = Number(headers?.["x-ratelimit-remaining"]);
    const limit = Number(headers?.["x-ratelimit-limit"]);
    if (headers?.["x-ratelimit-remaining"] !== undefined && Number.isFinite(remaining)) observer.rateLimit(this.installation, remaining, Number.isFinite(limit) ? limit : undefined);
  }

  /** The primary limit spent by a successful answer: the next request would be refused, so none goes until the reset. */
  private async spent(headers: GitHubResponse["headers"]): Promise<void> {
    if (String(headers["x-ratelimit-remaining"]) !== "0") return;
    const reset = Number(headers["x-ratelimit-reset"]);
    if (!Number.isFinite(reset) || reset <= 0) return;
    await this.pacer.limited(this.installation, { kind: "primary", retryAfterMs: Math.max(1000, reset * 1000 - this.pacer.clock() + 1000) });
  }
}
