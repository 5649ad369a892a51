// When GitHub refused an evaluation's check runs, what they would have replaced may keep showing —
// perhaps a success a dismissal took back. Nothing else comes back to it, so the evaluation runs
// again: the queue's quick retries (10 s, 1 and 5 minutes), then every 30 minutes for a day (an
// installation whose tokens are refused for hours, say), then it is given up on, logged and counted.
import type { Logger } from "probot";
import { evaluationJob, queueKeyOf, type EvaluationRequest } from "./evaluation-memory.js";
import type { Later } from "./ports.js";
import { failureDelayMs, KEEP_TRYING, type QueueObserver } from "./queue/jobs.js";
import { RETRY_DELAYS_MS } from "./retries.js";

/** The retry of a PR's (or merge group's) evaluation: one pending per key, a quick retry or a timer. */
export function retryKeyOf(request: Pick<EvaluationRequest, "owner" | "repo" | "number" | "mergeGroupSha">): string {
  return `retry:${queueKeyOf(request)}`;
}

/**
 * Schedules the next run of an evaluation that had `refused` check runs refused, or cancels its quick
 * retry when none was. A retry past the quick ones is a timer of the same key (Later.at); one left
 * pending after an evaluation that posted everything runs once more and writes nothing new.
 */
export function retryRefused(later: Later, clock: () => number, request: EvaluationRequest, refused: number, log: Logger, observer?: Pick<QueueObserver, "dropped">): void {
  const key = retryKeyOf(request);
  if (refused === 0) {
    later.cancelRetry(key);
    return;
  }
  const attempt = (request.retryAttempt ?? 0) + 1;
  const job = evaluationJob({ ...request, force: false, baseChanged: false, retryAttempt: attempt, reasons: ["retry: a check could not be posted"] });
  // Bounded: 3 quick retries and 48 more, one every 30 minutes, then none.
  const delay = failureDelayMs(RETRY_DELAYS_MS, attempt, KEEP_TRYING);
  if (delay !== undefined && (later.retry(key, job, attempt) || later.at(key, job, clock() + delay))) {
    log.warn({ pull_request: request.number, refused, attempt }, "checks could not be posted: evaluating again later");
    return;
  }
  log.error({ pull_request: request.number, refused, attempts: attempt - 1 }, "checks could not be posted and no retry is left: they may show an older result until the next event");
  observer?.dropped("evaluate");
}
