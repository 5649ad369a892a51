// Inline Markdown written from strings we do not control (paths, rule names, logins, messages):
// escaped so that it renders literally, on one line, and notifies nobody it should not.

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

export { shortSha } from "../audit/short-sha.js";

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

/** `**Label:** items…` as a list item with a nested list. */
export function nested(label: string, items: readonly string[]): string {
  return `**${label}:**\n${bullets(items, "  ")}`;
}

/** One line of plain text of at most `max` characters, cut with an ellipsis (check titles). */
export function oneLine(value: string, max: number): string {
  const line = [...value.replace(/\s+/g, " ").trim()];
  return line.length <= max ? line.join("") : `${line.slice(0, max - 1).join("").trimEnd()}…`;
}

/**
 * Plain text that also never @mentions: an audit comment must not notify everyone it names, nor
 * whoever a title names. A zero-width space after `@` (as Renovate does) keeps GitHub from
 * linking it; `text` leaves `@` alone because check runs notify nobody.
 */
export function quiet(value: string): string {
  return text(value).replace(/@/g, "@&#8203;");
}
