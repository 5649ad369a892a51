// The enforcement plan as `compliance-gate enforce` prints it (SPEC §5): what the policies want,
// what GitHub requires now, and the writes between the two, like `terraform plan`; or as JSON.
import type { EnforcementChange, EnforcementPlan, TargetStatus } from "../engine/enforcement.js";
import type { UnenforceableGlob } from "../engine/required-checks.js";
import { CHECK_PREFIX, POLICY_CHECK } from "./check-run.js";

/** What a plan is shown with. */
export interface PlanView {
  repository: string;
  /** The default branch, whose policies name the branches. */
  defaultBranch: string;
  policyCommit: string;
  plan: EnforcementPlan;
  unenforceable: UnenforceableGlob[];
  /** Whether the app may write (administration: write); the plan is only shown when not. */
  canWrite: boolean;
  /** Changes applied (with --apply), and those GitHub refused, with why. */
  applied?: { done: number; failed: { change: string; error: string }[] };
}

/** A change in one line: `+ ruleset "compliance-gate"`. */
export function changeLine(change: EnforcementChange): string {
  switch (change.kind) {
    case "create_ruleset":
      return `+ create ruleset "${change.spec.name}"`;
    case "update_ruleset":
      return `~ update ruleset "${change.spec.name}" (#${change.id})`;
    case "delete_ruleset":
      return `- delete ruleset "${change.name}" (#${change.id})`;
    case "classic_checks":
      return `~ update the required checks of ${change.branch}'s branch protection`;
  }
}

function changeDetails(change: EnforcementChange, appId: number): string[] {
  switch (change.kind) {
    case "create_ruleset":
    case "update_ruleset":
      return [
        ...(change.kind === "update_ruleset" ? change.why.map((why) => `because ${why}`) : []),
        `targets   ${change.spec.include.join(", ")}`,
        `requires  ${change.spec.checks.join(", ")} (from app ${appId}), active, nobody bypasses, no deleting or force-pushing the branch`,
      ];
    case "delete_ruleset":
      return ["no policy wants what it requires any more"];
    case "classic_checks":
      return [...change.why, `required  ${change.checks.map((c) => (c.appId === null ? c.context : `${c.context} (app ${c.appId})`)).join(", ")}`];
  }
}

function statusLine(status: TargetStatus, width: number): string {
  const name = status.branch.padEnd(width);
  if (status.missing.length === 0) return `  ${name}  in force (${status.via === "elsewhere" ? "required by a ruleset or protection of its own" : status.via === "classic" ? "branch protection" : "ruleset"})`;
  return `  ${name}  not required: ${status.missing.join(", ")}`;
}

const counted = (n: number, word: string): string => `${n} ${word}`;

/** The warning a plan deserves before it is shown: the checks come from another app id now (a wrong --app-id would re-pin them). */
export function otherAppsWarning(plan: EnforcementPlan): string | null {
  if (plan.otherApps.length === 0) return null;
  const ids = plan.otherApps.join(", ");
  return `GitHub takes compliance-gate's checks from app ${ids} here, not from app ${plan.appId}: is --app-id right? This plan would require (or re-pin) them from app ${plan.appId}, and a check no app ${plan.appId} posts blocks every merge. (Another registration of the app on this repository is fine: each keeps its own ruleset.)`;
}

/** The plan as text for a terminal. */
export function renderEnforcementPlan(view: PlanView): string {
  const { plan } = view;
  const width = Math.max(8, ...plan.targets.map((t) => t.branch.length));
  const lines = [`${view.repository}: required checks of compliance-gate (app ${plan.appId}), policies at ${view.defaultBranch} ${view.policyCommit.slice(0, 7)}`, ""];
  if (plan.targets.length === 0) lines.push("No policy asks for required checks (enforce.required_check).", "");
  else {
    lines.push("Wanted:");
    for (const t of plan.targets) lines.push(`  ${t.branch.padEnd(width)}  ${t.wanted.join(", ")}`);
    lines.push("", "Required now:");
    for (const t of plan.targets) lines.push(statusLine(t, width));
    lines.push("");
  }
  if (plan.tampering.length > 0) {
    lines.push("Weakened by someone:");
    for (const t of plan.tampering) lines.push(`  ! ${t.what}${t.since !== null ? ` (changed ${t.since})` : ""}`);
    lines.push("");
  }
  const adds = plan.changes.filter((c) => c.kind === "create_ruleset").length;
  const changes = plan.changes.filter((c) => c.kind === "update_ruleset" || c.kind === "classic_checks").length;
  const deletes = plan.changes.filter((c) => c.kind === "delete_ruleset").length;
  if (plan.changes.length === 0) lines.push("No changes: GitHub requires what the policies want.");
  else {
    lines.push(`Plan: ${counted(adds, "to add")}, ${counted(changes, "to change")}, ${counted(deletes, "to delete")}.`);
    for (const change of plan.changes) {
      lines.push(`  ${changeLine(change)}`);
      for (const detail of changeDetails(change, plan.appId)) lines.push(`      ${detail}`);
    }
  }
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  if (view.unenforceable.length > 0) {
    lines.push("", "Not enforceable (required by hand, or written as a pattern rulesets understand):");
    for (const u of view.unenforceable) lines.push(`  ${u.file}: ${u.field}: "${u.glob}": ${u.reason}`);
  }
  if (view.applied) {
    lines.push("", `Applied: ${view.applied.done} of ${view.applied.done + view.applied.failed.length} changes.`);
    for (const f of view.applied.failed) lines.push(`  failed: ${f.change}: ${f.error}`);
  } else if (plan.changes.length > 0) lines.push("", "Run again with --apply to make these changes.");
  // Said after a refused --apply: that is when the app or token is known not to be able to write.
  if (!view.canWrite) lines.push("", "GitHub refused the change: the token (or the app) needs administration: write on the repository to change rulesets or branch protection — apply by hand, or with a token that can.");
  return `${lines.join("\n")}\n`;
}

/** The plan as JSON. */
export function enforcementPlanJson(view: PlanView): Record<string, unknown> {
  const { plan } = view;
  return {
    repository: view.repository,
    app_id: plan.appId,
    default_branch: view.defaultBranch,
    policy_commit: view.policyCommit,
    in_sync: plan.changes.length === 0,
    targets: plan.targets.map((t) => ({ branch: t.branch, literal: t.literal, wanted: t.wanted, missing: t.missing, via: t.via })),
    tampering: plan.tampering,
    changes: plan.changes.map((c) => ({ summary: changeLine(c).slice(2), ...c })),
    notes: plan.notes,
    other_apps: plan.otherApps,
    unenforceable: view.unenforceable,
    can_write: view.canWrite,
    ...(view.applied ? { applied: view.applied } : {}),
  };
}

/**
 * What compliance/policy says about checks that are not required (SPEC §5, "cannot"): one line
 * per environment and branch, with what to do.
 */
export function notRequiredLines(targets: readonly (Pick<TargetStatus, "branch" | "missing"> & { reason?: string | null })[]): string[] {
  const lines: string[] = [];
  for (const t of targets) {
    for (const check of t.missing) {
      const env = check.startsWith(CHECK_PREFIX) ? check.slice(CHECK_PREFIX.length) : check;
      const whose = env === "policy" ? POLICY_CHECK : `${env}'s check`;
      // The real reason when it is not the permission: a refusal of another kind, too many branches, a fight.
      const fix = t.reason ? `${t.reason}; require ${check} by hand meanwhile` : `grant compliance-gate the administration permission, or require ${check} by hand`;
      lines.push(`${whose} is not required on ${t.branch}: ${fix}`);
    }
  }
  return lines;
}
