// Sealing an audit record (SHA-256 digest and Ed25519 signature of its canonical JSON, SPEC §4.2)
// and verifying a sealed one. Node's crypto only; verification never throws.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalBytes, CanonicalJsonError } from "./canonical.js";
import type { AuditRecord, Seal, UnsealedRecord } from "./record.js";
import type { UnsealedVerdict } from "./verdict-record.js";
import type { RebaselineRecordBody } from "./rebaseline.js";

const DIGEST_PREFIX = "sha256:";
const SIGNATURE_PREFIX = "ed25519:";

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** An Ed25519 signature is 64 bytes: 86 base64 characters and `==`. */
const SIGNATURE = /^ed25519:[A-Za-z0-9+/]{86}==$/;

export type KeyResult = { ok: true; key: KeyObject } | { ok: false; message: string };

/** PEM from an environment variable often arrives with its newlines written as `\n`. */
function pemText(pem: string | Buffer): string {
  const text = typeof pem === "string" ? pem : pem.toString("utf8");
  return !text.includes("\n") && text.includes("\\n") ? text.replace(/\\n/g, "\n") : text;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads an Ed25519 private key in PEM (AUDIT_SIGNING_KEY); anything else is a message saying what is wrong. */
export function loadSigningKey(pem: string | Buffer): KeyResult {
  let key: KeyObject;
  try {
    key = createPrivateKey(pemText(pem));
  } catch (error) {
    return { ok: false, message: `not a readable PEM private key (${reason(error)})` };
  }
  if (key.asymmetricKeyType !== "ed25519") {
    return { ok: false, message: `not an Ed25519 key (it is ${key.asymmetricKeyType ?? "unknown"}); generate one with: openssl genpkey -algorithm ed25519` };
  }
  return { ok: true, key };
}

/** Reads an Ed25519 public key in PEM (a private key gives its public half); anything else is a message. */
export function loadPublicKey(pem: string | Buffer): KeyResult {
  let key: KeyObject;
  try {
    key = createPublicKey(pemText(pem));
  } catch (error) {
    return { ok: false, message: `not a readable PEM public key (${reason(error)})` };
  }
  if (key.asymmetricKeyType !== "ed25519") {
    return { ok: false, message: `not an Ed25519 key (it is ${key.asymmetricKeyType ?? "unknown"})` };
  }
  return { ok: true, key };
}

function withoutSeal(record: object): Record<string, unknown> {
  const { digest: _digest, signature: _signature, ...body } = record as Record<string, unknown>;
  return body;
}

/**
 * The bytes a record's digest and signature cover: the UTF-8 canonical JSON of the record
 * without `digest` and `signature`. Throws CanonicalJsonError when the record is not JSON.
 */
export function sealedBytes(record: object): Buffer {
  return canonicalBytes(withoutSeal(record));
}

/** `sha256:<hex>` of `bytes`. */
export function digestOf(bytes: Buffer): string {
  return DIGEST_PREFIX + createHash("sha256").update(bytes).digest("hex");
}

/** An enforcement gap's record (enforcement-gap.ts) as far as sealing goes: version 1 JSON. */
interface UnsealedGapShape {
  version: 1;
  repository: string;
  branches: string[];
}

export type SealResult<R = AuditRecord> = { ok: true; record: R } | { ok: false; message: string };

/**
 * Seals `record`: adds `digest` and, given an Ed25519 private key (PEM or KeyObject), `signature`.
 * A digest or signature already on the record is replaced. A key that is unreadable or not
 * Ed25519, or a record that is not JSON, is an error value.
 */
export function sealRecord<T extends UnsealedRecord | UnsealedVerdict | UnsealedGapShape | RebaselineRecordBody = UnsealedRecord>(record: T, signingKey?: string | Buffer | KeyObject): SealResult<T & Seal> {
  let key: KeyObject | undefined;
  if (signingKey !== undefined) {
    const loaded = typeof signingKey === "string" || Buffer.isBuffer(signingKey) ? loadSigningKey(signingKey) : checkPrivate(signingKey);
    if (!loaded.ok) return { ok: false, message: `signing key: ${loaded.message}` };
    key = loaded.key;
  }
  const body = withoutSeal(record);
  let bytes: Buffer;
  try {
    bytes = canonicalBytes(body);
  } catch (error) {
    if (error instanceof CanonicalJsonError) return { ok: false, message: `the record is not JSON: ${error.message}` };
    throw error;
  }
  const digest = digestOf(bytes);
  const sealed = { ...body, digest } as T & Seal;
  if (key) sealed.signature = SIGNATURE_PREFIX + sign(null, bytes, key).toString("base64");
  return { ok: true, record: sealed };
}

function checkPrivate(key: KeyObject): KeyResult {
  if (key.type !== "private") return { ok: false, message: `a ${key.type} key cannot sign` };
  if (key.asymmetricKeyType !== "ed25519") return { ok: false, message: `not an Ed25519 key (it is ${key.asymmetricKeyType ?? "unknown"})` };
  return { ok: true, key };
}

function checkPublic(key: KeyObject): KeyResult {
  if (key.type === "secret") return { ok: false, message: "a secret key cannot verify a signature" };
  const pub = key.type === "private" ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== "ed25519") return { ok: false, message: `not an Ed25519 key (it is ${pub.asymmetricKeyType ?? "unknown"})` };
  return { ok: true, key: pub };
}

