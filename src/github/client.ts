// The slice of an Octokit the adapters need, and a session over it that counts
// requests, follows pagination and turns failed requests into messages that say what failed.
import { WriteRefused } from "./write-guard.js";

/** A response as Octokit returns it; only what the adapters read. */
export interface GitHubResponse {
  status: number;
  headers: Record<string, string | number | undefined>;
  data: unknown;
}

/**
 * Any Octokit: a Probot `context.octokit`, an `@octokit/rest` Octokit, or a test double.
 * Only `request` is used, so plugins (pagination, REST methods) need not be present.
 */
export interface GitHubClient {
  request(route: string, parameters?: Record<string, unknown>): Promise<GitHubResponse>;
}

/** The GitHub requests one gathering made. */
export interface RequestCount {
  /** Every request sent, 304s included. */
  total: number;
  /** Conditional requests answered 304 Not Modified: GitHub does not count them against the rate limit. */
  notModified: number;
  /** Requests by route template, e.g. `GET /repos/{owner}/{repo}/pulls/{pull_number}/files`. */
  byRoute: Record<string, number>;
}

/**
 * GitHub asked us to wait: a secondary rate limit (a 403 or 429 saying so, or any 429), the
 * primary limit spent (`x-ratelimit-remaining: 0`), or a pause another request of the same
 * installation learnt of (the pacer refuses to send while it lasts, pacing.ts). A job that meets
 * one waits `retryAfterMs` and runs again; it never reports it as a failing check.
 */
export interface RateLimit {
  kind: "secondary" | "primary";
  /** How long to wait before asking GitHub again, from when the error was thrown. */
  retryAfterMs: number;
}

/**
 * GitHub could not be read (or refused a write): the one error every adapter throws, and every
 * use case catches once to fail closed. Its message is fit for a failing check. `request` is set
 * when a request failed, with GitHub's status when GitHub answered; absent, GitHub answered but
 * not with what was needed (a field missing, a list too long to read whole). `rateLimit` is set
 * when GitHub asked to wait: the request may well succeed later, so a caller that can wait should.
 */
export class GitHubError extends Error {
  override readonly name: string = "GitHubError";

  constructor(
    message: string,
    readonly request?: { status: number | undefined; route: string },
    readonly rateLimit?: RateLimit,
  ) {
    super(message);
  }

  /** GitHub's status, when a request was answered with a failure. */
  get status(): number | undefined {
    return this.request?.status;
  }

  /** How long GitHub asked to wait, when it did (the queue's githubWaitOf reads it). */
  get retryAfterMs(): number | undefined {
    return this.rateLimit?.retryAfterMs;
  }
}

/** Whether `error` is GitHub asking to wait (see RateLimit): wait and run again, never fail the check for it. */
export function isRateLimited(error: unknown): error is GitHubError & { rateLimit: RateLimit } {
  return error instanceof GitHubError && error.rateLimit !== undefined;
}

/** The error of a request that failed; the message says what was being done. */
export function requestFailed(status: number | undefined, route: string, doing: string, detail: string, rateLimit?: RateLimit): GitHubError {
  const message =
    rateLimit !== undefined
      ? `GitHub asked to wait ${Math.ceil(rateLimit.retryAfterMs / 1000)} s (${rateLimit.kind} rate limit) while ${doing}`
      : status === undefined
        ? `GitHub request failed while ${doing}${detail ? `: ${detail}` : ""}`
        : `GitHub API error ${status} while ${doing}${detail ? `: ${detail}` : ""}`;
  return new GitHubError(message, { status, route }, rateLimit);
}

/**
 * What the pacer (pacing.ts) throws instead of sending a request GitHub told it to hold: the
 * session turns it into a GitHubError carrying the wait, naming what was being done.
 */
export class PacingRefusal extends Error {
  override readonly name = "PacingRefusal";

  constructor(readonly rateLimit: RateLimit) {
    super(`GitHub asked to wait (${rateLimit.kind} rate limit)`);
  }
}

/** GitHub's advice when a secondary limit gives no retry-after: "wait for at least one minute". */
const SECONDARY_LIMIT_DEFAULT_WAIT_MS = 60_000;

type Headers = Record<string, string | number | undefined>;

function header(headers: Headers | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined ? undefined : String(value);
}

/**
 * Whether an answer is GitHub asking to wait, and for how long (GitHub's "Rate limits for the REST
 * API": wait `retry-after` seconds when it is given; when `x-ratelimit-remaining` is 0, until
 * `x-ratelimit-reset`; otherwise at least a minute). `now` is epoch ms, for the reset.
 */
export function rateLimitOf(status: number | undefined, headers: Headers | undefined, message: string, now: number): RateLimit | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = header(headers, "retry-after");
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  const secondary = status === 429 || /secondary rate limit|abuse detection/i.test(message) || seconds !== undefined;
  if (header(headers, "x-ratelimit-remaining") === "0" && !secondary) {
    const reset = Number(header(headers, "x-ratelimit-reset"));
    // One second past the reset, as GitHub advises; a reset that cannot be read waits a minute.
    const wait = Number.isFinite(reset) && reset > 0 ? reset * 1000 - now + 1000 : SECONDARY_LIMIT_DEFAULT_WAIT_MS;
    return { kind: "primary", retryAfterMs: Math.max(1000, wait) };
  }
  if (!secondary) return undefined;
  return { kind: "secondary", retryAfterMs: seconds !== undefined ? Math.max(1000, seconds * 1000) : SECONDARY_LIMIT_DEFAULT_WAIT_MS };
}

