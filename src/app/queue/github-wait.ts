// When GitHub asks the app to wait — a secondary rate limit (403), too many requests (429), a
// retry-after — a job waits and runs again rather than reporting GitHub's refusal as a failing check.
import { GitHubError } from "../../github/client.js";

/** How long to wait when GitHub says to wait but not how long: its documentation says at least a minute. */
export const DEFAULT_WAIT_MS = 60_000;

/** Secondary and primary rate limits, in the words GitHub answers them with. */
const RATE_LIMITED = /secondary rate limit|rate limit exceeded|abuse detection|retry your request again later/i;

/**
 * How long GitHub asked to wait before the request that failed with `error` is sent again, in ms;
 * undefined when the failure is not GitHub asking to wait. A GitHubError may carry the wait GitHub
 * said (`retryAfterMs`, from the retry-after or x-ratelimit-reset header); otherwise a 429, or a 403
 * that names a rate limit, waits DEFAULT_WAIT_MS.
 */
export function githubWaitOf(error: unknown): number | undefined {
  if (!(error instanceof GitHubError)) return undefined;
  const said = (error as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof said === "number" && Number.isFinite(said) && said >= 0) return Math.max(said, 1_000);
  if (error.status === 429) return DEFAULT_WAIT_MS;
  if (error.status === 403 && RATE_LIMITED.test(error.message)) return DEFAULT_WAIT_MS;
  return undefined;
}

/** Waits of an evaluation GitHub keeps asking to wait: after these, it fails closed as for any error. */
export const MAX_GITHUB_WAITS = 5;

/**
 * Backoff of a failure no commit is known for (the PR could not even be read): it is tried again
 * until it can be reported on, up to a day (10 s, 30 s, 1, 2, 5 min, then every 10 minutes).
 */
export function unattributedDelayMs(attempt: number): number | undefined {
  const steps = [10_000, 30_000, 60_000, 120_000, 300_000];
  if (attempt < 1) return steps[0];
  if (attempt <= steps.length) return steps[attempt - 1];
  // 5 steps take under 9 minutes; 144 more at 10 minutes make a day.
  return attempt <= steps.length + 144 ? 600_000 : undefined;
}
