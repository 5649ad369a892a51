// Find → compare → apply (SPEC §5), the compare: what GitHub enforces (rulesets, the active rules of
// each branch, classic protection) against what the policies want, as a plan of changes and the
// weakenings found. Pure: the reading and the writing are the adapters' (github/rulesets.ts,
// github/branch-protection.ts), the order the use case's (app/enforce.ts).
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { WantedTarget } from "./required-checks.js";
import {
  bypassActorName,
  isOwnRuleset,
  mayBeOwnRuleset,
  namedFor,
  OWN_RULES,
  ownRulesetName,
  repinned,
  ruleType,
  RULESET_NAME,
  rulesetWeakenings,
  weakenings,
  type ActiveCheck,
  type BypassActor,
  type ClassicProtection,
  type FoundBranch,
  type FoundEnforcement,
  type FoundRuleset,
  type RequiredCheck,
} from "./found-rules.js";

export {
  bypassActorName,
  isOwnRuleset,
  mayBeOwnRuleset,
  OWN_RULES,
  ownRulesetName,
  rulesetWeakenings,
  type ActiveCheck,
  type BypassActor,
  type ClassicProtection,
  type FoundBranch,
  type FoundEnforcement,
  type FoundRuleset,
  type RequiredCheck,
};

/** The ruleset this app writes, as its create or update sends it. */
export interface RulesetSpec {
  name: string;
  /** `refs/heads/…`, sorted. */
  include: string[];
  /** Sorted, each pinned to the app. */
  checks: string[];
  /** Another's rules someone added to it: kept. */
  otherRules: unknown[];
}

/** One write of a plan. */
export type EnforcementChange =
  | { kind: "create_ruleset"; spec: RulesetSpec }
  | { kind: "update_ruleset"; id: number; spec: RulesetSpec; why: string[] }
  | { kind: "delete_ruleset"; id: number; name: string }
  /**
   * Classic protection's required checks: `require` added or pinned to the app; `checks` is the
   * list as found with them (what the plan shows) — the write merges into the list as it is then.
   */
  | { kind: "classic_checks"; branch: string; require: string[]; checks: RequiredCheck[]; strict: boolean; why: string[] };

/** Where a target's checks are (or will be) required. */
export type EnforcedBy = "ruleset" | "classic" | "elsewhere";

/** A wanted target and how it stands. */
export interface TargetStatus {
  /** The branch name, or the pattern as the policy wrote it (braces expanded). */
  branch: string;
  literal: boolean;
  /** `refs/heads/…` as a ruleset targets it. */
  ref: string;
  wanted: string[];
  /** Wanted checks GitHub does not require from this app now. */
  missing: string[];
  via: EnforcedBy;
  /** Why checks that look required do not count, when that is the reason they are missing. */
  why?: string;
}

/** A weakening of this app's own requirement that someone else made: evidence (SPEC §5). */
export interface Tampering {
  /** What changed, in words: "the ruleset compliance-gate is set to evaluate". */
  what: string;
  /** When the thing changed, as GitHub says (a ruleset's updated_at), or null. */
  since: string | null;
  /** The branches (and patterns) it left unguarded. */
  branches: string[];
}

/** The compare's result: how each target stands, the writes that make it so, and what someone weakened. */
export interface EnforcementPlan {
  appId: number;
  targets: TargetStatus[];
  changes: EnforcementChange[];
  tampering: Tampering[];
  /** Things worth saying that change nothing: rulesets kept because invalid policies might want them. */
  notes: string[];
  /**
   * Other app ids GitHub already takes the policies' checks from (in a ruleset named for
   * compliance-gate, or in classic protection): another registration of the app — or a wrong app
   * id given to `enforce`, about to re-pin them. Sorted.
   */
  otherApps: number[];
}

export interface CompareInput {
  /** What the policies want, each literal branch already narrowed to its own policies' checks. */
  targets: WantedTarget[];
  /** Nothing is removed when false (invalid policy files: what they want is unknown). */
  mayRemove: boolean;
  appId: number;
}

