// The output of `compliance/policy` (SPEC §3.2): the head version's policy files validated, with
// their errors as file:line:col lines, or why there is nothing to validate.
import { formatPolicyError } from "../policy/errors.js";
import type { PolicyError } from "../policy/types.js";
import { cutNote, MAX_WARNINGS, type CheckOutput } from "./check-output.js";
import { fitBlocks, type Block } from "./fit.js";
import { MAX_CHECK_TEXT, MAX_CHECK_TITLE } from "./limits.js";
import { code, firstOf, joinList, oneLine, plural, text } from "./markdown.js";

/** The output of `compliance/policy` (SPEC §3.2): the head version's validation errors, or that all is valid. */
export function renderPolicyCheck(errors: readonly PolicyError[], files: readonly string[], warnings: readonly string[] = []): CheckOutput {
  const validated = files.length > 0 ? `Validated: ${joinList(files.map(code))}.` : "";
  // Warnings do not fail the check (SPEC §6.1): they are shown so the author sees them before merging.
  const warned: Block[] = warnings.length > 0 ? [{ lead: "### Warnings", items: firstOf(warnings.map(text), MAX_WARNINGS) }] : [];
  if (errors.length === 0) {
    if (files.length === 0) {
      return {
        title: "No policy files to validate",
        summary: "**Valid** — this pull request leaves no policy file to validate.",
      };
    }
    return {
      title: files.length === 1 ? "1 policy file is valid" : `${plural(files.length, "policy file")} are valid`,
      summary: fitBlocks(
        [
          "**Valid** — every policy file of this pull request passes validation. Its changes take effect once it merges.",
          ...warned,
          { lead: "### Policy files", items: files.map(code) },
        ],
        { limit: MAX_CHECK_TEXT, note: cutNote },
      ),
    };
  }
  const broken = new Set(errors.map((e) => e.file)).size;
  const first = errors[0] as PolicyError;
  const title = `${plural(errors.length, "error")} in ${plural(broken, "policy file")}: ${formatPolicyError(first)}`;
  const blocks: Block[] = [
    `**Invalid** — ${plural(errors.length, "error")} in ${plural(broken, "policy file")} of this pull request. A broken policy cannot merge: fix ${errors.length === 1 ? "it" : "them"} and push again.`,
    { lead: "### Errors", items: errors.map((e) => code(formatPolicyError(e))) },
    ...warned,
  ];
  if (validated) blocks.push(validated);
  return { title: oneLine(title, MAX_CHECK_TITLE), summary: fitBlocks(blocks, { limit: MAX_CHECK_TEXT, note: cutNote }) };
}

/** compliance/policy for a pull request that leaves no policy file where its base branch has some. */
export function renderPoliciesRemoved(dir: string, baseFiles: readonly string[]): CheckOutput {
  return {
    title: "This pull request removes every policy: the repository would no longer be gated",
    summary: fitBlocks(
      [
        `**Invalid** — the base branch has ${plural(baseFiles.length, "policy file")} under ${code(`${dir}/`)}, and this pull request leaves none. ` +
          "Once it merged, compliance-gate would stop checking pull requests into this branch: nothing would be gated any more.",
        "If that is really intended, remove the policies in a pull request merged by an administrator who bypasses this check, and the required checks with them.",
        { lead: "### Policy files on the base branch", items: baseFiles.map(code) },
      ],
      { limit: MAX_CHECK_TEXT, note: cutNote },
    ),
  };
}

/** compliance/policy for a pull request that changes nothing under the policy folder `dir`. */
export function renderNoPolicyChanges(dir: string): CheckOutput {
  return {
    title: "No policy changes",
    summary:
      `This pull request changes nothing under \`${dir}/\`. ` +
      "It is judged by the policies of its base branch; this check validates policy files only when a pull request changes them.",
  };
}

/** Lines shown at most about checks that are not required. */
const MAX_NOT_REQUIRED = 20;

/**
 * compliance/policy with what the app could not make required (SPEC §5, "cannot"): which check is
 * not required on which branch, and how to fix it. It stays a note: the verdict is the validation's.
 */
export function withNotRequired(output: CheckOutput, lines: readonly string[]): CheckOutput {
  if (lines.length === 0) return output;
  const block: Block = {
    lead: "### ⚠️ Not required\n\ncompliance-gate could not make these checks required, so they block nothing until they are:",
    items: firstOf(lines.map(text), MAX_NOT_REQUIRED),
  };
  return { ...output, summary: fitBlocks([output.summary, block], { limit: MAX_CHECK_TEXT, note: cutNote }) };
}
