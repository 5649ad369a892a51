// Who is an approver of a rule: listed users, members of listed teams, or holders of a permission.
// Logins and team names compare case-insensitively; a bare team slug belongs to the repository owner's org.
import { PERMISSIONS, type Approvers, type Permission, type Policy, type PolicySet } from "../policy/types.js";
import type { Facts } from "./types.js";

/** A login or team name as compared: lower case. */
export const loginKey = (login: string): string => login.toLowerCase();

/** The owner (org) part of `owner/name`, or undefined when the repository is unknown or malformed. */
function ownerOf(repository: string | undefined): string | undefined {
  if (repository === undefined) return undefined;
  const slash = repository.indexOf("/");
  const owner = slash === -1 ? repository : repository.slice(0, slash);
  return owner === "" ? undefined : owner;
}

/**
 * A team reference qualified as `org/slug`, lower case: a bare slug takes the repository
 * owner's org. When the owner is unknown, references are compared by their bare slug.
 */
export function qualifyTeam(ref: string, owner: string | undefined): string {
  const slash = ref.indexOf("/");
  if (owner === undefined) return loginKey(slash === -1 ? ref : ref.slice(slash + 1));
  return loginKey(slash === -1 ? `${owner}/${ref}` : ref);
}

/** A team as reported (needed approvers, titles): `org/slug` in lower case, or as written when the owner is unknown. */
export function displayTeam(ref: string, owner: string | undefined): string {
  return loginKey(ref.includes("/") || owner === undefined ? ref : `${owner}/${ref}`);
}

/** Whether `held` is at least `needed` in the order read < triage < write < maintain < admin. */
export function holdsAtLeast(held: Permission | undefined, needed: Permission): boolean {
  return held !== undefined && PERMISSIONS.indexOf(held) >= PERMISSIONS.indexOf(needed);
}

/** The facts about people that approver membership needs, keyed for case-insensitive lookup. */
export interface Directory {
  owner: string | undefined;
  /** Qualified team (see qualifyTeam) → member logins (lower case). */
  teams: Map<string, Set<string>>;
  /** Login (lower case) → repository permission. */
  permissions: Map<string, Permission>;
}

/** Builds the directory of a PR's facts: team keys may be bare or qualified, both match. */
export function directoryOf(facts: Pick<Facts, "repository" | "teams" | "permissions">): Directory {
  const owner = ownerOf(facts.repository);
  const teams = new Map<string, Set<string>>();
  for (const [ref, members] of Object.entries(facts.teams)) {
    const key = qualifyTeam(ref, owner);
    let set = teams.get(key);
    if (!set) teams.set(key, (set = new Set()));
    for (const m of members) set.add(loginKey(m));
  }
  const permissions = new Map<string, Permission>();
  for (const [login, permission] of Object.entries(facts.permissions)) {
    const key = loginKey(login);
    const prev = permissions.get(key);
    // the same login twice (in two spellings) is one person: trust the lesser permission
    if (prev === undefined || holdsAtLeast(prev, permission)) permissions.set(key, permission);
  }
  return { owner, teams, permissions };
}

/** Approvers keyed for lookup: lower-case users, and teams both qualified (to match) and as displayed. */
interface KeyedApprovers {
  owner: string | undefined;
  users: Set<string>;
  teams: { key: string; display: string }[];
}

const keyed = new WeakMap<Approvers, KeyedApprovers>();

function keyedOf(approvers: Approvers, owner: string | undefined): KeyedApprovers {
  let k = keyed.get(approvers);
  if (!k || k.owner !== owner) {
    k = {
      owner,
      users: new Set(approvers.users.map(loginKey)),
      teams: approvers.teams.map((t) => ({ key: qualifyTeam(t, owner), display: displayTeam(t, owner) })),
    };
    keyed.set(approvers, k);
  }
  return k;
}

/**
 * Why `login` is one of `approvers`: `user`, `team:org/slug`, `permission:<held>`; empty when
 * it is none of them.
 */
export function approverVia(approvers: Approvers, login: string, dir: Directory): string[] {
  const key = loginKey(login);
  const k = keyedOf(approvers, dir.owner);
  const via: string[] = [];
  if (k.users.has(key)) via.push("user");
  for (const team of k.teams) if (dir.teams.get(team.key)?.has(key)) via.push(`team:${team.display}`);
  if (approvers.permission !== undefined) {
    const held = dir.permissions.get(key);
    if (holdsAtLeast(held, approvers.permission)) via.push(`permission:${held}`);
  }
  return via;
}

/** Whether `login` is listed by exact login (case-insensitively) in `approvers.users`: only then may a bot count. */
export function listedByLogin(approvers: Approvers, login: string): boolean {
  const key = loginKey(login);
  return approvers.users.some((u) => loginKey(u) === key);
}

const policiesOf = (set: PolicySet | readonly Policy[]): readonly Policy[] => ("policies" in set ? set.policies : set);

/** Every Approvers of a policy: its rules', then its break glass's. */
export const approversOf = (policy: Policy): Approvers[] => [
  ...policy.rules.map((r) => r.approvers),
  ...(policy.break_glass ? [policy.break_glass.approvers] : []),
];

/** Whether any policy names approvers by `permission`, so reviewers' repository permissions must be gathered. */
export function permissionNeeded(set: PolicySet | readonly Policy[]): boolean {
  return policiesOf(set).some((p) => approversOf(p).some((a) => a.permission !== undefined));
}
