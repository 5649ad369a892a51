// The text of a re-baseline (SPEC §8): the compliance/audit check run that holds its record on the
// accepted commit, and the comments the app leaves on the issue whose closing asked for it.
import type { RebaselineRecord } from "../audit/rebaseline.js";
import { recordBlock } from "./audit-comment.js";
import { chainLines } from "./deployment-verdict.js";
import { fitBlocks, sizeOf } from "./fit.js";
import { MAX_CHECK_TEXT } from "./limits.js";
import { code, plural, quiet, shortSha } from "./markdown.js";

/** The title and summary of the check run holding a re-baseline's record. */
export function rebaselineCheckHeadline(record: RebaselineRecord): { title: string; summary: string } {
  const accepted = record.accepted_problems.length > 0 ? `\n\nWhat it accepted:\n${record.accepted_problems.map((p) => `- ${quiet(p)}`).join("\n")}` : "";
  return {
    title: `Re-baseline of ${record.environment} on ${record.branch}: accepted`,
    summary: `${quiet(record.accepted_by)} accepted the approval chain of ${code(record.environment)} on ${code(record.branch)} up to this commit by closing #${record.issue} (${quiet(record.via.join("; "))}). The record is below (digest ${code(record.digest)}).${accepted}`,
  };
}

/** The check run's text: the chain accepted and the record; null when the record alone does not fit. */
export function rebaselineCheckText(record: RebaselineRecord): string | null {
  const footer = recordBlock(record, false);
  if (sizeOf(footer) > MAX_CHECK_TEXT) return null;
  const blocks = [`**Approval chain of ${code(record.environment)} up to ${code(shortSha(record.sha))}, accepted** (${plural(record.chain.links.length, "link")})\n\n${chainLines(record).join("\n")}`];
  return fitBlocks(blocks, { limit: MAX_CHECK_TEXT, footer, note: ({ blocks: left }) => `_${plural(left, "part")} left out to fit; the record below is complete._` });
}

/** The comment on the issue once the re-baseline is recorded. */
export function rebaselineDone(record: RebaselineRecord): string {
  const accepted = record.accepted_problems.length > 0 ? `\n\nAccepted with it:\n${record.accepted_problems.map((p) => `- ${quiet(p)}`).join("\n")}` : "";
  return (
    `✅ Re-baseline recorded: the approval chain of ${code(record.environment)} on ${code(record.branch)} up to ${code(record.sha)} is accepted, ` +
    `by ${quiet(record.accepted_by)} (${quiet(record.via.join("; "))}). Deployments and applied revisions after it are judged from there. ` +
    `The sealed record (digest ${code(record.digest)}) is in the compliance/audit check run of ${code(shortSha(record.sha))}.${accepted}`
  );
}

/** The comment on the issue when closing it accepted nothing, and why. */
export function rebaselineRefused(why: string): string {
  return `⚠️ Not re-baselined: ${quiet(why)}. Closing this issue accepted nothing; the chain stays as it was. An approver of the environment can reopen and close it.`;
}
