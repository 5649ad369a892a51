// Things worth telling the author of a valid policy set that do not make it invalid (SPEC §6.1).
import { privateGlobs, type GlobCompiler } from "../engine/globs.js";
import { rulesetPattern } from "./ruleset-patterns.js";
import type { Approvers, Policy, PolicySet, PolicyWarning } from "./types.js";

/**
 * Whether any glob matches `path`. The set may come from a pull request's head (compliance/policy):
 * its globs are compiled privately, never in the engine's shared cache. A glob minimatch refuses
 * (validation refuses those first) counts as `refused`: the answer that warns rather than reassures.
 */
function matchesAny(globs: GlobCompiler, patterns: readonly string[], path: string, refused: boolean): boolean {
  return patterns.some((glob) => {
    try {
      return globs.compile(glob).match(path);
    } catch {
      return refused;
    }
  });
}

/** Whether a change to `path` would be judged by some rule of `policy`. */
function governs(globs: GlobCompiler, policy: Policy, path: string): boolean {
  const including = (patterns: readonly string[]) => matchesAny(globs, patterns, path, false);
  const excluding = (patterns: readonly string[]) => matchesAny(globs, patterns, path, true);
  if (!including(policy.scope.paths) || excluding(policy.scope.exclude)) return false;
  return policy.rules.some((rule) => including(rule.paths) && !excluding(rule.exclude));
}

/** How many approvals `approvers` can give at most, or Infinity when a team or permission can grow. */
function approverCeiling(approvers: Approvers): number {
  if (approvers.teams.length > 0 || approvers.permission !== undefined) return Infinity;
  return new Set(approvers.users.map((u) => u.toLowerCase())).size;
}

/** Warnings for a valid policy set read from `dir`: ungoverned policy files and unsatisfiable rules. */
export function policyWarnings(set: PolicySet, dir: string): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const globs = privateGlobs();
  const files = [...set.policies.map((p) => p.file), ...set.invalid.map((p) => p.file), `${dir}/new-environment.yml`];
  const ungoverned = files.filter((file) => !set.policies.some((policy) => governs(globs, policy, file)));
  if (ungoverned.length > 0) {
    warnings.push({
      file: dir,
      field: "",
      message:
        `no policy covers ${dir}/**: anyone who can merge can change the policies ` +
        `(ungoverned: ${ungoverned.join(", ")}); add a policy whose scope and rules cover ${dir}/**`,
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
          message: `"${glob}" cannot be enforced (enforce.required_check): ${pattern.reason}; require compliance/${policy.environment} on those branches by hand, or write the pattern with *, ** and [...] only`,
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

/** `file: warning: field: message`, the way `validate` prints a warning. */
export function formatPolicyWarning(warning: PolicyWarning): string {
  const where = warning.line !== undefined ? `${warning.file}:${warning.line}:${warning.column ?? 1}` : warning.file;
  return `${where}: warning: ${warning.field ? `${warning.field}: ` : ""}${warning.message}`;
}
