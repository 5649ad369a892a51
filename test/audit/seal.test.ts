// Sealing and verifying records (SPEC §4.2): a digest computed independently, tampering, other keys, bad input.
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { loadPublicKey, loadSigningKey, sealRecord, sealedBytes, verifyRecord } from "../../src/audit/seal.js";
import type { AuditRecord, MergeRecord } from "../../src/audit/record.js";
import { canonicalJson } from "../../src/audit/canonical.js";
import { KNOWN_CANONICAL, knownRecord } from "./known-record.js";
import { freshKeys } from "./keys.js";

/** SHA-256 of KNOWN_CANONICAL, computed once (with node:crypto and with Python's hashlib) and written here so a change in either shows. */
const KNOWN_DIGEST = "8d03e59e5dca46ba9fa40662eb4710520d6520fc1c4b2a7ffd80675d8fb6fc0a";

/** The digest of knownRecord() as records were written before they said why (no `description`, no `linked_issues`). */
const BEFORE_WHY_DIGEST = "ed97282b20ee6b66065bc881e4eac236d9f811d3e40a3e58eb2454d8c297180b";

/**
 * The digest of knownRecord() as records were written before they listed unlinked identities
 * (no `unlinked`, no `unlinked_blocks`): the test vector of that shape, kept so old records stay verifiable.
 */
const LEGACY_DIGEST = "acc71c3423f793bc8c5f81d04f52098bc260b71ade29e8d5be00a4042760b79a";

const pem = () => {
  const keys = freshKeys();
  return { privateKey: keys.privatePem, publicKey: keys.publicPem };
};
const APP = pem();
const OTHER = pem();

function sealed(key?: string): AuditRecord {
  const result = sealRecord(knownRecord(), key);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

/** A JSON copy, as an auditor would have it. */
const copy = (r: unknown): MergeRecord => JSON.parse(JSON.stringify(r)) as MergeRecord;

describe("the digest", () => {
  test("is the SHA-256 of the hand-written canonical JSON", () => {
    expect(createHash("sha256").update(KNOWN_CANONICAL, "utf8").digest("hex")).toBe(KNOWN_DIGEST);
    expect(canonicalJson(knownRecord())).toBe(KNOWN_CANONICAL);
    expect(sealedBytes(knownRecord()).toString("utf8")).toBe(KNOWN_CANONICAL);
    expect(sealed().digest).toBe(`sha256:${KNOWN_DIGEST}`);
  });

  test("a record written before records said why (description, linked issues) still verifies", () => {
    const { description: _description, linked_issues: _issues, ...older } = knownRecord();
    expect(verifyRecord({ ...older, digest: `sha256:${BEFORE_WHY_DIGEST}` })).toEqual({ ok: true, digest_ok: true, signature_ok: null, problems: [] });
  });

  test("a record written before records listed unlinked identities still verifies", () => {
    const { unlinked: _unlinked, description: _description, linked_issues: _issues, ...legacy } = knownRecord();
    const environments = legacy.environments.map(({ unlinked_blocks: _blocks, ...env }) => env);
    expect(verifyRecord({ ...legacy, environments, digest: `sha256:${LEGACY_DIGEST}` })).toEqual({ ok: true, digest_ok: true, signature_ok: null, problems: [] });
  });

  test("covers neither digest nor signature: resealing a sealed record gives the same digest", () => {
    const once = sealed(APP.privateKey);
    const again = sealRecord(once, APP.privateKey);
    expect(again.ok && again.record.digest).toBe(once.digest);
    expect(again.ok && again.record.signature).toBe(once.signature);
  });

  test("the sealed record keeps the field order and adds digest, then signature, at the end", () => {
    const keys = Object.keys(sealed(APP.privateKey));
    expect(keys.slice(0, 3)).toEqual(["version", "kind", "repository"]);
    expect(keys.slice(-2)).toEqual(["digest", "signature"]);
    expect(Object.keys(sealed())).not.toContain("signature");
  });

  test("a sealed record verifies without a key: digest_ok, signature unchecked", () => {
    expect(verifyRecord(copy(sealed(APP.privateKey)))).toEqual({ ok: true, digest_ok: true, signature_ok: null, problems: [] });
  });

  test("the key order of the JSON it arrives in does not matter", () => {
    const record = copy(sealed());
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    expect(verifyRecord(reversed).ok).toBe(true);
  });

  test.each<[string, (r: MergeRecord) => void]>([
    ["another approver", (r) => void ((r.environments[0]?.rules[0]?.approved_by[1] as { login: string }).login = "mallory")],
    ["another state", (r) => void ((r.environments[0] as { state: string }).state = "pending")],
    ["another title", (r) => void (r.title = r.title + " ")],
    ["an added field", (r) => void ((r as unknown as Record<string, unknown>).note = "x")],
    ["a removed approval", (r) => void r.environments[0]?.rules[0]?.approved_by.pop()],
    ["a number become a string", (r) => void ((r as unknown as Record<string, unknown>).pull_request = "42")],
  ])("a record with %s fails: digest mismatch", (_name, tamper) => {
    const record = copy(sealed());
    tamper(record);
    expect(verifyRecord(record)).toEqual({ ok: false, digest_ok: false, signature_ok: null, problems: ["digest mismatch"] });
  });
});

describe("the signature", () => {
  test("a record signed with the app's key verifies with its public key", () => {
    const record = sealed(APP.privateKey);
    expect(record.signature).toMatch(/^ed25519:[A-Za-z0-9+/]{86}==$/);
    expect(verifyRecord(copy(record), APP.publicKey)).toEqual({ ok: true, digest_ok: true, signature_ok: true, problems: [] });
  });

  test("is the Ed25519 signature of the canonical bytes", () => {
    const record = sealed(APP.privateKey);
    const expected = sign(null, Buffer.from(KNOWN_CANONICAL, "utf8"), APP.privateKey).toString("base64");
    expect(record.signature).toBe(`ed25519:${expected}`);
  });

  test("a record signed by another key fails", () => {
    expect(verifyRecord(copy(sealed(OTHER.privateKey)), APP.publicKey)).toEqual({
      ok: false,
      digest_ok: true,
      signature_ok: false,
      problems: ["signature does not verify"],
    });
  });

  test("a tampered record whose digest was recomputed still fails the signature", () => {
    const record = copy(sealed(APP.privateKey));
    record.merged_by = "mallory";
    const { signature } = record;
    const resealed = sealRecord(record);
    expect(resealed.ok).toBe(true);
    if (!resealed.ok) return;
    const forged = { ...resealed.record, signature };
    expect(verifyRecord(forged)).toMatchObject({ ok: true, digest_ok: true });
    expect(verifyRecord(forged, APP.publicKey)).toMatchObject({ ok: false, digest_ok: true, signature_ok: false, problems: ["signature does not verify"] });
  });

  test("a tampered signed record fails both", () => {
    const record = copy(sealed(APP.privateKey));
    record.author = "mallory";
    expect(verifyRecord(record, APP.publicKey).problems).toEqual(["digest mismatch", "signature does not verify"]);
  });

  test("an unsigned record, given a public key, fails: not signed", () => {
    expect(verifyRecord(copy(sealed()), APP.publicKey)).toEqual({ ok: false, digest_ok: true, signature_ok: false, problems: ["not signed"] });
  });

  test("a malformed signature fails as such", () => {
    const record = { ...copy(sealed(APP.privateKey)), signature: "ed25519:abc" };
    expect(verifyRecord(record, APP.publicKey).problems).toEqual(["malformed signature"]);
  });

  test("keys may be KeyObjects; a private key verifies as its public half", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const result = sealRecord(knownRecord(), privateKey);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(verifyRecord(result.record, publicKey).ok).toBe(true);
    expect(verifyRecord(result.record, privateKey).ok).toBe(true);
    expect(sealRecord(knownRecord(), publicKey)).toEqual({ ok: false, message: "signing key: a public key cannot sign" });
  });
});

