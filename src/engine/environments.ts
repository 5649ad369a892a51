// Which environments judge a pull request into a base branch, and which policy files define each.
import { compareCodePoints } from "../policy/code-point-order.js";
import type { InvalidPolicy, Policy, PolicySet } from "../policy/types.js";
import { policyAppliesTo } from "./paths.js";

/**
 * The policy set narrowed to a base branch: valid policies whose `scope.branches` (default:
 * the default branch) match `base` — or cannot be compiled, failing closed — and every invalid
 * file, whose branches are unknown. Compiles branch globs only (see policyAppliesTo).
 */
export function environmentsFor(set: PolicySet, base: string, defaultBranch: string): PolicySet {
  return { policies: set.policies.filter((p) => policyAppliesTo(p, base, defaultBranch)), invalid: [...set.invalid] };
}

/** Every check this app posts starts with this; nothing else is ours. */
export const CHECK_PREFIX = "compliance/";

/** The check an environment's decision is posted as (SPEC §3.1): `compliance/<environment>`. */
export function checkNameOf(environment: string): string {
  return `${CHECK_PREFIX}${environment}`;
}

/** The check that validates the head version of the policies (SPEC §3.2): no environment may be named `policy`. */
export const POLICY_CHECK = checkNameOf("policy");

/** The files that define one environment. */
export interface EnvironmentSources {
  environment: string;
  /** Indexes into `set.policies`, in order. */
  policies: number[];
  invalid: InvalidPolicy[];
}

/** Groups a set's files by environment name, sorted by name (code point order). */
function environmentSources(set: PolicySet): EnvironmentSources[] {
  const byName = new Map<string, EnvironmentSources>();
  const get = (environment: string): EnvironmentSources => {
    let s = byName.get(environment);
    if (!s) byName.set(environment, (s = { environment, policies: [], invalid: [] }));
    return s;
  };
  set.policies.forEach((p, i) => get(p.environment).policies.push(i));
  for (const inv of set.invalid) get(inv.environment).invalid.push(inv);
  return [...byName.values()].sort((a, b) => compareCodePoints(a.environment, b.environment));
}

/** The environments judging a base branch, and which of them evaluate their one policy. */
interface JudgingEnvironments {
  /** Every environment reported on the base, sorted by name. */
  reported: EnvironmentSources[];
  /**
   * Indexes into `set.policies` of the policies to evaluate: an environment's only file, valid.
   * Its path globs are compiled when its paths are matched; if they cannot be, it is an error then.
   */
  evaluated: Set<number>;
}

/**
 * The environments that judge a change into `base` (SPEC §2): those with a policy whose branches
 * match, and every one with an invalid file, whose branches are unknown (fail closed).
 */
export function judgingEnvironments(set: PolicySet, base: string, defaultBranch: string): JudgingEnvironments {
  const reported: EnvironmentSources[] = [];
  const evaluated = new Set<number>();
  for (const src of environmentSources(set)) {
    const applies = src.policies.some((i) => policyAppliesTo(set.policies[i] as Policy, base, defaultBranch));
    if (src.invalid.length === 0 && !applies) continue;
    const only = src.invalid.length === 0 && src.policies.length === 1 ? src.policies[0] : undefined;
    if (only !== undefined) evaluated.add(only);
    reported.push(src);
  }
  return { reported, evaluated };
}