const pinned = (check: RequiredCheck, context: string, appId: number): boolean => check.context === context && check.appId === appId;

/**
 * Whether a ruleset verifiably requires its checks of everyone: active, on branches, a bypass list
 * GitHub shows and that is empty, no exclusions, and no exemption for creating a branch. An
 * organization's ruleset whose bypass actors the app cannot see (it may not edit it) does not
 * count: an organization admin may well be on its list.
 */
function binding(ruleset: FoundRuleset | undefined): boolean {
  if (ruleset === undefined) return false;
  return (
    ruleset.enforcement === "active" &&
    ruleset.target === "branch" &&
    ruleset.bypass !== null &&
    ruleset.bypass.length === 0 &&
    ruleset.exclude.length === 0 &&
    !ruleset.skipOnCreate
  );
}

/** The checks of `wanted` that `branch` requires from the app through something other than this app's rulesets. */
function requiredElsewhere(found: FoundEnforcement, branch: FoundBranch | undefined, wanted: string[], appId: number, own: Set<number>): Set<string> {
  const out = new Set<string>();
  if (!branch) return out;
  for (const context of wanted) {
    const byRule = branch.active.some(
      (rule) => !own.has(rule.rulesetId) && pinned(rule, context, appId) && binding(found.rulesets.find((r) => r.id === rule.rulesetId)),
    );
    // Classic protection binds only when it binds administrators too (enforce_admins): GitHub's default lets them merge past it.
    const byClassic = branch.classic.kind === "protected" && branch.classic.enforceAdmins === true && (branch.classic.checks ?? []).some((check) => pinned(check, context, appId));
    if (byRule || byClassic) out.add(context);
  }
  return out;
}

/** What is wrong with this app's ruleset against the spec it should match: tampering, and other differences. */
function differences(ruleset: FoundRuleset, spec: RulesetSpec, appId: number, legacy: boolean): { tampered: string[]; other: string[] } {
  const tampered = weakenings(ruleset, legacy);
  const other: string[] = [];
  const name = `the ruleset ${ruleset.name}`;
  if (ruleset.bypass === null) other.push(`${name}'s bypass list cannot be read`);
  if (legacy) {
    const types = new Set(ruleset.otherRules.map(ruleType));
    if (!types.has("deletion")) other.push(`${name} does not yet forbid deleting the branch`);
    if (!types.has("non_fast_forward")) other.push(`${name} does not yet forbid force pushes`);
  }
  for (const context of spec.checks) {
    const moved = repinned(ruleset, context, appId);
    if (moved !== undefined) tampered.push(moved);
    else if (!(ruleset.checks ?? []).some((c) => c.context === context)) other.push(`${name} does not require ${context}`);
  }
  const extra = (ruleset.checks ?? []).filter((c) => !spec.checks.includes(c.context) || c.appId !== appId);
  if (extra.some((c) => !spec.checks.includes(c.context))) other.push(`${name} requires checks no policy wants`);
  const include = new Set(ruleset.include);
  const lacking = spec.include.filter((ref) => !include.has(ref));
  const surplus = ruleset.include.filter((ref) => !spec.include.includes(ref));
  if (lacking.length > 0) other.push(`${name} does not target ${lacking.join(", ")}`);
  if (surplus.length > 0) other.push(`${name} targets ${surplus.join(", ")}, which need it no more`);
  if (ruleset.strict) other.push(`${name} requires branches to be up to date`);
  if (ruleset.name !== spec.name) other.push(`${name} is renamed ${spec.name}`);
  return { tampered, other };
}

