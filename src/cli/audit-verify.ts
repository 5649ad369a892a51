// `compliance-gate audit verify [--public-key FILE] FILE|-` (SPEC §6.5): checks the digest, and
// with the app's public key the signature, of every audit record in a file, comment or export.
import type { KeyObject } from "node:crypto";
import { checkExtracted, extractRecords } from "../audit/extract.js";
import { MAX_EXPORT_BYTES, readInput, readPublicKey } from "./input.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Io } from "./command.js";

export interface AuditVerifyArgs {
  /** The file of records, or "-" for standard input. */
  file: string;
  /** A PEM file holding the app's Ed25519 public key. */
  publicKey?: string;
}

/** Checks `values`/`positionals` of `audit verify`; a usage mistake throws UsageError. */
export function parseAuditVerifyArgs(values: Record<string, unknown>, positionals: string[]): AuditVerifyArgs {
  if (positionals.length !== 1) throw new UsageError("verify needs exactly one FILE (or - for stdin)");
  const file = positionals[0] as string;
  const publicKey = values["public-key"];
  if (publicKey === undefined) return { file };
  if (typeof publicKey !== "string" || publicKey === "") throw new UsageError("--public-key needs a FILE");
  if (publicKey === "-") throw new UsageError("--public-key must be a file: standard input is for the records");
  return { file, publicKey };
}

const DIGEST_SHOWN = "sha256:".length + 12;

/** Verifies every record in `args.file` and prints a line each; 0 all ok, 1 any failed or missing, 2 unusable input. */
export async function runAuditVerify(args: AuditVerifyArgs, io: Io): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`compliance-gate audit verify: ${message}\n`);
    return EXIT_USAGE;
  };
  let key: KeyObject | undefined;
  if (args.publicKey !== undefined) {
    const loaded = await readPublicKey(args.publicKey, io.stdin);
    if (!loaded.ok) return fail(loaded.message);
    key = loaded.key;
  }
  const input = await readInput(args.file, io.stdin, MAX_EXPORT_BYTES);
  if (!input.ok) return fail(input.message);
  const extraction = extractRecords(input.text);
  if (!extraction.ok) return fail(`${input.file}: no audit records found: ${extraction.message}`);
  if (extraction.items.length === 0) return fail(`${input.file}: no audit records found`);

  let ok = 0;
  for (const item of extraction.items) {
    const checked = checkExtracted(item, key);
    if (checked.status === "ok") {
      ok += 1;
      io.stdout.write(`ok ${checked.label} ${(checked.digest ?? "").slice(0, DIGEST_SHOWN)}\n`);
    } else {
      io.stdout.write(`${checked.status} ${checked.label}: ${checked.problems.join("; ")}\n`);
    }
  }
  const total = extraction.items.length;
  const failed = total - ok;
  const checkedWhat = key ? "digests and signatures checked" : "digests checked; pass --public-key to check signatures";
  io.stderr.write(`${total === 1 ? "1 record" : `${total} records`}: ${ok} ok, ${failed} failed (${checkedWhat})\n`);
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}
