// Explain (SPEC §6.6): a pull request's live decision, read and decided as the app reads and
// decides it — the same ports, the same policies at the tip of its base branch, the same decide —
// for `compliance-gate explain`. GitHubError is caught here, once, and said as a value.
import { decide } from "../engine/index.js";
import type { Decision, Facts } from "../engine/types.js";
import { GitHubError } from "../github/client.js";
import type { Ports } from "./ports.js";

export type Explained =
  | { kind: "decision"; decision: Decision; facts: Facts; policyCommit: string; warnings: string[] }
  /** The tip of the PR's base branch has no policies: the app leaves the PR alone. */
  | { kind: "no_policies"; policyCommit: string }
  /** GitHub could not be read; the message says what failed. */
  | { kind: "error"; message: string };

/** The decision on pull request `number` at `now`, by the policies at the tip of its base branch. */
export async function explainPull(ports: Ports, number: number, now: number): Promise<Explained> {
  try {
    const pull = await ports.pulls.read(number);
    const found = await ports.policies.atBranchTip(pull.base.ref);
    if (found.kind === "none") return { kind: "no_policies", policyCommit: found.commit };
    const { facts, warnings } = await ports.facts.gather(pull, { policies: found.policies, policyCommit: found.commit, now });
    return { kind: "decision", decision: decide(found.policies, facts), facts, policyCommit: found.commit, warnings };
  } catch (error) {
    if (error instanceof GitHubError) return { kind: "error", message: error.message };
    throw error;
  }
}
