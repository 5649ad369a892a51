// Markdown written from strings we do not control (paths, rule names, logins, messages), and
// output cut to fit GitHub's size limits without leaving a construct half open.

/** Line breaks and other control characters, which could end a list item or start a new block. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Characters that could start formatting, a link, HTML, an entity, math or a table cell anywhere in a line. */
const INLINE_SPECIAL = /[\\`*_[\]<>&|~$#]/g;

/** Characters that only mean something at the start of a line: a list, a heading underline. */
const LEADING_SPECIAL = /^([-+=]|\d+[.)])/;

function visibleControl(ch: string): string {
  switch (ch) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default:
      return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
}

/** Plain text as inline Markdown that renders literally, on one line: no emphasis, links, HTML or new blocks. */
export function text(value: string): string {
  const line = value.replace(/\s+/g, " ").trim().replace(CONTROL, " ");
  return line.replace(INLINE_SPECIAL, "\\$&").replace(LEADING_SPECIAL, (m) => m.slice(0, -1) + "\\" + m.slice(-1));
}

/**
 * A code span that shows `value` exactly: the fence is longer than any run of backticks in it,
 * and control characters (a newline in a file name) are shown escaped, as git does.
 */
export function code(value: string): string {
  const shown = value.replace(CONTROL, visibleControl);
  if (shown === "") return "`\u200b`";
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  // CommonMark strips one space from each side when both are there, and needs one next to a backtick.
  const pad =
    shown.startsWith("`") || shown.endsWith("`") || (shown.startsWith(" ") && shown.endsWith(" ") && shown.trim() !== "")
      ? " "
      : "";
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/**
 * `@login` or `@org/team`, with anything Markdown would read escaped. A bot is named without
 * `@`: GitHub would link `@renovate[bot]` to the unrelated user `renovate`.
 */
export function mention(login: string): string {
  return /\[bot\]$/i.test(login) ? text(login) : `@${text(login)}`;
}

/** The first characters of a commit sha, as GitHub shows them. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** `a`, `a and b`, `a, b and c` (or with `or`). */
export function joinList(items: readonly string[], word: "and" | "or" = "and"): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} ${word} ${items[items.length - 1] as string}`;
}

/** `1 approval`, `2 approvals`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}

/** Up to `max` items, then `and N more` as the last one. */
export function firstOf(items: readonly string[], max: number): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `and ${(items.length - max).toLocaleString("en-US")} more`];
}

/** A bullet list, each item one line; `indent` nests it under a list item. */
export function bullets(items: readonly string[], indent = ""): string {
  return items.map((item) => `${indent}- ${item}`).join("\n");
}

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

export interface FitOptions {
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

/** One line of plain text of at most `max` characters, cut with an ellipsis (check titles). */
export function oneLine(value: string, max: number): string {
  const line = [...value.replace(/\s+/g, " ").trim()];
  return line.length <= max ? line.join("") : `${line.slice(0, max - 1).join("").trimEnd()}…`;
}
