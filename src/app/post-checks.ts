// Posting an evaluation's check runs through the CheckSink: each in turn, a refused one replaced
// by a failure, and the fail-closed report of an evaluation that could not decide. When GitHub
// asks to wait, posting stops: nothing more is sent (a failure posted now is refused as well, or
// shown for nothing once the wait is over); the caller runs the evaluation again after the wait.
import type { Logger } from "probot";
import { GitHubError, isRateLimited, type RateLimit } from "../github/client.js";
import type { PlannedCheck } from "../render/check-run.js";
import { renderFailure } from "../render/failure.js";
import { failingChecks } from "./check-plan.js";
import type { CheckSink, CheckTarget } from "./ports.js";
import { LeaseLost } from "./queue/jobs.js";

/** The first line of an unexpected error's message, short: enough to search the log, never a stack trace. */
export function describeUnexpected(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split("\n", 1)[0] ?? "").trim().slice(0, 200);
  return line === "" ? "unexpected error" : `unexpected error: ${line}`;
}

/** What posting did: checks posted, skipped as unchanged, and refused; `rateLimit` when GitHub asked to wait. */
export interface Posted {
  posted: number;
  unchanged: number;
  failed: number;
  rateLimit?: RateLimit;
}

/**
 * Posts each check in turn (GitHub asks integrators to send writes serially). A check that
 * cannot be posted is tried once more as a failure, so it never keeps showing an older success —
 * unless GitHub asked to wait: then this and the checks after it count as refused, unsent, and
 * `rateLimit` says how long to wait before the evaluation runs again.
 */
export async function postAll(checks: CheckSink, log: Logger, target: CheckTarget, planned: readonly PlannedCheck[], force: boolean): Promise<Posted> {
  const tally: Posted = { posted: 0, unchanged: 0, failed: 0 };
  for (const [i, check] of planned.entries()) {
    try {
      tally[await checks.post(target, check, { force })] += 1;
    } catch (error) {
      // The run no longer holds its PR: it says nothing more, anywhere (its caller ends it).
      if (error instanceof LeaseLost) throw error;
      if (isRateLimited(error)) {
        tally.failed += planned.length - i;
        tally.rateLimit = error.rateLimit;
        log.warn({ check: check.name, sha: target.sha, error: error.message, retry_after_ms: error.rateLimit.retryAfterMs }, "GitHub asked to wait: the remaining checks are not posted now");
        break;
      }
      tally.failed += 1;
      const message = error instanceof GitHubError ? error.message : describeUnexpected(error);
      log.error({ check: check.name, sha: target.sha, error: message }, "could not post a check");
      if (check.verdict === "failure") continue;
      try {
        await checks.post(target, { name: check.name, verdict: "failure", output: renderFailure(`could not report the result: ${message}`) });
      } catch {
        // GitHub refuses writes altogether: nothing more can be said on this commit now.
      }
    }
  }
  return tally;
}

/**
 * Fail closed (check-plan.ts's failingChecks): a failing check on every name the PR is expected to
 * carry — `known`, and those last `reported` — else those already on the commit, and always
 * compliance/policy. Returns the names; counts the refused posts in `refused`.
 */
export async function reportFailure(
  checks: CheckSink,
  log: Logger,
  target: CheckTarget,
  names: { known: ReadonlySet<string>; reported: readonly string[] },
  message: string,
  force: boolean,
  refused: { count: number } = { count: 0 },
): Promise<string[]> {
  const expected = new Set([...names.known, ...names.reported]);
  if (expected.size === 0) {
    try {
      for (const check of await checks.ours(target.sha)) expected.add(check.name);
    } catch (error) {
      log.warn({ error: error instanceof Error ? error.message : String(error) }, "cannot list the checks already on the commit");
    }
  }
  const failing = failingChecks(expected, message);
  for (const [i, check] of failing.entries()) {
    try {
      await checks.post(target, check, { force });
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      if (isRateLimited(error)) {
        refused.count += failing.length - i;
        log.warn({ check: check.name, error: error.message, retry_after_ms: error.rateLimit.retryAfterMs }, "GitHub asked to wait: the failing checks are not posted now");
        break;
      }
      refused.count += 1;
      log.error({ check: check.name, error: error instanceof Error ? error.message : String(error) }, "could not post a failing check");
    }
  }
  return failing.map((check) => check.name);
}
