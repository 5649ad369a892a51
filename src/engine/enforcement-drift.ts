// Whether what the compare found is drift (SPEC §5, "drift is evidence"): a requirement someone
// removed or weakened, to restore and report, or a requirement that was never expected to be there
// yet (a new installation, a policy that just asked for it). Pure.
import { sortByCodePoint } from "../policy/code-point-order.js";
import { isOwnRuleset, rulesetWeakenings, type EnforcementPlan, type FoundRuleset } from "./enforcement.js";

/** Why the app looked. */
export type EnforcementTrigger =
  /** A new installation, a policy change, a permission just granted, a person's `enforce --apply`: nothing new was expected in force. */
  | { kind: "setup"; reason: string; at: string }
  /**
   * A ruleset or branch protection event (or the default branch changed). `at`: when the app got
   * it. `changedAt`: GitHub's date of the change in the payload, when it gives one. `ruleset`: the
   * ruleset as the event shows it (after an edit, or as it was when deleted) — evidence whatever
   * is found when the run happens (another run may have restored it in between).
   */
  | { kind: "rules_changed"; event: string; sender: string | null; at: string; changedAt?: string | null; ruleset?: { state: FoundRuleset; deleted: boolean } }
  /** The periodic sweep: what is found missing was taken away while nobody looked. */
  | { kind: "sweep"; at: string; lastVerified: string | null };

/** What the app last verified in force on a repository, in this process. */
export interface VerifiedState {
  /** ISO 8601. */
  at: string;
  /** Each branch or pattern and the checks required there then. */
  inForce: { branch: string; checks: string[] }[];
}

/** What the app knows besides the plan and the trigger. */
export interface DriftContext {
  /** What was last verified in force; null when not known (a restart). */
  verified: VerifiedState | null;
  /**
   * The earliest start of gaps a run before this one found and restored lately on the same
   * branches; null when such a restore's start was not known (then neither is this gap's).
   */
  recentFrom?: string | null;
}

/** A stretch of time a branch was not guarded as its policies require. */
export interface EnforcementGap {
  /** Branches and patterns, as the policies name them. */
  branches: string[];
  /** What was missing or weakened, one line each. */
  what: string[];
  /** The event's sender, when the event shows the change or the requirement was verified in force before it; else null ("found at"). */
  by: string | null;
  /** The event, such as `repository_ruleset.deleted`; null for a sweep or a setup run. */
  event: string | null;
  /** ISO 8601: the earliest the branch can have been left unguarded (a safe lower bound); null when nothing says. */
  from: string | null;
  /** ISO 8601: when the app found it. */
  foundAt: string;
}

const earliest = (times: (string | null | undefined)[]): string | null =>
  times.filter((t): t is string => typeof t === "string" && Number.isFinite(Date.parse(t))).sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? null;

const wereNot = (checks: string[]): string => `${checks.join(", ")} ${checks.length === 1 ? "was" : "were"} not required`;

/**
 * The gap a plan shows, or null.
 * - The event's own ruleset of this app's, deleted or weakened as the payload shows it, is drift
 *   whatever is found now, and names the sender.
 * - Tampering with this app's requirement found now (a ruleset disabled, a bypass actor, …) is
 *   drift whatever the trigger: the app never writes those.
 * - A required check missing is drift when it was verified in force before (even on a setup run:
 *   a push may have started one between a deletion and its event), and on a rules event or a
 *   sweep when nothing was verified since the app started; a branch new in the policies lost
 *   nothing. It is blamed on the event's sender only when the app verified
 *   it in force before (or the event shows the change) — otherwise the gap says "found at".
 * - Its start is the safe lower bound: the earliest of the last verification, GitHub's dates of
 *   the change, the event, and a gap found lately; null when none says (then "start unknown").
 */
export function gapOf(plan: EnforcementPlan, trigger: EnforcementTrigger, context: DriftContext): EnforcementGap | null {
  const what: string[] = [];
  const branches = new Set<string>();
  let evidence = false;
  if (trigger.kind === "rules_changed" && trigger.ruleset !== undefined && isOwnRuleset(trigger.ruleset.state, plan.appId)) {
    const { state, deleted } = trigger.ruleset;
    const covered = plan.targets.filter((t) => state.include.includes(t.ref));
    const lines = deleted ? [`the ruleset ${state.name} was deleted`] : rulesetWeakenings(state, [...new Set(covered.flatMap((t) => t.wanted))], plan.appId);
    if (covered.length > 0 && lines.length > 0) {
      evidence = true;
      what.push(...lines);
      for (const t of covered) branches.add(t.branch);
    }
  }
  for (const t of plan.tampering) {
    if (!what.includes(t.what)) what.push(t.what);
    for (const b of t.branches) branches.add(b);
  }
  let lost = plan.tampering.length > 0;
  for (const target of plan.targets) {
    if (target.missing.length === 0) continue;
    const before = context.verified?.inForce.find((b) => b.branch === target.branch)?.checks;
    const gone = before === undefined ? target.missing : target.missing.filter((c) => before.includes(c));
    const never = before === undefined ? [] : target.missing.filter((c) => !before.includes(c));
    // A branch not verified before (new in the policies, or nothing was verified and this is a setup run) lost nothing.
    if (before === undefined && (trigger.kind === "setup" || context.verified !== null)) continue;
    const why = target.why !== undefined ? `: ${target.why}` : "";
    if (gone.length > 0) {
      what.push(`${wereNot(gone)} on ${target.branch}${why}`);
      branches.add(target.branch);
      if (before !== undefined) lost = true;
    }
    if (never.length > 0 && trigger.kind !== "setup") {
      what.push(`${wereNot(never)} on ${target.branch}${why} (nor when last verified)`);
      branches.add(target.branch);
    }
  }
  if (what.length === 0) return null;
  const known = context.verified !== null;
  const by = trigger.kind === "rules_changed" && (evidence || (known && lost)) ? trigger.sender : null;
  // GitHub's dates (a ruleset's last change, the payload's) say when something changed last, not
  // when the requirement went: alone they bound nothing. With a verification (or the event's own
  // change) to anchor them, the earliest of all is safe.
  const anchors = [context.verified?.at, context.recentFrom, trigger.kind === "sweep" ? trigger.lastVerified : null];
  const dated = known || evidence ? [...plan.tampering.map((t) => t.since), ...(trigger.kind === "rules_changed" ? [trigger.changedAt, trigger.at] : [])] : [];
  const from = context.recentFrom === null ? null : earliest([...anchors, ...dated]);
  return {
    branches: sortByCodePoint([...branches]),
    what,
    by,
    event: trigger.kind === "rules_changed" ? trigger.event : null,
    from,
    foundAt: trigger.at,
  };
}