/** The app ids other than `appId` that the wanted checks are pinned to now, in rulesets named for compliance-gate or classic protection. */
function otherApps(found: FoundEnforcement, targets: readonly WantedTarget[], appId: number): number[] {
  const wanted = new Set(targets.flatMap((t) => t.checks));
  const ids = new Set<number>();
  const take = (checks: readonly RequiredCheck[] | null): void => {
    for (const c of checks ?? []) if (wanted.has(c.context) && c.appId !== null && c.appId !== appId) ids.add(c.appId);
  };
  for (const r of found.rulesets) if (r.source === "Repository" && namedFor(r.name, RULESET_NAME)) take(r.checks);
  for (const r of found.rulesets) {
    const named = /^compliance-gate \(app (\d+)\)/.exec(r.name);
    if (named && Number(named[1]) !== appId) ids.add(Number(named[1]));
  }
  for (const b of found.branches) if (b.classic.kind === "protected") take(b.classic.checks);
  return [...ids].sort((a, b) => a - b);
}

/** The ruleset specs the targets need, grouped by identical check lists (a ruleset has one list). */
function rulesetGroups(targets: WantedTarget[]): { include: string[]; checks: string[]; branches: string[] }[] {
  const groups = new Map<string, { include: string[]; checks: string[]; branches: string[] }>();
  for (const target of targets) {
    const key = target.checks.join("\n");
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { include: [], checks: target.checks, branches: [] }));
    group.include.push(target.ref);
    group.branches.push(target.glob);
  }
  return [...groups.values()].map((g) => ({ ...g, include: sortByCodePoint([...g.include]) }));
}

/**
 * Compares what GitHub enforces with what the policies want. A literal branch this app's rulesets
 * do not target, whose checks are all required from the app elsewhere and verifiably binding on
 * everyone (an organization's or another ruleset as `binding` says, classic protection that binds
 * administrators) needs nothing; one protected classically with status checks on, binding
 * administrators, gets them merged into its list (another's checks kept); the rest, and every
 * pattern, are targeted by this app's rulesets — one per distinct list of checks, matched to the
 * existing ones by the branches they share, so that no branch is left out between two writes.
 * A branch this app's ruleset targets stays targeted while the policies want it: something else
 * holding the checks too can change at any moment, and is no reason to give up the app's own.
 */