/** What verifying a record found. */
export interface Verification {
  /** Everything checked holds: the digest, the signature when a key was given, the record's version. */
  ok: boolean;
  /** The record's digest is the SHA-256 of its canonical JSON. */
  digest_ok: boolean;
  /** Whether the signature verifies with the public key; null when no public key was given. */
  signature_ok: boolean | null;
  /** What failed, in words: `digest mismatch`, `signature does not verify`, `not signed`, … */
  problems: string[];
}

/**
 * Verifies `record` (anything: typically parsed JSON): its digest, and its signature when a
 * public key (PEM or KeyObject) is given — a record without a signature then fails as
 * "not signed". Never throws; a bad key or a record that is not one is a problem in the result.
 */
export function verifyRecord(record: unknown, publicKey?: string | Buffer | KeyObject): Verification {
  try {
    return verifyUnsafe(record, publicKey);
  } catch (error) {
    return { ok: false, digest_ok: false, signature_ok: publicKey === undefined ? null : false, problems: [`cannot verify: ${reason(error)}`] };
  }
}

function verifyUnsafe(record: unknown, publicKey: string | Buffer | KeyObject | undefined): Verification {
  const problems: string[] = [];
  let key: KeyObject | undefined;
  if (publicKey !== undefined) {
    const loaded = typeof publicKey === "string" || Buffer.isBuffer(publicKey) ? loadPublicKey(publicKey) : checkPublic(publicKey);
    if (loaded.ok) key = loaded.key;
    else problems.push(`public key: ${loaded.message}`);
  }
  const signatureUnchecked = publicKey === undefined ? null : false;
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return { ok: false, digest_ok: false, signature_ok: signatureUnchecked, problems: [...problems, "not an audit record (not a JSON object)"] };
  }
  const r = record as Record<string, unknown>;
  if (r.version !== 1) problems.push(r.version === undefined ? "not an audit record (no version)" : `unsupported record version ${JSON.stringify(r.version)}`);

  let bytes: Buffer | undefined;
  try {
    bytes = sealedBytes(r);
  } catch (error) {
    if (!(error instanceof CanonicalJsonError)) throw error;
    problems.push(`not canonicalizable: ${error.message}`);
  }

  let digestOk = false;
  if (r.digest === undefined) problems.push("no digest");
  else if (typeof r.digest !== "string" || !DIGEST.test(r.digest)) problems.push("malformed digest");
  else if (bytes) {
    digestOk = digestOf(bytes) === r.digest;
    if (!digestOk) problems.push("digest mismatch");
  }

  let signatureOk: boolean | null = null;
  if (publicKey !== undefined) {
    signatureOk = false;
    if (r.signature === undefined || r.signature === null) problems.push("not signed");
    else if (typeof r.signature !== "string" || !SIGNATURE.test(r.signature)) problems.push("malformed signature");
    else if (key && bytes) {
      signatureOk = verify(null, bytes, key, Buffer.from(r.signature.slice(SIGNATURE_PREFIX.length), "base64"));
      if (!signatureOk) problems.push("signature does not verify");
    }
  }
  return { ok: problems.length === 0, digest_ok: digestOk, signature_ok: signatureOk, problems };
}
