// Which environments a change touches (SPEC §2 steps 1-2): what the audit asks of a change that has
// no reviews to weigh — a merge without a record, a direct push — answered without deciding approvals.
import type { PolicySet } from "../policy/types.js";
import { judgingEnvironments } from "./environments.js";
import { pathsByPolicy, touchedPaths } from "./paths.js";
import type { Facts } from "./types.js";

/** A change as the question needs it: the branch it lands on and the files it changed. */
export type Change = Pick<Facts, "base" | "default_branch" | "files" | "files_truncated">;

/**
 * The names of the environments `change` touches, sorted: exactly those whose state `decide` would
 * not make not_affected, whatever the reviews. That fails closed: an environment whose files cannot
 * be evaluated (invalid, duplicated, uncompilable) is touched, and so is every one when the files
 * were truncated.
 */
export function touchedEnvironments(set: PolicySet, change: Change): string[] {
  const { reported, evaluated } = judgingEnvironments(set, change.base, change.default_branch);
  if (change.files_truncated) return reported.map((src) => src.environment);
  const paths = evaluated.size > 0 ? pathsByPolicy(set.policies, touchedPaths(change.files), evaluated) : [];
  return reported.flatMap((src) => {
    const only = src.policies[0];
    const found = only !== undefined && evaluated.has(only) ? paths[only] : undefined;
    const touched = found === undefined || found.globError !== undefined || found.inScope.length > 0;
    return touched ? [src.environment] : [];
  });
}