/**
 * Octokit throws a RequestError carrying `status` for every non-2xx answer, 304 included.
 * When GitHub was never reached it says 500 with no response: that is no answer at all.
 */
function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const { status, response } = error as { status: unknown; response?: unknown };
    if (typeof status === "number" && !(status === 500 && response === undefined)) return status;
  }
  return undefined;
}

/** GitHub's own words, when they are short enough for a check title; never an HTML error page. */
function detailOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split("\n", 1)[0]?.trim() ?? "";
  if (line === "" || line.startsWith("<") || line.length > 200) return "";
  return line;
}

/** Whether GitHub's `Link` header offers a next page. */
export function hasNextPage(headers: GitHubResponse["headers"]): boolean {
  const link = headers["link"];
  return typeof link === "string" && /<[^>]*>\s*;\s*rel="next"/.test(link);
}

export interface RequestOptions {
  /** Statuses that are answers rather than failures (say 404 "no such folder", 304 "unchanged"). */
  accept?: number[];
}

export interface PageOptions<T> {
  /** Stop after this many pages even when GitHub offers more; the result then says `complete: false`. */
  maxPages: number;
  /** The list inside a page, for endpoints whose pages are objects (compare). Default: the page itself. */
  items?: (data: unknown) => T[];
  perPage?: number;
  /** Start at this page (to go on where an earlier, cut-off listing stopped). Default 1. */
  firstPage?: number;
}

/** One page of a list. */
export interface Page<T> {
  items: T[];
  /** Its number, from 1. */
  page: number;
  /** Whether GitHub offers a next page. */
  next: boolean;
}

/** One use of a client (an evaluation, an audit): counted requests, failures as GitHubError. */
export class GitHubSession {
  readonly count: RequestCount = { total: 0, notModified: 0, byRoute: {} };

  constructor(private readonly client: GitHubClient) {}

  /**
   * Where GraphQL is served, for `POST /graphql`: GitHub Enterprise Server serves REST at
   * `/api/v3` but GraphQL at `/api/graphql` (what @octokit/graphql does); undefined for github.com
   * or a client that does not say (its own base URL is right).
   */
  graphqlBaseUrl(): string | undefined {
    const base = (this.client.request as { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } }).endpoint?.DEFAULTS?.baseUrl;
    return typeof base === "string" && /\/api\/v3\/?$/.test(base) ? base.replace(/\/api\/v3\/?$/, "/api") : undefined;
  }

  /** Sends one request; an unaccepted non-2xx answer throws GitHubError naming `doing`. */
  async request(
    route: string,
    parameters: Record<string, unknown>,
    doing: string,
    options: RequestOptions = {},
  ): Promise<GitHubResponse> {
    this.count.total += 1;
    this.count.byRoute[route] = (this.count.byRoute[route] ?? 0) + 1;
    try {
      return await this.client.request(route, parameters);
    } catch (error) {
      if (error instanceof PacingRefusal) throw requestFailed(undefined, route, doing, "", error.rateLimit);
      // Not GitHub failing: the caller's own guard refused the write (write-guard.ts), and says why.
      if (error instanceof WriteRefused) throw error;
      const status = statusOf(error);
      if (status === 304) this.count.notModified += 1;
      const response = (error as { response?: { headers?: GitHubResponse["headers"]; data?: unknown } }).response;
      if (status !== undefined && options.accept?.includes(status)) {
        // GitHub's body comes along: a 404's message tells "no such path" from "no such commit".
        return { status, headers: response?.headers ?? {}, data: response?.data };
      }
      const rateLimit = rateLimitOf(status, response?.headers, error instanceof Error ? error.message : String(error), Date.now());
      throw requestFailed(status, route, doing, detailOf(error), rateLimit);
    }
  }

  /**
   * The pages of a list, one at a time, following GitHub's `Link: rel="next"` up to `maxPages`:
   * the one place that pages through GitHub. A caller that stops early (say at an item older than
   * it wants) breaks out of the loop, and no further page is read. `doing` may name the page.
   */
  async *pages<T>(
    route: string,
    parameters: Record<string, unknown>,
    doing: string | ((page: number) => string),
    options: PageOptions<T>,
  ): AsyncGenerator<Page<T>, void, undefined> {
    const perPage = options.perPage ?? 100;
    const extract = options.items ?? ((data: unknown) => (Array.isArray(data) ? (data as T[]) : []));
    const first = options.firstPage ?? 1;
    for (let page = first; page < first + options.maxPages; page += 1) {
      const response = await this.request(route, { ...parameters, per_page: perPage, page }, typeof doing === "string" ? doing : doing(page));
      const next = hasNextPage(response.headers);
      yield { items: extract(response.data), page, next };
      if (!next) return;
    }
  }

  /** Every item of a paginated list, up to `maxPages` pages; `complete` is false when GitHub offered more. */
  async list<T>(
    route: string,
    parameters: Record<string, unknown>,
    doing: string,
    options: PageOptions<T>,
  ): Promise<{ items: T[]; complete: boolean }> {
    return collect(this.pages(route, parameters, doing, options));
  }
}

/** Every item of `pages`; `complete` is false when GitHub offered a page past the last one read. */
export async function collect<T>(pages: AsyncIterable<Page<T>>): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let complete = false;
  for await (const page of pages) {
    items.push(...page.items);
    complete = !page.next;
  }
  return { items, complete };
}
