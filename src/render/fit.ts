// Rendered Markdown made to fit GitHub's size limits (limits.ts) without leaving a construct half
// open: blocks are kept whole or left out, lists are cut between items, and a note says what is
// missing; Markdown already put together is cut at a line break.
import { bullets } from "./markdown.js";

/** The size GitHub's limits are checked against; UTF-8 bytes are never fewer than characters. */
export function sizeOf(markdown: string): number {
  return Buffer.byteLength(markdown, "utf8");
}

/** A list that may be cut item by item when it does not fit whole. */
export interface ListBlock {
  /** The line before the items (a heading or a sentence). */
  lead: string;
  /** List items, each one line of Markdown. */
  items: string[];
}

/** A block of Markdown: kept whole or left out (a string), or cut after any item (a list). */
export type Block = string | ListBlock;

interface FitOptions {
  /** The largest size (sizeOf) of the result. */
  limit: number;
  /** Always kept, last. */
  footer?: string;
  /** The note appended when something was left out, given how many blocks and items were. */
  note: (left: { blocks: number; items: number }) => string;
}

const SEPARATOR = "\n\n";

function renderList(block: ListBlock, items = block.items): string {
  return `${block.lead}\n\n${bullets(items)}`;
}

/** Keeps as many items of a list as fit in `room`, saying how many were left out; null if not even one does. */
function cutList(block: ListBlock, room: number): { markdown: string; left: number } | null {
  let kept = 0;
  // The items are usually short: grow one at a time, checking what the cut version would weigh.
  let size = sizeOf(`${block.lead}\n\n`);
  for (const item of block.items) {
    const left = block.items.length - kept - 1;
    const itemSize = sizeOf(`- ${item}\n`);
    const moreSize = left > 0 ? sizeOf(`- and ${left.toLocaleString("en-US")} more not shown`) : 0;
    if (size + itemSize + moreSize > room) break;
    size += itemSize;
    kept += 1;
  }
  if (kept === 0) return null;
  const left = block.items.length - kept;
  const items = block.items.slice(0, kept);
  if (left > 0) items.push(`and ${left.toLocaleString("en-US")} more not shown`);
  return { markdown: renderList(block, items), left };
}

/**
 * Joins blocks with blank lines within `limit`: a block that does not fit is left out whole
 * (a list keeps the items that fit), later blocks may still fit, and a note says what is missing.
 * So the result never ends inside a code span, a link or a list item.
 */
export function fitBlocks(blocks: readonly Block[], options: FitOptions): string {
  const footer = options.footer ?? "";
  const all = [...blocks.map((b) => (typeof b === "string" ? b : renderList(b))), ...(footer ? [footer] : [])];
  const whole = all.join(SEPARATOR);
  if (sizeOf(whole) <= options.limit) return whole;

  // Room for the footer and the note, whatever numbers the note ends up with.
  const noteRoom = sizeOf(options.note({ blocks: Number.MAX_SAFE_INTEGER, items: Number.MAX_SAFE_INTEGER })) + 2 * SEPARATOR.length;
  const footerRoom = footer ? sizeOf(footer) + SEPARATOR.length : 0;
  const budget = options.limit - noteRoom - footerRoom;
  const out: string[] = [];
  let used = 0;
  let leftBlocks = 0;
  let leftItems = 0;
  for (const block of blocks) {
    const separator = out.length > 0 ? SEPARATOR.length : 0;
    const rendered = typeof block === "string" ? block : renderList(block);
    if (used + separator + sizeOf(rendered) <= budget) {
      out.push(rendered);
      used += separator + sizeOf(rendered);
      continue;
    }
    const cut = typeof block === "string" ? null : cutList(block, budget - used - separator);
    if (cut === null) {
      leftBlocks += 1;
      continue;
    }
    out.push(cut.markdown);
    used += separator + sizeOf(cut.markdown);
    leftItems += cut.left;
  }
  out.push(options.note({ blocks: leftBlocks, items: leftItems }));
  if (footer) out.push(footer);
  return out.join(SEPARATOR);
}

/** The longest start of `value` of at most `max` UTF-8 bytes that ends on a character boundary. */
function firstBytes(value: string, max: number): string {
  // a string of n UTF-16 units holds at most 3n UTF-8 bytes: most texts need no encoding at all
  if (value.length * 3 <= max) return value;
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length <= max) return value;
  let end = Math.max(0, max);
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--; // not inside a character
  return bytes.subarray(0, end).toString("utf8");
}

/**
 * `value` in at most `max` UTF-8 bytes, ending with `marker` when cut, never inside a character.
 * GitHub counts bytes ("summary exceeds a maximum bytesize of 65535"): a summary of CJK file
 * paths is three times its length in characters, and bytes are never fewer than characters.
 */
export function cutToLength(value: string, max: number, marker: string): string {
  return sizeOf(value) <= max ? value : firstBytes(value, max - sizeOf(marker)) + marker;
}

/**
 * Markdown in at most `max` UTF-8 bytes, as cutToLength, but cut at the last line break that
 * leaves room for `marker`: a line of ours never leaves a construct open (a code span, a link,
 * emphasis or a list item ends on its line), so nothing is cut half open; only a single line
 * longer than that is cut inside.
 */
export function cutMarkdown(markdown: string, max: number, marker: string): string {
  if (sizeOf(markdown) <= max) return markdown;
  const room = firstBytes(markdown, max - sizeOf(marker));
  const end = room.lastIndexOf("\n");
  return end > 0 ? markdown.slice(0, end).trimEnd() + marker : cutToLength(markdown, max, marker);
}
