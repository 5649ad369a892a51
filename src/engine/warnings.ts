// Things worth telling the author of a valid policy set that do not make it invalid (SPEC §6.1).
// Whether a rule would judge a path is asked of the engine's own matching (pathsByPolicy).
import { rulesetPattern } from "../policy/ruleset-patterns.js";
import type { Approvers, Policy, PolicySet, PolicyWarning } from "../policy/types.js";
import { checkNameOf } from "./environments.js";
import { MAX_LITERAL_BRANCHES, wantedChecks } from "./required-checks.js";
import { privateGlobs } from "./globs.js";
import { pathsByPolicy } from "./paths.js";

/**
 * The paths of `paths` that some rule of some policy would judge: in the policy's scope, in the
 * rule's paths, and excluded by neither. The set may come from a pull request's head
 * (compliance/policy): its globs are compiled privately, never in the engine's shared cache. A
 * policy whose globs cannot be compiled (validation refuses those first) judges nothing: the
 * answer that warns rather than reassures.
 */
function judgedPaths(set: PolicySet, paths: readonly string[]): { judged: Set<string>; governing: number[] } {
  const judged = new Set<string>();
  const governing: number[] = [];
  pathsByPolicy(set.policies, paths, undefined, privateGlobs()).forEach((policy, index) => {
    const paths = policy.byRule.flat();
    for (const path of paths) judged.add(path);
    if (paths.length > 0) governing.push(index);
  });
  return { judged, governing };
}

/** Stands for the default branch of a policy that names no branches: one literal branch, whatever its name. */
const DEFAULT_BRANCH = "\u0000default";

/** How many approvals `approvers` can give at most, or Infinity when a team or permission can grow. */
function approverCeiling(approvers: Approvers): number {
  if (approvers.teams.length > 0 || approvers.permission !== undefined) return Infinity;
  return new Set(approvers.users.map((u) => u.toLowerCase())).size;
}

/** Warnings for a valid policy set read from `dir`: ungoverned policy files and unsatisfiable rules. */
export function policyWarnings(set: PolicySet, dir: string): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const files = [...set.policies.map((p) => p.file), ...set.invalid.map((p) => p.file), `${dir}/new-environment.yml`];
  const { judged, governing } = judgedPaths(set, files);
  const ungoverned = files.filter((file) => !judged.has(file));
  if (ungoverned.length > 0) {
    warnings.push({
      file: dir,
      field: "",
      message:
        `no policy covers ${dir}/**: anyone who can merge can change the policies ` +
        `(ungoverned: ${ungoverned.join(", ")}); add a policy whose scope and rules cover ${dir}/**`,
    });
  }
  // SPEC §5: a governance check that is not required blocks nothing — whoever can merge past it can rewrite every policy.
  const governors = governing.map((i) => set.policies[i]).filter((p): p is Policy => p !== undefined);
  if (governors.length > 0 && !governors.some((p) => p.enforce.required_check)) {
    for (const p of governors) {
      warnings.push({
        file: p.file,
        field: "enforce.required_check",
        message: `this policy governs ${dir}/** but does not make ${checkNameOf(p.environment)} a required check: a merge past it can change every policy; set enforce: { required_check: true }`,
      });
    }
  }
  // SPEC §5: the app looks at MAX_LITERAL_BRANCHES literal branches per repository at most.
  const literal = wantedChecks(set, DEFAULT_BRANCH).targets.filter((t) => t.literal).length;
  if (literal > MAX_LITERAL_BRANCHES) {
    warnings.push({
      file: dir,
      field: "",
      message: `the policies name ${literal} branches to enforce (enforce.required_check), more than ${MAX_LITERAL_BRANCHES}: compliance-gate requires the checks on none of them; name them with patterns such as release/*`,
    });
  }
  for (const policy of set.policies) {
    policy.rules.forEach((rule, index) => {
      const ceiling = approverCeiling(rule.approvers);
      if (rule.approvals > ceiling) {
        warnings.push({
          file: policy.file,
          field: `rules[${index}].approvals`,
          message: `rule "${rule.name}" can never be satisfied: it needs ${rule.approvals} approvals but names only ${ceiling} user${ceiling === 1 ? "" : "s"}`,
        });
      }
    });
    // SPEC §5: a branch glob no ruleset can express is reported, never guessed at.
    if (policy.enforce.required_check) {
      (policy.scope.branches ?? []).forEach((glob, index) => {
        const pattern = rulesetPattern(glob);
        if (pattern.ok) return;
        warnings.push({
          file: policy.file,
          field: `scope.branches[${index}]`,
          message: `"${glob}" cannot be enforced (enforce.required_check): ${pattern.reason}; require ${checkNameOf(policy.environment)} on those branches by hand, or write the pattern with *, ** and [...] only`,
        });
      });
    }
    const glass = policy.break_glass;
    if (glass && glass.approvals > approverCeiling(glass.approvers)) {
      const ceiling = approverCeiling(glass.approvers);
      warnings.push({
        file: policy.file,
        field: "break_glass.approvals",
        message: `break glass can never be used: it needs ${glass.approvals} approvals but names only ${ceiling} user${ceiling === 1 ? "" : "s"}`,
      });
    }
  }
  return warnings;
}
