// What a check run shows: its title, summary and text; the note that says when part of it was
// left out; and the one cut that makes any check output fit GitHub's limits (limits.ts) before it is posted.
import { cutMarkdown, cutToLength } from "./fit.js";
import { MAX_CHECK_TEXT, MAX_CHECK_TITLE } from "./limits.js";
import { joinList, plural } from "./markdown.js";

/** The `output` of a check run. */
export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
}

/** Warnings listed in a check's summary; the rest are counted there. */
export const MAX_WARNINGS = 20;

/** The note that ends a check's summary or text when a fit left something out. */
export function cutNote(left: { blocks: number; items: number }): string {
  const parts = [
    ...(left.blocks > 0 ? [plural(left.blocks, "section")] : []),
    ...(left.items > 0 ? [plural(left.items, "list item")] : []),
  ];
  return `*Cut to fit GitHub's limit: ${joinList(parts)} not shown. \`compliance-gate explain\` prints the whole decision.*`;
}

/** What ends a summary or text that had to be cut to GitHub's limit. */
const CUT = `\n\n… (cut: GitHub shows at most ${MAX_CHECK_TEXT.toLocaleString("en-US")} bytes)`;

/**
 * The output within GitHub's limits, as posted. Outputs rendered from blocks already fit (fitBlocks
 * cut them, with a note); this cuts what was put together from several (a merge group's, a
 * shared head's) at a line break, so that GitHub never refuses a check with a 422 and leaves it
 * missing, and no Markdown construct is left half open.
 */
export function fitCheckOutput(output: CheckOutput): CheckOutput {
  return {
    title: cutToLength(output.title, MAX_CHECK_TITLE, "…"),
    summary: cutMarkdown(output.summary, MAX_CHECK_TEXT, CUT),
    ...(output.text !== undefined ? { text: cutMarkdown(output.text, MAX_CHECK_TEXT, CUT) } : {}),
  };
}
