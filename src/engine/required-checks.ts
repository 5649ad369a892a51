// Which checks the policies want required on which branches (SPEC §5): `compliance/<env>` of every
// environment with `enforce.required_check`, on each branch of its scope, and `compliance/policy`
// wherever one is. Pure: a function of a policy set and the default branch's name.
import { compareCodePoints, sortByCodePoint } from "../policy/code-point-order.js";
import { rulesetPattern, type RefTarget } from "../policy/ruleset-patterns.js";
import type { PolicySet } from "../policy/types.js";
import { checkNameOf, environmentsFor, POLICY_CHECK } from "./environments.js";

/** Literal branches enforced per repository at most (two to four reads each): more is refused, removing nothing, and said by validate and compliance/policy. */
export const MAX_LITERAL_BRANCHES = 100;

/** A branch, or a pattern of branches, and the checks it should require. */
export interface WantedTarget extends RefTarget {
  /** Sorted: `compliance/<env>` of each enforcing environment on it, and `compliance/policy`. */
  checks: string[];
}

/** A `scope.branches` glob of an enforcing policy that no ruleset can express (SPEC §5: reported, not guessed). */
export interface UnenforceableGlob {
  file: string;
  environment: string;
  /** `scope.branches[1]`. */
  field: string;
  glob: string;
  reason: string;
}

/** What the policies of a branch want required. */
export interface WantedChecks {
  /** Sorted by `ref`. */
  targets: WantedTarget[];
  unenforceable: UnenforceableGlob[];
  /** Invalid policy files: whether they enforce anything is unknown, so nothing they might want is removed. */
  invalid: string[];
}

/** Every branch and pattern the set's enforcing policies name (the default branch where they name none), with the checks each wants. */
export function wantedChecks(set: PolicySet, defaultBranch: string): WantedChecks {
  const targets = new Map<string, { target: RefTarget; checks: Set<string> }>();
  const unenforceable: UnenforceableGlob[] = [];
  for (const policy of set.policies) {
    if (!policy.enforce.required_check) continue;
    const globs = policy.scope.branches ?? [defaultBranch];
    globs.forEach((glob, index) => {
      const pattern = rulesetPattern(glob);
      if (!pattern.ok) {
        const field = policy.scope.branches ? `scope.branches[${index}]` : "scope.branches";
        unenforceable.push({ file: policy.file, environment: policy.environment, field, glob, reason: pattern.reason });
        return;
      }
      for (const target of pattern.targets) {
        let entry = targets.get(target.ref);
        if (!entry) targets.set(target.ref, (entry = { target, checks: new Set([POLICY_CHECK]) }));
        entry.checks.add(checkNameOf(policy.environment));
      }
    });
  }
  return {
    targets: [...targets.values()].map(({ target, checks }) => ({ ...target, checks: sortByCodePoint([...checks]) })).sort((a, b) => compareCodePoints(a.ref, b.ref)),
    unenforceable,
    invalid: set.invalid.map((i) => i.file),
  };
}

/**
 * The checks a branch's own policies want required on it: those of its enforcing environments
 * that judge it (the checks its pull requests get), and compliance/policy with them. Another
 * branch's policies may name the branch, but only its own post checks on its pull requests.
 */
export function checksWantedOn(set: PolicySet, branch: string, defaultBranch: string): string[] {
  const judging = environmentsFor(set, branch, defaultBranch).policies.filter((p) => p.enforce.required_check);
  if (judging.length === 0) return [];
  return sortByCodePoint([...new Set([POLICY_CHECK, ...judging.map((p) => checkNameOf(p.environment))])]);
}
