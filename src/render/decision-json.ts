// The JSON form of a decision (SPEC §6.2), shared by `simulate` and `explain --json`.
import type { Decision, UnlinkedIdentity } from "../engine/types.js";
import { formatPolicyError } from "../policy/errors.js";

interface DecisionJson {
  environments: Array<{
    environment: string;
    check: string;
    state: string;
    break_glass: boolean;
    title: string;
    files: string[];
    uncovered: string[];
    freeze: string | null;
    /** Only when the change has commit identities linked to no GitHub account (SPEC §2, `unlinked`). */
    unlinked?: UnlinkedIdentity[];
    rules: Array<{
      name: string;
      required: number;
      satisfied: boolean;
      missing: number;
      approved_by: string[];
      ignored: Array<{ user: string; reason: string }>;
    }>;
    errors: string[];
  }>;
}

/**
 * The decision with exactly the fields, in exactly the order, of SPEC §6.2 — plus `unlinked`
 * (after `freeze`) where an environment has unlinked commit identities: whether they block is
 * in `state` and `title`, and who they are is what a user must fix.
 */
export function decisionJson(decision: Decision): DecisionJson {
  return {
    environments: decision.environments.map((env) => ({
      environment: env.environment,
      check: env.check,
      state: env.state,
      break_glass: env.break_glass,
      title: env.title,
      files: env.files,
      uncovered: env.uncovered,
      freeze: env.freeze,
      ...(env.unlinked.length > 0 ? { unlinked: env.unlinked.map((u) => ({ commit: u.commit, role: u.role, name: u.name, email: u.email })) } : {}),
      rules: env.rules.map((rule) => ({
        name: rule.name,
        required: rule.required,
        satisfied: rule.satisfied,
        missing: rule.missing,
        approved_by: rule.approved_by,
        ignored: rule.ignored.map((i) => ({ user: i.user, reason: i.reason })),
      })),
      errors: env.errors.map(formatPolicyError),
    })),
  };
}
