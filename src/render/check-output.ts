// What a check run shows: its title, summary and text, and the note that says when part of it was
// left out to fit GitHub's limits (limits.ts).
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
