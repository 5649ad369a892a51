// The output that replaces a check of an environment that no longer judges a pull request (its
// base branch changed): it fails, and says why, so that the old result satisfies nothing.
import type { CheckOutput } from "./check-output.js";

/** Why check `name` is no longer evaluated: the base branch is now `base` (before: `oldBase`), with no policies or not gated. */
export function renderNotEvaluated(name: string, why: { base: string; oldBase: string | undefined; noPolicies: boolean }): CheckOutput {
  const reason = why.noPolicies
    ? `the base branch is now \`${why.base}\`, which has no policies`
    : `the base branch is now \`${why.base}\`, which this environment does not gate`;
  const before = why.oldBase !== undefined && why.oldBase !== why.base ? `\`${why.oldBase}\`` : "another base branch";
  return {
    title: `Not evaluated: ${reason.replace(/`/g, "")}`,
    summary:
      `**Failed** — \`${name}\` was posted on this commit while the pull request targeted ${before}; ${reason}. ` +
      "GitHub cannot delete a check run, and the old result must not satisfy the new base branch's protection, " +
      "for which it was never judged: so it is replaced by this failing one.\n\n" +
      `This check does not block the merge unless the protection of \`${why.base}\` requires \`${name}\`. ` +
      `If it does, either that requirement is a mistake, or \`${why.base}\` belongs in the environment's \`scope.branches\`.`,
  };
}
