// What GitHub enforces on a repository, as found (rulesets, the active rules of a branch, classic
// protection), how this app knows its own ruleset among them, and how one of its own is weaker
// than the app writes it. Pure; the compare is enforcement.ts's.
/** A required check and the app it must come from; `appId` null: any source. */
export interface RequiredCheck {
  context: string;
  appId: number | null;
}

/** Who may bypass a ruleset. */
export interface BypassActor {
  type: string;
  id: number | null;
  mode: string;
}

/** A ruleset as GitHub shows it (GET …/rulesets/{id}). */
export interface FoundRuleset {
  id: number;
  name: string;
  /** `Repository`, `Organization` or `Enterprise`. */
  source: string;
  enforcement: string;
  target: string | null;
  include: string[];
  exclude: string[];
  /** Null when GitHub does not show them: the app cannot edit the ruleset (an organization's). */
  bypass: BypassActor[] | null;
  /** The checks of its `required_status_checks` rule; null when it has none. */
  checks: RequiredCheck[] | null;
  strict: boolean;
  /** The rule's `do_not_enforce_on_create`: a branch can be created (pushed) without the checks. */
  skipOnCreate: boolean;
  /** Its other rules, as GitHub gave them: an update keeps them. */
  otherRules: unknown[];
  /** ISO 8601: when it last changed. */
  updatedAt: string | null;
}

/** A required check of an active rule on a branch (GET …/rules/branches/{branch}). */
export interface ActiveCheck extends RequiredCheck {
  rulesetId: number;
  /** `Repository` or `Organization`. */
  source: string;
}

/**
 * A branch's classic protection: none, its required checks (null when status checks are off) and
 * whether administrators are held to it (`enforce_admins`: off by default, and then an admin merges
 * past every check; null when GitHub did not say), or unreadable.
 */
export type ClassicProtection =
  | { kind: "unprotected" }
  | { kind: "protected"; checks: RequiredCheck[] | null; strict: boolean; enforceAdmins: boolean | null }
  | { kind: "unknown"; why: string };

/** What GitHub enforces on one literal branch. */
export interface FoundBranch {
  branch: string;
  active: ActiveCheck[];
  classic: ClassicProtection;
}

/** Everything found about a repository. */
export interface FoundEnforcement {
  /** The repository's rulesets, with the details of this app's and of those requiring its checks. */
  rulesets: FoundRuleset[];
  /** The literal targets. */
  branches: FoundBranch[];
}

/** What every ruleset of this app's is named after. */
export const RULESET_NAME = "compliance-gate";

/**
 * The name of this app's ruleset: with the app's id, so that two registrations of the app on one
 * repository (a staging one, say) each keep their own instead of fighting over one. Its others
 * are this name, a colon and a branch.
 */
export function ownRulesetName(appId: number): string {
  return `${RULESET_NAME} (app ${appId})`;
}

/** Whether `name` is `base`, or `base`, a colon and more. */
export const namedFor = (name: string, base: string): boolean => name === base || name.startsWith(`${base}: `);

/** Whether a ruleset, by its name, may be this app's: named with its id, or named as before the id was in the name. Such are read in full. */
export function mayBeOwnRuleset(ruleset: Pick<FoundRuleset, "name" | "source">, appId: number): boolean {
  return ruleset.source === "Repository" && (namedFor(ruleset.name, ownRulesetName(appId)) || namedFor(ruleset.name, RULESET_NAME));
}

/**
 * Whether a repository ruleset (read in full) is this app's own: named with its id; or named
 * `compliance-gate` as before the id was in the name, and then only when it takes a check from
 * this app or from no app in particular — one pinned to another app id is that registration's.
 */
export function isOwnRuleset(ruleset: Pick<FoundRuleset, "name" | "source" | "checks">, appId: number): boolean {
  if (ruleset.source !== "Repository") return false;
  if (namedFor(ruleset.name, ownRulesetName(appId))) return true;
  if (!namedFor(ruleset.name, RULESET_NAME)) return false;
  const checks = ruleset.checks ?? [];
  return checks.some((c) => c.appId === appId) || checks.every((c) => c.appId === null);
}

