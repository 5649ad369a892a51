// Finding the record of an audit comment (SPEC §4.1) again: the marker line, then the record as
// JSON in a fenced block. render/audit-comment.ts writes what is read here.

/** The line that starts the machine-readable part of an audit comment. */
export const AUDIT_MARKER = "<!-- compliance-gate:audit v1 -->";

const MARKER_LINE = /^<!--\s*compliance-gate:audit v(\d+)\s*-->$/;
const OPEN_FENCE = /^(`{3,})\s*json\s*$/;

export type ParsedAuditComment = { ok: true; record: Record<string, unknown> } | { ok: false; message: string };

interface Found {
  result: ParsedAuditComment;
  /** The line after the record's closing fence (or after the marker when there is no record). */
  next: number;
}

function markerAt(line: string): string | null {
  return MARKER_LINE.exec(line.trim())?.[1] ?? null;
}

/** The record after the marker on line `at`. */
function recordAfter(lines: readonly string[], at: number, version: string): Found {
  if (version !== "1") return { result: { ok: false, message: `unsupported audit comment version ${version}` }, next: at + 1 };
  let open = -1;
  let fence = "";
  for (let i = at + 1; i < lines.length; i++) {
    if (markerAt(lines[i] as string) !== null) break;
    const m = OPEN_FENCE.exec((lines[i] as string).trim());
    if (m) {
      open = i;
      fence = m[1] as string;
      break;
    }
  }
  if (open < 0) return { result: { ok: false, message: "no ```json block after the audit marker" }, next: at + 1 };
  for (let close = open + 1; close < lines.length; close++) {
    const line = (lines[close] as string).trim();
    if (!line.startsWith(fence) || line.replace(/`/g, "") !== "") continue;
    const json = lines.slice(open + 1, close).join("\n");
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      return { result: { ok: false, message: `the audit record is not valid JSON: ${(error as Error).message}` }, next: close + 1 };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { result: { ok: false, message: "the audit record is not a JSON object" }, next: close + 1 };
    }
    return { result: { ok: true, record: value as Record<string, unknown> }, next: close + 1 };
  }
  return { result: { ok: false, message: "the audit record's ```json block is never closed" }, next: lines.length };
}

function linesOf(body: string): string[] {
  return body.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
}

/**
 * Every audit record in `text` (comment bodies, possibly several one after another), in order:
 * each marker line followed by its ```json block. Line endings may be LF, CRLF or CR.
 */
export function parseAuditComments(text: string): ParsedAuditComment[] {
  const lines = linesOf(text);
  const found: ParsedAuditComment[] = [];
  let i = 0;
  while (i < lines.length) {
    const version = markerAt(lines[i] as string);
    if (version === null) {
      i += 1;
      continue;
    }
    const { result, next } = recordAfter(lines, i, version);
    found.push(result);
    i = next;
  }
  return found;
}

/**
 * The record of an audit comment: the first marker line of `body` and the ```json block after
 * it, parsed; an error value when the block is missing or not a JSON object; null when `body`
 * has no marker (not an audit comment). Line endings may be LF, CRLF or CR.
 */
export function parseAuditComment(body: string): ParsedAuditComment | null {
  return parseAuditComments(body)[0] ?? null;
}
