// Posting an evaluation's check runs: each in turn, a refused one replaced by a failure, and the
// fail-closed report of an evaluation that could not decide.
import type { Logger } from "probot";
import { postedCheckNames, type CheckTarget, type CheckWriter } from "../github/checks.js";
import { POLICY_CHECK, type PlannedCheck } from "../render/check-run.js";
import { GitHubError, type GitHubSession } from "../github/client.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import { renderFailure } from "../render/failure.js";

/** The first line of an unexpected error's message, short: enough to search the log, never a stack trace. */
export function describeUnexpected(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split("\n", 1)[0] ?? "").trim().slice(0, 200);
  return line === "" ? "unexpected error" : `unexpected error: ${line}`;
}

/**
 * Posts each check in turn (GitHub asks integrators to send writes serially). A check that
 * cannot be posted is tried once more as a failure, so it never keeps showing an older success.
 */
export async function postAll(
  checks: CheckWriter,
  gh: GitHubSession,
  log: Logger,
  target: CheckTarget,
  planned: PlannedCheck[],
  force: boolean,
): Promise<{ posted: number; unchanged: number; failed: number }> {
  const tally = { posted: 0, unchanged: 0, failed: 0 };
  for (const check of planned) {
    try {
      tally[await checks.post(gh, target, check, { force })] += 1;
    } catch (error) {
      tally.failed += 1;
      const message = error instanceof GitHubError ? error.message : describeUnexpected(error);
      log.error({ check: check.name, sha: target.sha, error: message }, "could not post a check");
      if (check.verdict === "failure") continue;
      try {
        await checks.post(gh, target, { name: check.name, verdict: "failure", output: renderFailure(`could not report the result: ${message}`) });
      } catch {
        // GitHub refuses writes altogether: nothing more can be said on this commit now.
      }
    }
  }
  return tally;
}

/**
 * Fail closed: a failing check on every name the PR is expected to carry — the environments of
 * the base branch's policies when they could be read, the names this process last reported for
 * the PR, else those already on the commit — and always compliance/policy, which is posted on
 * every PR and so is known even when nothing else is. Returns the names.
 */
export async function reportFailure(
  checks: CheckWriter,
  gh: GitHubSession,
  log: Logger,
  target: CheckTarget,
  known: Set<string>,
  reported: readonly string[],
  message: string,
  force: boolean,
  refused: { count: number } = { count: 0 },
): Promise<string[]> {
  const names = new Set([...known, ...reported]);
  if (names.size === 0) {
    try {
      for (const name of await postedCheckNames(gh, target.owner, target.repo, target.sha, checks.appId)) names.add(name);
    } catch (error) {
      log.warn({ error: error instanceof Error ? error.message : String(error) }, "cannot list the checks already on the commit");
    }
  }
  names.add(POLICY_CHECK);
  const output = renderFailure(message);
  const sorted = sortByCodePoint([...names]);
  for (const name of sorted) {
    try {
      await checks.post(gh, target, { name, verdict: "failure", output }, { force });
    } catch (error) {
      refused.count += 1;
      log.error({ check: name, error: error instanceof Error ? error.message : String(error) }, "could not post a failing check");
    }
  }
  return sorted;
}
