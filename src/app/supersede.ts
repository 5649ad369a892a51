// Superseding (SPEC §3.3): checks of names a PR no longer gets — its base branch changed, or has no
// policies any more — are posted again, since GitHub cannot delete a check run (check-plan.ts says as what).
import type { Logger } from "probot";
import { sortByCodePoint } from "../policy/code-point-order.js";
import { externalIdOf } from "../render/check-run.js";
import { supersedingChecks } from "./check-plan.js";
import { queueKeyOf, type EvaluationMemory, type EvaluationRequest } from "./evaluation-memory.js";
import type { CheckTarget, Ports } from "./ports.js";
import { LeaseLost } from "./queue/jobs.js";

/**
 * Supersedes the names this process last posted for the PR on this commit that it no longer plans,
 * and — when the event changed the base — those GitHub shows on the commit with this PR's external
 * id (another replica may have posted them). Returns the names superseded, and those GitHub refused
 * (to try again), counted in `refused` too.
 */
export async function supersede(
  ports: Ports,
  log: Logger,
  memory: EvaluationMemory,
  request: EvaluationRequest,
  target: CheckTarget,
  now: { base: string; planned: readonly string[]; noPolicies: boolean },
  refused: { count: number },
): Promise<{ names: string[]; unposted: string[] }> {
  if (request.mergeGroupSha !== undefined) return { names: [], unposted: [] };
  const planned = new Set(now.planned);
  const stale = new Set<string>();
  const before = memory.reported.get(queueKeyOf(request));
  if (before?.sha === target.sha) for (const name of before.names) if (!planned.has(name)) stale.add(name);
  if (request.baseChanged) {
    try {
      const ours = externalIdOf(request.number, false);
      for (const check of await ports.checks.ours(target.sha)) {
        if (check.externalId === ours && !planned.has(check.name)) stale.add(check.name);
      }
    } catch (error) {
      log.warn({ sha: target.sha, error: error instanceof Error ? error.message : String(error) }, "cannot list the checks of the old base branch on the commit");
    }
  }
  const siblings = memory.heads.others(`${ports.owner}/${ports.repo}`, target.sha, request.number);
  const unposted: string[] = [];
  for (const check of supersedingChecks([...stale], siblings, { base: now.base, oldBase: before?.base, noPolicies: now.noPolicies })) {
    try {
      await ports.checks.post(target, check, { force: request.force });
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      refused.count += 1;
      unposted.push(check.name);
      log.error({ check: check.name, sha: target.sha, error: error instanceof Error ? error.message : String(error) }, "could not supersede a check of the old base branch");
    }
  }
  return { names: sortByCodePoint([...stale]), unposted };
}