describe("keys", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });

  test("an Ed25519 PEM loads; one with its newlines written as \\n does too (an environment variable)", () => {
    expect(loadSigningKey(APP.privateKey).ok).toBe(true);
    expect(loadSigningKey(APP.privateKey.trim().replace(/\n/g, "\\n")).ok).toBe(true);
    expect(loadPublicKey(APP.publicKey).ok).toBe(true);
  });

  test("an RSA key is refused with a clear message", () => {
    const signing = loadSigningKey(rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    expect(signing).toEqual({ ok: false, message: expect.stringMatching(/^not an Ed25519 key \(it is rsa\)/) as unknown });
    const result = sealRecord(knownRecord(), rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^signing key: not an Ed25519 key/);
    expect(loadPublicKey(rsa.publicKey.export({ type: "spki", format: "pem" }) as string)).toEqual({ ok: false, message: "not an Ed25519 key (it is rsa)" });
  });

  test("unreadable PEM is an error value, never a throw", () => {
    expect(loadSigningKey("not a key")).toMatchObject({ ok: false, message: expect.stringMatching(/^not a readable PEM private key/) as unknown });
    expect(loadSigningKey(APP.publicKey)).toMatchObject({ ok: false });
    expect(loadPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")).toMatchObject({ ok: false });
    expect(sealRecord(knownRecord(), "garbage")).toMatchObject({ ok: false, message: expect.stringMatching(/^signing key: /) as unknown });
  });

  test("verifying with an unusable public key fails the signature and says why", () => {
    const v = verifyRecord(copy(sealed(APP.privateKey)), "garbage");
    expect(v).toMatchObject({ ok: false, digest_ok: true, signature_ok: false });
    expect(v.problems[0]).toMatch(/^public key: not a readable PEM public key/);
  });
});

describe("verifyRecord never throws", () => {
  test.each<[string, unknown, string[]]>([
    ["null", null, ["not an audit record (not a JSON object)"]],
    ["a string", "sha256:00", ["not an audit record (not a JSON object)"]],
    ["an array", [], ["not an audit record (not a JSON object)"]],
    ["an object without version or digest", {}, ["not an audit record (no version)", "no digest"]],
    ["a future version", { version: 2, digest: `sha256:${"0".repeat(64)}` }, ["unsupported record version 2", "digest mismatch"]],
    ["a malformed digest", { version: 1, digest: "md5:abc" }, ["malformed digest"]],
    ["an upper-case digest", { version: 1, digest: `sha256:${"A".repeat(64)}` }, ["malformed digest"]],
    ["a number JSON turned into Infinity", { version: 1, n: JSON.parse("1e400") as number, digest: `sha256:${"0".repeat(64)}` }, ["not canonicalizable: $.n: Infinity is not a JSON number"]],
  ])("%s", (_name, value, problems) => {
    expect(verifyRecord(value)).toEqual({ ok: false, digest_ok: false, signature_ok: null, problems });
  });

  test("with a key, on junk: signature_ok is false", () => {
    expect(verifyRecord(42, APP.publicKey)).toMatchObject({ ok: false, signature_ok: false });
  });
});
