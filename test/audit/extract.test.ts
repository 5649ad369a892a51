// Finding records in what an auditor has (SPEC §6.5): a record, comment bodies, JSONL exports, API comment objects.
import { checkExtracted, extractRecords, type Extracted } from "../../src/audit/extract.js";
import { buildExportRow, isExportRow, type ExportedChange } from "../../src/audit/export-row.js";
import { renderAuditComment } from "../../src/render/audit-comment.js";
import { sealRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecordBody } from "../../src/audit/record.js";
import { knownRecord, MERGE_SHA } from "./known-record.js";
import { fixedKeys } from "./keys.js";

const KEYS = fixedKeys(2);

function sealed(overrides: Partial<MergeRecordBody> = {}, signed = true): AuditRecord {
  const result = sealRecord({ ...knownRecord(), ...overrides }, signed ? KEYS.privateKey : undefined);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

function change(pr: number): ExportedChange {
  return {
    repository: "acme/gitops",
    kind: "merge",
    pull_request: pr,
    title: "Bump api",
    merged_at: "2026-11-27T10:00:00Z",
    merged_by: "dave",
    merge_commit_sha: MERGE_SHA,
    url: `https://github.com/acme/gitops/pull/${pr}`,
  };
}

function items(text: string): Extracted[] {
  const result = extractRecords(text);
  if (!result.ok) throw new Error(result.message);
  return result.items;
}

const kinds = (text: string) => items(text).map((i) => [i.kind, i.source]);

describe("extractRecords", () => {
  test("one JSON record, pretty or compact", () => {
    expect(kinds(JSON.stringify(sealed(), null, 2))).toEqual([["record", "record"]]);
    expect(kinds(`\uFEFF${JSON.stringify(sealed())}\n`)).toEqual([["record", "record"]]);
  });

  test("a comment body, and several in a row", () => {
    const body = renderAuditComment(sealed());
    expect(kinds(body)).toEqual([["record", "comment 1"]]);
    expect(kinds(`${body}\nLGTM\n${renderAuditComment(sealed({ pull_request: 43 }))}`)).toEqual([
      ["record", "comment 1"],
      ["record", "comment 2"],
    ]);
  });

  test("JSONL of records and export rows, blank lines ignored, CRLF too", () => {
    const lines = [
      JSON.stringify(sealed()),
      "",
      JSON.stringify(buildExportRow(change(43), sealed({ pull_request: 43 }))),
      JSON.stringify(buildExportRow(change(44), null)),
    ];
    const expected = [
      ["record", "line 1"],
      ["record", "line 3"],
      ["missing", "line 4"],
    ];
    expect(kinds(lines.join("\n"))).toEqual(expected);
    expect(kinds(lines.join("\r\n"))).toEqual(expected);
  });

  test("a JSON array, and comments as GitHub's API returns them", () => {
    const comments = [{ id: 1, body: "LGTM" }, { id: 2, body: renderAuditComment(sealed()) }];
    expect(kinds(JSON.stringify(comments))).toEqual([
      ["invalid", "record item 1"],
      ["record", "record item 2"],
    ]);
  });

  test("a line that is not JSON is an invalid item, not the end of the export", () => {
    expect(kinds(`${JSON.stringify(sealed())}\n{"truncated":\n`)).toEqual([
      ["record", "line 1"],
      ["invalid", "line 2"],
    ]);
  });

  test.each([
    ["empty input", "  \n", "empty input"],
    ["plain text", "hello\nworld\n", "neither a JSON record, a JSONL export nor an audit comment"],
  ])("%s is an error", (_name, text, message) => {
    expect(extractRecords(text)).toEqual({ ok: false, message });
  });
});

describe("export rows", () => {
  test("buildExportRow verifies the record, or marks it missing", () => {
    expect(buildExportRow(change(42), sealed(), KEYS.publicKey)).toMatchObject({ pull_request: 42, digest_ok: true, signature_ok: true, missing: false, problems: [] });
    expect(buildExportRow(change(42), sealed({}, false), KEYS.publicKey)).toMatchObject({ digest_ok: true, signature_ok: false, problems: ["not signed"] });
    expect(buildExportRow(change(43), null)).toEqual({
      ...change(43),
      record: null,
      digest_ok: null,
      signature_ok: null,
      missing: true,
      problems: ["no audit record"],
    });
  });

  test("a row is told from a record by its `record` member", () => {
    expect(isExportRow({ record: null, missing: true })).toBe(true);
    expect(isExportRow({ ...sealed() })).toBe(false);
  });
});

describe("checkExtracted", () => {
  const check = (text: string, key = KEYS.publicKey) => items(text).map((i) => checkExtracted(i, key));

  test("ok with the digest; FAIL with what failed; MISSING for a row without a record", () => {
    const tampered = { ...sealed({ pull_request: 43 }), merged_by: "mallory" };
    const lines = [sealed(), tampered, buildExportRow(change(44), null), sealed({ pull_request: 45 }, false)].map((x) => JSON.stringify(x));
    expect(check(lines.join("\n"))).toEqual([
      { status: "ok", label: "acme/gitops#42", digest: sealed().digest, problems: [] },
      { status: "FAIL", label: "acme/gitops#43", digest: null, problems: ["digest mismatch", "signature does not verify"] },
      { status: "MISSING", label: "acme/gitops#44", digest: null, problems: ["no audit record"] },
      { status: "FAIL", label: "acme/gitops#45", digest: null, problems: ["not signed"] },
    ]);
  });

  test("a valid record on another change's row fails: it proves nothing about that change", () => {
    const row = { ...buildExportRow(change(43), null), record: sealed(), missing: false };
    expect(check(JSON.stringify(row))).toEqual([
      { status: "FAIL", label: "acme/gitops#42", digest: null, problems: ["the row is for acme/gitops#43, its record for acme/gitops#42"] },
    ]);
  });

  test("something unnamed is labelled by where it was", () => {
    expect(items('{"version":1}\n[1]').map((i) => checkExtracted(i))).toEqual([
      { status: "FAIL", label: "line 1", digest: null, problems: ["no digest"] },
      { status: "FAIL", label: "line 2 item 1", digest: null, problems: ["not an audit record (not a JSON object)"] },
    ]);
  });
});
