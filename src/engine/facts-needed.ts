// What the GitHub side must gather for a pull request into a base branch: the teams the judging
// policies name, whether reviewers' permissions count, and the checks those environments post.
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { PolicySet } from "../policy/types.js";
import { approversOf, permissionNeeded } from "./approvers.js";
import { checkNameOf, environmentsFor } from "./environments.js";

/** A team a policy names, and where GitHub keeps it. */
export interface TeamRef {
  /** Its key in `facts.teams`: `owner/slug` for a bare slug (the repository owner's org), as written otherwise. */
  key: string;
  org: string;
  slug: string;
}

/** What must be read of GitHub to decide a pull request into one base branch. */
export interface FactsNeeded {
  /** The teams the judging policies' rules and break glass name, distinct by key, in order of first mention. */
  teams: TeamRef[];
  /** Whether a judging policy names approvers by permission, so reviewers' repository permissions are read. */
  permissions: boolean;
  /** The check of every environment judging the base (its invalid files' too), distinct and sorted. */
  checks: string[];
}

/**
 * What to gather for a pull request into `base` of a repository of `owner` (SPEC §2): only the
 * environments judging that base are decided, so only their approvers' teams and permissions
 * are read. Invalid policies name no approvers, but their environments expect a check (fail closed).
 */
export function factsNeeded(set: PolicySet, base: string, defaultBranch: string, owner: string): FactsNeeded {
  const judging = environmentsFor(set, base, defaultBranch);
  const teams = new Map<string, TeamRef>();
  for (const approvers of judging.policies.flatMap(approversOf)) {
    for (const team of approvers.teams) {
      const slash = team.indexOf("/");
      const ref = slash === -1 ? { key: `${owner}/${team}`, org: owner, slug: team } : { key: team, org: team.slice(0, slash), slug: team.slice(slash + 1) };
      teams.set(ref.key, ref);
    }
  }
  const checks = new Set([...judging.policies, ...judging.invalid].map((p) => checkNameOf(p.environment)));
  return {
    teams: [...teams.values()],
    permissions: permissionNeeded(judging.policies),
    checks: sortByCodePoint([...checks]),
  };
}
