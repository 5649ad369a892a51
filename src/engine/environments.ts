// Which environments judge a pull request into a base branch, and which policy files define each.
import { compareCodePoints } from "../policy/code-point-order.js";
import type { InvalidPolicy, Policy, PolicyError, PolicySet } from "../policy/types.js";
import { globErrorOf, policyAppliesTo } from "./paths.js";

/**
 * Whether a valid policy judges PRs into `base`. A policy whose globs cannot be compiled is
 * taken to apply: its environment then fails closed rather than silently disappearing.
 */
function appliesTo(policy: Policy, base: string, defaultBranch: string): boolean {
  if (globErrorOf(policy)) return true;
  return policyAppliesTo(policy, base, defaultBranch);
}

/**
 * The policy set narrowed to a base branch: valid policies whose `scope.branches` (default:
 * the default branch) match `base`, and every invalid file, whose branches are unknown.
 */
export function environmentsFor(set: PolicySet, base: string, defaultBranch: string): PolicySet {
  return { policies: set.policies.filter((p) => appliesTo(p, base, defaultBranch)), invalid: [...set.invalid] };
}

/** The check an environment's decision is posted as (SPEC §3.1): `compliance/<environment>`. */
export function checkNameOf(environment: string): string {
  return `compliance/${environment}`;
}

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
  /** Every environment reported on the base, sorted by name, with the error of a policy whose globs cannot be compiled. */
  reported: [EnvironmentSources, PolicyError[]][];
  /** Indexes into `set.policies` of the policies evaluated: an environment's only file, valid and compilable. */
  evaluated: Set<number>;
}

/**
 * The environments that judge a change into `base` (SPEC §2): those with a policy whose branches
 * match, and every one with an invalid file, whose branches are unknown (fail closed).
 */
export function judgingEnvironments(set: PolicySet, base: string, defaultBranch: string): JudgingEnvironments {
  const reported: [EnvironmentSources, PolicyError[]][] = [];
  const evaluated = new Set<number>();
  for (const src of environmentSources(set)) {
    const applies = src.policies.some((i) => appliesTo(set.policies[i] as Policy, base, defaultBranch));
    if (src.invalid.length === 0 && !applies) continue;
    const only = src.invalid.length === 0 && src.policies.length === 1 ? src.policies[0] : undefined;
    const globError = only === undefined ? undefined : globErrorOf(set.policies[only] as Policy);
    if (only !== undefined && !globError) evaluated.add(only);
    const file = only === undefined ? "" : (set.policies[only] as Policy).file;
    reported.push([src, globError ? [{ file, field: "", message: globError.message }] : []]);
  }
  return { reported, evaluated };
}