export function compareEnforcement(found: FoundEnforcement, input: CompareInput): EnforcementPlan {
  const { appId } = input;
  const own = found.rulesets.filter((r) => isOwnRuleset(r, appId)).sort((a, b) => a.id - b.id);
  const ownIds = new Set(own.map((r) => r.id));
  const changes: EnforcementChange[] = [];
  const tampering: Tampering[] = [];
  const notes: string[] = [];
  const statuses: TargetStatus[] = [];
  const viaRuleset: WantedTarget[] = [];

  for (const target of input.targets) {
    if (target.checks.length === 0) continue;
    const branch = target.literal ? found.branches.find((b) => b.branch === target.glob) : undefined;
    const elsewhere = requiredElsewhere(found, branch, target.checks, appId, ownIds);
    const status: TargetStatus = { branch: target.glob, literal: target.literal, ref: target.ref, wanted: target.checks, missing: [], via: "elsewhere" };
    statuses.push(status);
    const targetedByOwn = own.some((r) => r.include.includes(target.ref));
    const classic = branch?.classic;
    if (classic?.kind === "protected" && classic.enforceAdmins !== true && target.checks.some((c) => (classic.checks ?? []).some((check) => pinned(check, c, appId)))) {
      status.why = "its branch protection requires them but lets administrators merge past it (enforce_admins is off)";
    }
    if (!targetedByOwn && elsewhere.size === target.checks.length) continue;
    if (!targetedByOwn && classic?.kind === "protected" && classic.checks !== null && classic.enforceAdmins === true && branch !== undefined) {
      status.via = "classic";
      const existing = classic.checks;
      const lacking = target.checks.filter((c) => !elsewhere.has(c));
      status.missing = lacking;
      // Ours by name but from another source (or any): pinned now. Everyone else's stay.
      const kept = existing.filter((check) => !lacking.includes(check.context));
      // Required by hand without a source, or from another app: pinned to this one (not tampering:
      // "require it by hand" is how the README says to do without the administration permission).
      const unpinned = existing.filter((check) => lacking.includes(check.context)).map((c) => c.context);
      changes.push({
        kind: "classic_checks",
        branch: branch.branch,
        require: lacking,
        checks: [...kept, ...lacking.map((context) => ({ context, appId }))],
        strict: classic.strict,
        why: lacking.map((c) => (unpinned.includes(c) ? `pin ${c} to this app` : `require ${c}`)),
      });
      continue;
    }
    status.via = "ruleset";
    viaRuleset.push(target);
  }

  // This app's rulesets: each group matched to the existing one sharing most of its branches.
  const groups = rulesetGroups(viaRuleset);
  const unmatched = [...own];
  // Names with the app's id are kept; a ruleset named as before the id was in the name is renamed.
  const base = ownRulesetName(appId);
  const usedNames = new Set(own.map((r) => r.name).filter((n) => namedFor(n, base)));
  const planned: { group: (typeof groups)[number]; ruleset: FoundRuleset | undefined; name: string }[] = [];
  for (const group of groups) {
    let best: FoundRuleset | undefined;
    let bestOverlap = -1;
    for (const candidate of unmatched) {
      const overlap = candidate.include.filter((ref) => group.include.includes(ref)).length + (candidate.checks?.length === group.checks.length ? 0.5 : 0);
      if (overlap > bestOverlap) [best, bestOverlap] = [candidate, overlap];
    }
    if (best) unmatched.splice(unmatched.indexOf(best), 1);
    let name = best !== undefined && namedFor(best.name, base) ? best.name : undefined;
    if (name === undefined) {
      name = usedNames.has(base) ? `${base}: ${group.branches[0] ?? ""}`.slice(0, 100) : base;
      usedNames.add(name);
    }
    planned.push({ group, ruleset: best, name });
  }
  for (const { group, ruleset, name } of planned) {
    const otherRules = (ruleset?.otherRules ?? []).filter((rule) => !(OWN_RULES as readonly unknown[]).includes(ruleType(rule)));
    const spec: RulesetSpec = { name, include: group.include, checks: group.checks, otherRules };
    const inForce = ruleset !== undefined && binding(ruleset);
    for (const status of statuses.filter((s) => s.via === "ruleset" && group.branches.includes(s.branch))) {
      const branch = found.branches.find((b) => b.branch === status.branch);
      const elsewhere = requiredElsewhere(found, branch, status.wanted, appId, ownIds);
      const ref = viaRuleset.find((t) => t.glob === status.branch)?.ref ?? "";
      status.missing = status.wanted.filter(
        (c) => !elsewhere.has(c) && !(inForce && ruleset.include.includes(ref) && (ruleset.checks ?? []).some((check) => pinned(check, c, appId))),
      );
    }
    if (!ruleset) {
      changes.push({ kind: "create_ruleset", spec });
      continue;
    }
    const { tampered, other } = differences(ruleset, spec, appId, !namedFor(ruleset.name, base));
    if (tampered.length > 0) tampering.push(...tampered.map((what) => ({ what, since: ruleset.updatedAt, branches: group.branches })));
    if (tampered.length + other.length > 0) changes.push({ kind: "update_ruleset", id: ruleset.id, spec, why: [...tampered, ...other] });
  }
  for (const ruleset of unmatched) {
    if (input.mayRemove) changes.push({ kind: "delete_ruleset", id: ruleset.id, name: ruleset.name });
    else notes.push(`the ruleset ${ruleset.name} is kept: an invalid policy file might still want what it requires`);
  }
  // Writes that add protection go before those that take some away: no branch is left out between two of them.
  const order = { create_ruleset: 0, classic_checks: 0, update_ruleset: 1, delete_ruleset: 2 } as const;
  changes.sort((a, b) => order[a.kind] - order[b.kind]);
  return { appId, targets: statuses, changes, tampering, notes, otherApps: otherApps(found, input.targets, appId) };
}