/**
 * The rules this app's ruleset has besides its required checks: no deleting the branch (which
 * drops the requirement with it) and no force push (which can put an environment's branch back to
 * any earlier commit whose checks passed — a deployment nobody approved).
 */
export const OWN_RULES = ["deletion", "non_fast_forward"] as const;

/** A rule's `type`, as GitHub gives it. */
export const ruleType = (rule: unknown): unknown => (rule !== null && typeof rule === "object" ? (rule as { type?: unknown }).type : undefined);

/** A bypass actor in words: GitHub names roles and kinds of actors, not the accounts behind ids. */
export function bypassActorName(actor: BypassActor): string {
  const id = actor.id !== null ? ` #${actor.id}` : "";
  const who =
    actor.type === "OrganizationAdmin"
      ? "organization admins"
      : actor.type === "EnterpriseOwner"
        ? "enterprise owners"
        : actor.type === "DeployKey"
          ? "deploy keys"
          : actor.type === "RepositoryRole"
            ? actor.id === 5
              ? "repository admins"
              : `repository role${id}`
            : actor.type === "Integration"
              ? `GitHub App${id}`
              : actor.type === "Team"
                ? `team${id}`
                : actor.type === "User"
                  ? `user${id}`
                  : `${actor.type}${id}`;
  const when = actor.mode === "pull_request" ? "through pull requests" : actor.mode;
  return `${who} (${when})`;
}

/**
 * How this app's ruleset is weaker than the app writes it, whatever the policies want: not active,
 * someone may bypass it, it excludes or exempts, it lost a rule — each only ever done by someone
 * else. A ruleset named as before the app's id was in its name (`legacy`) was written without the
 * deletion and force-push rules: lacking them is not a weakening there.
 */
export function weakenings(ruleset: FoundRuleset, legacy: boolean): string[] {
  const out: string[] = [];
  const name = `the ruleset ${ruleset.name}`;
  if (ruleset.enforcement !== "active") out.push(`${name} is set to ${ruleset.enforcement}`);
  if (ruleset.bypass !== null && ruleset.bypass.length > 0) out.push(`${name} lets ${ruleset.bypass.map(bypassActorName).join(", ")} bypass it`);
  if (ruleset.exclude.length > 0) out.push(`${name} excludes ${ruleset.exclude.join(", ")}`);
  if (ruleset.target !== null && ruleset.target !== "branch") out.push(`${name} targets ${ruleset.target}s, not branches`);
  if (ruleset.skipOnCreate) out.push(`${name} lets a branch be created without the checks (do_not_enforce_on_create)`);
  if (!legacy) {
    const types = new Set(ruleset.otherRules.map(ruleType));
    const lost = { deletion: "forbids deleting the branch", non_fast_forward: "forbids force pushes" } as const;
    for (const rule of OWN_RULES) if (!types.has(rule)) out.push(`${name} no longer ${lost[rule]} (its ${rule} rule is gone)`);
  }
  return out;
}

/** A wanted check the ruleset takes from another app (or any), in words; undefined when it takes it from this one or not at all. */
export function repinned(ruleset: FoundRuleset, context: string, appId: number): string | undefined {
  const found = (ruleset.checks ?? []).filter((c) => c.context === context);
  if (found.length === 0 || found.some((c) => c.appId === appId)) return undefined;
  return `the ruleset ${ruleset.name} takes ${context} from ${found[0]?.appId === null ? "any app" : `app ${found[0]?.appId}`}, not this app (${appId})`;
}

/**
 * How a ruleset of this app's, as an event shows it, is weaker than the app writes it, given the
 * checks it should require: the weakenings, checks taken from another app, checks dropped.
 */
export function rulesetWeakenings(ruleset: FoundRuleset, wanted: readonly string[], appId: number): string[] {
  const out = weakenings(ruleset, !namedFor(ruleset.name, ownRulesetName(appId)));
  for (const context of wanted) {
    const moved = repinned(ruleset, context, appId);
    if (moved !== undefined) out.push(moved);
    else if (!(ruleset.checks ?? []).some((c) => c.context === context)) out.push(`the ruleset ${ruleset.name} no longer requires ${context}`);
  }
  return out;
}

