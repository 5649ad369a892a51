// A freeze window that opens or closes while a PR is open must show on its check without waiting
// for an event (SPEC §3.1): the PR's evaluation is set to run again at the next freeze edge of the
// environments it touches.
import type { Logger } from "probot";
import { nextFreezeTransition } from "../engine/index.js";
import type { Decision } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { evaluationJob, queueKeyOf, type EvaluationRequest } from "./evaluation-memory.js";
import type { Later } from "./ports.js";

/**
 * Sets (or clears) the timer for the next freeze edge of the environments this PR touches: at that
 * instant their state may flip, and no webhook will say so. The job carries what the evaluation
 * saw (head, base) and gets a fresh installation client when it runs.
 */
export function scheduleFreezeEdge(
  later: Later,
  log: Logger,
  request: EvaluationRequest,
  judged: { decision: Decision; policies: PolicySet; now: number },
  seen: { head: string; base: string; defaultBranch: string },
): void {
  const key = queueKeyOf(request);
  // not_affected and error do not depend on the clock; the others can flip at a freeze edge.
  const touched = new Set(judged.decision.environments.filter((env) => env.state !== "not_affected" && env.state !== "error").map((env) => env.environment));
  const next = nextFreezeTransition({ policies: judged.policies.policies.filter((p) => touched.has(p.environment)), invalid: [] }, judged.now);
  if (next === null) {
    later.cancelTimer(key);
    return;
  }
  if (request.installationId === undefined) {
    log.warn({ pull_request: request.number }, "no installation id: cannot re-evaluate at the next freeze edge");
    return;
  }
  const { retryAttempt: _retry, baseChanged: _changed, ...rest } = request;
  const edge: EvaluationRequest = { ...rest, ...seen, force: false, reasons: ["freeze window edge"] };
  if (!later.at(key, evaluationJob(edge), next)) {
    log.warn({ pull_request: request.number, at: new Date(next).toISOString() }, "too many freeze timers: this PR's next freeze edge is not watched");
  }
}
