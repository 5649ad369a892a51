// The audit comment (SPEC §4.1): reading its record back, as render/audit-comment.ts writes it.
import type { KeyObject } from "node:crypto";
import { AUDIT_MARKER, parseAuditComment, parseAuditComments } from "../../src/audit/comment.js";
import { sealRecord, verifyRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecordBody, PushRecordBody } from "../../src/audit/record.js";
import { renderAuditComment } from "../../src/render/audit-comment.js";
import { knownRecord } from "./known-record.js";
import { fixedKeys } from "./keys.js";

const { privateKey, publicKey } = fixedKeys(1);

function seal(record: MergeRecordBody | PushRecordBody, key: KeyObject | null = privateKey): AuditRecord {
  const result = sealRecord(record, key ?? undefined);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

describe("parseAuditComment", () => {
  const record = seal(knownRecord());
  const body = renderAuditComment(record);

  test("render → parse → verify round-trips", () => {
    const parsed = parseAuditComment(body);
    expect(parsed).toEqual({ ok: true, record: JSON.parse(JSON.stringify(record)) });
    expect(parsed?.ok && verifyRecord(parsed.record, publicKey)).toEqual({ ok: true, digest_ok: true, signature_ok: true, problems: [] });
  });

  test("a body with CRLF (or CR) line endings parses and verifies", () => {
    for (const crlf of [body.replace(/\n/g, "\r\n"), body.replace(/\n/g, "\r")]) {
      const parsed = parseAuditComment(crlf);
      expect(parsed?.ok && verifyRecord(parsed.record, publicKey).ok).toBe(true);
    }
  });

  test("the record compact on one line, a longer fence, indented lines: still found", () => {
    const compact = `text\n  ${AUDIT_MARKER}  \n<details>\n\n\`\`\`\` json\n${JSON.stringify(record)}\n\`\`\`\`\n</details>\n`;
    expect(parseAuditComment(compact)).toEqual({ ok: true, record: JSON.parse(JSON.stringify(record)) });
  });

  test("no marker: null (not an audit comment)", () => {
    expect(parseAuditComment("LGTM")).toBeNull();
    expect(parseAuditComment('```json\n{"version":1}\n```')).toBeNull();
    expect(parseAuditComment(`inline ${AUDIT_MARKER} is not a marker line`)).toBeNull();
  });

  test.each<[string, string, string]>([
    ["no json block", `${AUDIT_MARKER}\n<details></details>`, "no ```json block after the audit marker"],
    ["an unclosed block", `${AUDIT_MARKER}\n\`\`\`json\n{"a":1}\n`, "the audit record's ```json block is never closed"],
    ["invalid JSON", `${AUDIT_MARKER}\n\`\`\`json\n{"a":\n\`\`\``, "the audit record is not valid JSON: "],
    ["not an object", `${AUDIT_MARKER}\n\`\`\`json\n[1]\n\`\`\``, "the audit record is not a JSON object"],
    ["a version this app does not know", "<!-- compliance-gate:audit v2 -->\n```json\n{}\n```", "unsupported audit comment version 2"],
  ])("%s: an error value", (_name, text, message) => {
    const parsed = parseAuditComment(text);
    expect(parsed?.ok).toBe(false);
    expect(parsed && !parsed.ok && parsed.message).toContain(message);
  });

  test("several comment bodies one after another: every record, in order", () => {
    const second = seal({ ...knownRecord(), pull_request: 43 });
    const all = parseAuditComments(`${body}\n${renderAuditComment(second)}\nLGTM\n`);
    expect(all.map((p) => p.ok && p.record.pull_request)).toEqual([42, 43]);
  });
});
