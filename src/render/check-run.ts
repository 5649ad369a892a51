// What this app's check runs are, as data: their names, the verdict each shows (SPEC §3's table),
// and the external id that lets a re-run find the pull request again.
import { CHECK_PREFIX, POLICY_CHECK } from "../engine/environments.js";
import type { State } from "../engine/types.js";
import type { CheckOutput } from "./check-output.js";

/** Named once, in the engine (`compliance/<environment>`): the prefix of every check of this app, and compliance/policy. */
export { CHECK_PREFIX, POLICY_CHECK };

/**
 * The check run that holds the audit record of a direct push, on the push's head commit. It is
 * not a verdict about any pull request: evaluations never list, supersede or overwrite it.
 */
export const AUDIT_CHECK = `${CHECK_PREFIX}audit`;

/** How a check run shows a result: passing, waiting, or failing. */
export type Verdict = "success" | "in_progress" | "failure";

/**
 * SPEC §3's table. `pending` is in_progress, never neutral or skipped: GitHub counts those as
 * passing, and a required check must not pass while approvals are missing.
 */
export function verdictOf(state: State): Verdict {
  switch (state) {
    case "approved":
    case "not_affected":
      return "success";
    case "pending":
      return "in_progress";
    case "blocked":
    case "error":
      return "failure";
  }
}

/** A check run to post. */
export interface PlannedCheck {
  name: string;
  verdict: Verdict;
  output: CheckOutput;
  /** Overrides the target's external id: the PR whose verdict this is, when several share a commit. */
  externalId?: string;
}

/** `pull:42` for a PR's head, `merge_group:42` for the merge group a PR is queued in. */
export function externalIdOf(number: number, mergeGroup: boolean): string {
  return `${mergeGroup ? "merge_group" : "pull"}:${number}`;
}

/** The pull request (and whether the check was on its merge group) an external id names, or undefined. */
export function parseExternalId(externalId: string | null | undefined): { number: number; mergeGroup: boolean } | undefined {
  const match = /^(pull|merge_group):(\d+)$/.exec(externalId ?? "");
  if (!match) return undefined;
  return { number: Number(match[2]), mergeGroup: match[1] === "merge_group" };
}
