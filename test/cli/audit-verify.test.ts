// `compliance-gate audit verify` (SPEC §6.5): a line per record, exit 1 on any failure, 2 on unusable input.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { renderAuditComment } from "../../src/render/audit-comment.js";
import { buildExportRow, type ExportedChange } from "../../src/audit/export-row.js";
import { sealRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecordBody } from "../../src/audit/record.js";
import { knownRecord, MERGE_SHA } from "../audit/known-record.js";
import { fixedKeys, freshKeys } from "../audit/keys.js";
import { run } from "./run.js";

const APP = fixedKeys(3);
const OTHER = freshKeys();
let dir: string;
let appPub: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "audit-verify-"));
  appPub = file("app.pub", APP.publicPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Sealed, and signed with `key` (default: the app's), or unsigned for null. */
function sealed(overrides: Partial<MergeRecordBody> = {}, key: string | null = APP.privatePem): AuditRecord {
  const result = sealRecord({ ...knownRecord(), ...overrides }, key ?? undefined);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

const DIGEST = (r: AuditRecord) => r.digest.slice(0, "sha256:".length + 12);

function change(pr: number): ExportedChange {
  return { repository: "acme/gitops", kind: "merge", pull_request: pr, title: "t", merged_at: "2026-11-27T10:00:00Z", merged_by: "dave", merge_commit_sha: MERGE_SHA, url: null };
}

describe("compliance-gate audit (usage)", () => {
  test("the command list names audit verify", async () => {
    const r = await run(["--help"]);
    expect(r.stdout).toContain("audit verify [--public-key FILE] FILE|-");
  });

  test.each([["audit", "--help"], ["audit", "verify", "--help"], ["audit", "help"]])("%s %s explains it with examples", async (...argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: compliance-gate audit verify [--public-key FILE] FILE|-");
    expect(r.stdout).toContain("Examples:");
  });

  test("audit alone prints its usage on stderr and exits 2", async () => {
    const r = await run(["audit"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: compliance-gate audit");
  });

  test("an unknown subcommand exits 2", async () => {
    const r = await run(["audit", "frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("compliance-gate audit: unknown subcommand 'frobnicate'");
  });

  test.each<[string[], string]>([
    [["audit", "verify"], "compliance-gate audit verify: verify needs exactly one FILE (or - for stdin)"],
    [["audit", "verify", "a", "b"], "verify needs exactly one FILE"],
    [["audit", "verify", "--frobnicate", "a"], "Unknown option '--frobnicate'"],
    [["audit", "verify", "--public-key"], "argument missing"],
    [["audit", "verify", "--public-key", "-", "-"], "--public-key must be a file"],
  ])("%j is a usage error: exit 2", async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("Usage: compliance-gate audit verify");
  });
});

describe("compliance-gate audit verify", () => {
  test("a record that verifies: ok, its label and digest; exit 0", async () => {
    const record = sealed();
    const r = await run(["audit", "verify", file("one.json", JSON.stringify(record, null, 2))]);
    expect(r.stdout).toBe(`ok acme/gitops#42 ${DIGEST(record)}\n`);
    expect(r.stderr).toBe("1 record: 1 ok, 0 failed (digests checked; pass --public-key to check signatures)\n");
    expect(r.code).toBe(0);
  });

  test("a tampered record: FAIL digest mismatch; exit 1", async () => {
    const record = sealed();
    (record.environments[0]?.rules[0]?.approved_by[0] as { login: string }).login = "mallory";
    const r = await run(["audit", "verify", "-"], JSON.stringify(record));
    expect(r.stdout).toBe("FAIL acme/gitops#42: digest mismatch\n");
    expect(r.code).toBe(1);
  });

  test("a record with another state: FAIL", async () => {
    const record = sealed();
    (record.environments[0] as { state: string }).state = "pending";
    const r = await run(["audit", "verify", "-"], JSON.stringify(record));
    expect(r.stdout).toBe("FAIL acme/gitops#42: digest mismatch\n");
    expect(r.code).toBe(1);
  });

  test("signed by the app's key, with its public key: ok; exit 0", async () => {
    const record = sealed();
    const r = await run(["audit", "verify", "--public-key", appPub, "-"], JSON.stringify(record));
    expect(r.stdout).toBe(`ok acme/gitops#42 ${DIGEST(record)}\n`);
    expect(r.stderr).toBe("1 record: 1 ok, 0 failed (digests and signatures checked)\n");
    expect(r.code).toBe(0);
  });

  test("signed by another key: FAIL signature does not verify; exit 1", async () => {
    const r = await run(["audit", "verify", "--public-key", appPub, "-"], JSON.stringify(sealed({}, OTHER.privatePem)));
    expect(r.stdout).toBe("FAIL acme/gitops#42: signature does not verify\n");
    expect(r.code).toBe(1);
  });

  test("unsigned, given a public key: FAIL not signed; exit 1", async () => {
    const r = await run(["audit", "verify", "--public-key", appPub, "-"], JSON.stringify(sealed({}, null)));
    expect(r.stdout).toBe("FAIL acme/gitops#42: not signed\n");
    expect(r.code).toBe(1);
  });

  test("a comment body round-trips: render → parse → verify", async () => {
    const record = sealed();
    const body = renderAuditComment(record);
    const r = await run(["audit", "verify", "--public-key", appPub, "-"], body);
    expect(r.stdout).toBe(`ok acme/gitops#42 ${DIGEST(record)}\n`);
    expect(r.code).toBe(0);
  });

  test("a comment body with CRLF line endings verifies", async () => {
    const record = sealed();
    const r = await run(["audit", "verify", "--public-key", appPub, file("comment.md", renderAuditComment(record).replace(/\n/g, "\r\n"))]);
    expect(r.stdout).toBe(`ok acme/gitops#42 ${DIGEST(record)}\n`);
    expect(r.code).toBe(0);
  });

  test("a JSONL export of 3 rows, one without a record: MISSING counts as a failure; exit 1", async () => {
    const r42 = sealed();
    const r44 = sealed({ pull_request: 44 });
    const jsonl = [buildExportRow(change(42), r42), buildExportRow(change(43), null), buildExportRow(change(44), r44)].map((row) => JSON.stringify(row)).join("\n");
    const r = await run(["audit", "verify", "--public-key", appPub, file("export.jsonl", `${jsonl}\n`)]);
    expect(r.stdout).toBe(`ok acme/gitops#42 ${DIGEST(r42)}\nMISSING acme/gitops#43: no audit record\nok acme/gitops#44 ${DIGEST(r44)}\n`);
    expect(r.stderr).toBe("3 records: 2 ok, 1 failed (digests and signatures checked)\n");
    expect(r.code).toBe(1);
  });

  test("a JSONL export whose lines all verify: exit 0", async () => {
    const rows = [sealed(), sealed({ pull_request: 43 })];
    const r = await run(["audit", "verify", "-"], rows.map((x) => JSON.stringify(x)).join("\r\n"));
    expect(r.stdout.split("\n")).toEqual([`ok acme/gitops#42 ${DIGEST(rows[0] as AuditRecord)}`, `ok acme/gitops#43 ${DIGEST(rows[1] as AuditRecord)}`, ""]);
    expect(r.code).toBe(0);
  });

  test("a damaged line in an export fails, the others are still checked", async () => {
    const record = sealed();
    const r = await run(["audit", "verify", "-"], `${JSON.stringify(record)}\n{"cut off`);
    expect(r.stdout).toMatch(new RegExp(`^ok acme/gitops#42 ${DIGEST(record)}\nFAIL line 2: not JSON \\(.+\\)\n$`));
    expect(r.code).toBe(1);
  });
});

describe("compliance-gate audit verify: unusable input exits 2", () => {
  test.each<[string, () => string[], string, string]>([
    ["a missing file", () => ["audit", "verify", join(dir, "nope.json")], "", "nope.json: cannot read: no such file"],
    ["empty input", () => ["audit", "verify", "-"], "", "<stdin>: no audit records found: empty input"],
    ["text without records", () => ["audit", "verify", "-"], "LGTM, ship it\n", "<stdin>: no audit records found"],
    ["a missing public key file", () => ["audit", "verify", "--public-key", join(dir, "nope.pub"), "-"], "{}", "--public-key"],
    ["a public key that is not PEM", () => ["audit", "verify", "--public-key", file("bad.pub", "hello"), "-"], "{}", "not a readable PEM public key"],
    [
      "an RSA public key",
      () => ["audit", "verify", "--public-key", file("rsa.pub", generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }) as string), "-"],
      "{}",
      "not an Ed25519 key (it is rsa)",
    ],
  ])("%s", async (_name, argv, stdin, message) => {
    const r = await run(argv(), stdin);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/^compliance-gate audit verify: /);
  });
});
