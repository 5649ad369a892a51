// Finding audit records in what an auditor hands `audit verify` (SPEC §6.5) — one record as JSON,
// comment bodies holding records, a JSONL export — and checking each one.
import type { KeyObject } from "node:crypto";
import { parseAuditComments, type ParsedAuditComment } from "./comment.js";
import { isExportRow, rowLabel } from "./export-row.js";
import { recordLabel } from "./record.js";
import { verifyRecord } from "./seal.js";

/** One thing found in the input, with where it was (`line 3`, `comment 2`, `record`). */
export type Extracted =
  /** A record to verify; `claimed` is how an export row named it, to compare with the record. */
  | { kind: "record"; source: string; record: unknown; claimed: string | null }
  /** An export row that says its change has no record. */
  | { kind: "missing"; source: string; label: string }
  /** Something that should have been a record and is not (a line that is not JSON, a broken comment). */
  | { kind: "invalid"; source: string; message: string };

export type Extraction = { ok: true; items: Extracted[] } | { ok: false; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fromComment(parsed: ParsedAuditComment, source: string): Extracted {
  return parsed.ok ? { kind: "record", source, record: parsed.record, claimed: null } : { kind: "invalid", source, message: parsed.message };
}

/** What one parsed JSON value holds: a record, an export row, a comment object (`{ body }`), or a list of them. */
function fromJson(value: unknown, source: string, out: Extracted[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => fromJson(item, `${source} item ${i + 1}`, out));
    return;
  }
  if (!isObject(value)) {
    out.push({ kind: "invalid", source, message: "not an audit record (not a JSON object)" });
    return;
  }
  if (isExportRow(value)) {
    const label = rowLabel(value) ?? source;
    if (value.record === null || value.record === undefined) out.push({ kind: "missing", source, label });
    else out.push({ kind: "record", source, record: value.record, claimed: rowLabel(value) });
    return;
  }
  // A comment as GitHub's API returns it (`gh api .../comments`): its body holds the record.
  if (!Object.hasOwn(value, "version") && typeof value.body === "string") {
    const found = parseAuditComments(value.body);
    if (found.length === 0) out.push({ kind: "invalid", source, message: "a comment without an audit record" });
    found.forEach((parsed) => out.push(fromComment(parsed, source)));
    return;
  }
  out.push({ kind: "record", source, record: value, claimed: null });
}

/**
 * The audit records in `text`, in order. `text` may be (a) one JSON record (or a JSON array of
 * records, export rows or comment objects); (b) one or more comment bodies, each holding the
 * audit marker and its ```json block; (c) JSONL: one record or export row per line, blank
 * lines ignored. A line that is not JSON is an `invalid` item; an error value only when
 * nothing in `text` could be read as any of these.
 */
export function extractRecords(text: string): Extraction {
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") return { ok: false, message: "empty input" };

  const comments = parseAuditComments(body);
  if (comments.length > 0) return { ok: true, items: comments.map((c, i) => fromComment(c, `comment ${i + 1}`)) };

  const items: Extracted[] = [];
  try {
    fromJson(JSON.parse(body), "record", items);
    return { ok: true, items };
  } catch {
    // not one JSON document: JSONL, or nothing
  }
  let parsedLines = 0;
  body.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const source = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      items.push({ kind: "invalid", source, message: `not JSON (${(error as Error).message})` });
      return;
    }
    parsedLines += 1;
    fromJson(value, source, items);
  });
  if (parsedLines === 0) return { ok: false, message: "neither a JSON record, a JSONL export nor an audit comment" };
  return { ok: true, items };
}

/** The outcome of checking one extracted item, as `audit verify` prints it. */
export interface CheckedItem {
  status: "ok" | "FAIL" | "MISSING";
  /** `owner/name#42`, `owner/name@abc1234`, or where the item was when it names nothing. */
  label: string;
  /** The record's digest, when it verifies. */
  digest: string | null;
  problems: string[];
}

/**
 * Checks one item: a record's digest and, with `publicKey`, its signature; that an export row's
 * record is the record of the row's change; a missing record is a failure of its own.
 */
export function checkExtracted(item: Extracted, publicKey?: string | Buffer | KeyObject): CheckedItem {
  if (item.kind === "missing") return { status: "MISSING", label: item.label, digest: null, problems: ["no audit record"] };
  if (item.kind === "invalid") return { status: "FAIL", label: item.source, digest: null, problems: [item.message] };
  const own = recordLabel(item.record);
  const label = own ?? item.claimed ?? item.source;
  const v = verifyRecord(item.record, publicKey);
  const problems = [...v.problems];
  // A valid record moved onto another change's row proves nothing about that change.
  if (item.claimed !== null && own !== null && own !== item.claimed) problems.push(`the row is for ${item.claimed}, its record for ${own}`);
  if (problems.length > 0) return { status: "FAIL", label, digest: null, problems };
  return { status: "ok", label, digest: (item.record as { digest: string }).digest, problems };
}
