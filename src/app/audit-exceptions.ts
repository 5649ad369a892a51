// Which environments of a recorded change are exceptions (SPEC §4.3) and what their issue says:
// the environments' `audit` settings, what was missing, and who is asked for the retrospective.
import type { AuditRecord } from "../audit/record.js";
import { describeNeeded } from "../engine/index.js";
import { displayTeam } from "../engine/approvers.js";
import type { Decision, EnvironmentDecision } from "../engine/types.js";
import { GitHubError } from "../github/client.js";
import type { Audit, PolicySet } from "../policy/types.js";
import type { ExceptedEnvironment, ExceptionReport } from "../render/exception-issue.js";

/** SPEC §1's defaults, also for an environment whose policy file is invalid (its settings are unknown). */
const DEFAULT_AUDIT: Audit = { comment: true, issue_on_exception: true, deployment: false };

/** An environment's `audit` settings: its valid policy's, else the defaults — a broken file never silences the audit. */
export function auditSettingsOf(policies: PolicySet, environment: string): Audit {
  return policies.policies.find((p) => p.environment === environment)?.audit ?? DEFAULT_AUDIT;
}

/** The environments a record lists (every one the change touched), with their decisions: engine/touchedEnvironments' names, decided. */
export function touchedDecisions(decision: Decision): EnvironmentDecision[] {
  return decision.environments.filter((env) => env.state !== "not_affected");
}

function excepted(env: EnvironmentDecision): ExceptedEnvironment {
  return {
    environment: env.environment,
    state: env.state === "not_affected" ? "error" : env.state,
    break_glass: env.break_glass,
    title: env.title,
    missing: env.rules.filter((r) => !r.satisfied).map((r) => ({ name: r.name, required: r.required, missing: r.missing, needed: describeNeeded(r.needed) })),
    freeze: env.freeze,
  };
}

/**
 * The approvers of an environment, for the retrospective: the users and teams of the rules that
 * applied to the change (all its rules when none did, say for an invalid policy's sibling file).
 */
function approversOf(policies: PolicySet, env: EnvironmentDecision, owner: string): string[] {
  const policy = policies.policies.find((p) => p.environment === env.environment);
  if (!policy) return [];
  const applied = new Set(env.rules.map((r) => r.name));
  const rules = policy.rules.some((r) => applied.has(r.name)) ? policy.rules.filter((r) => applied.has(r.name)) : policy.rules;
  return rules.flatMap((r) => [...r.approvers.users, ...r.approvers.teams.map((t) => displayTeam(t, owner))]);
}

/**
 * The exception of a recorded change, or null when there is none to report: violations (touched
 * while not approved) and break-glass approvals of environments whose `issue_on_exception` holds.
 */
export function exceptionOf(
  record: AuditRecord,
  decision: Decision,
  policies: PolicySet,
  where: { key: string; owner: string; changeUrl: string | null; recordUrl: string | null },
): ExceptionReport | null {
  const reported = touchedDecisions(decision).filter((env) => auditSettingsOf(policies, env.environment).issue_on_exception);
  const violations = reported.filter((env) => env.state !== "approved");
  const breakGlass = reported.filter((env) => env.state === "approved" && env.break_glass);
  if (violations.length === 0 && breakGlass.length === 0) return null;
  const seen = new Map<string, string>();
  for (const env of [...violations, ...breakGlass]) {
    for (const who of approversOf(policies, env, where.owner)) if (!seen.has(who.toLowerCase())) seen.set(who.toLowerCase(), who);
  }
  return {
    key: where.key,
    record,
    violations: violations.map(excepted),
    breakGlass: breakGlass.map(excepted),
    reviewers: [...seen.values()],
    changeUrl: where.changeUrl,
    recordUrl: where.recordUrl,
  };
}

/**
 * Whether GitHub refused a write for good: the permission not granted (an installation that has
 * not accepted issues or deployments yet: 403, 404), issues turned off (410), a value refused
 * (422). Trying again changes nothing, and the record must not wait for it: the audit comment is
 * written with a note instead. Anything else (5xx, no answer) is worth another try.
 */
export function refusedForGood(error: unknown): error is GitHubError {
  return error instanceof GitHubError && error.status !== undefined && [403, 404, 410, 422].includes(error.status);
}
