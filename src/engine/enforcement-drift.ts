// Whether what the compare found is drift (SPEC §5, "drift is evidence"): a requirement someone
// removed or weakened, to restore and report, or a requirement that was never expected to be there
// yet (a new installation, a policy that just asked for it). Pure.
import type { EnforcementPlan } from "./enforcement.js";

/** Why the app looked. */
export type EnforcementTrigger =
  /** A new installation, a policy change, a permission just granted, a person's `enforce --apply`: nothing was expected in force before. */
  | { kind: "setup"; reason: string; at: string }
  /** A ruleset or branch protection event: whatever is found missing was taken away by its sender. */
  | { kind: "rules_changed"; event: string; sender: string | null; at: string }
  /** The periodic sweep: what is found missing was taken away while nobody looked. */
  | { kind: "sweep"; at: string; lastVerified: string | null };

/** A stretch of time a branch was not guarded as its policies require. */
export interface EnforcementGap {
  /** Branches and patterns, as the policies name them. */
  branches: string[];
  /** What was missing or weakened, one line each. */
  what: string[];
  /** The event's sender; null for a sweep (or an event without one). */
  by: string | null;
  /** The event, such as `repository_ruleset.deleted`; null for a sweep. */
  event: string | null;
  /** ISO 8601: when the branch was left unguarded, as near as known; null when unknown. */
  from: string | null;
  /** ISO 8601: when the app found it. */
  foundAt: string;
}

const earliest = (times: (string | null)[]): string | null =>
  times.filter((t): t is string => t !== null && Number.isFinite(Date.parse(t))).sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? null;

/**
 * The gap a plan shows, or null. Tampering with this app's own requirement (a ruleset disabled or
 * set to evaluate, a bypass actor, an exclusion, another source) is drift whatever the trigger:
 * the app never writes those. A required check missing is drift after a rules event (its sender
 * took it away) or on a sweep (it went while nobody looked) — never on setup, when nothing was
 * expected in force yet.
 */
export function gapOf(plan: EnforcementPlan, trigger: EnforcementTrigger): EnforcementGap | null {
  const what: string[] = [];
  const branches = new Set<string>();
  for (const t of plan.tampering) {
    what.push(t.what);
    for (const b of t.branches) branches.add(b);
  }
  if (trigger.kind !== "setup") {
    for (const target of plan.targets) {
      if (target.missing.length === 0) continue;
      branches.add(target.branch);
      what.push(`${target.missing.join(", ")} ${target.missing.length === 1 ? "was" : "were"} not required on ${target.branch}${target.why !== undefined ? `: ${target.why}` : ""}`);
    }
  }
  if (what.length === 0) return null;
  const since = earliest(plan.tampering.map((t) => t.since));
  const from =
    trigger.kind === "rules_changed" ? (earliest([since, trigger.at]) ?? trigger.at) : trigger.kind === "sweep" ? (since ?? trigger.lastVerified) : since;
  return {
    branches: [...branches].sort(),
    what,
    by: trigger.kind === "rules_changed" ? trigger.sender : null,
    event: trigger.kind === "rules_changed" ? trigger.event : null,
    from,
    foundAt: trigger.at,
  };
}
