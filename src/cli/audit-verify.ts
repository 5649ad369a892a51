// `compliance-gate audit verify [--public-key FILE] FILE|-` (SPEC §6.5): checks the digest, and
// with the app's public key the signature, of every audit record in a file, comment or export.
import type { KeyObject } from "node:crypto";
import { checkExtracted, extractRecords } from "../audit/extract.js";
import { MAX_EXPORT_BYTES, publicKeyFlag, readInput, readPublicKey } from "./input.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

// Also what `compliance-gate audit --help` prints: it introduces both subcommands, verify in full.
const HELP = `Usage: compliance-gate audit verify [--public-key FILE] FILE|-
       compliance-gate audit export --repo OWNER/NAME [options]
       compliance-gate audit trace --repo OWNER/NAME --env ENV [options]

Works with the audit records the app writes when a change reaches an environment
(a comment on each merged pull request, ending with the record as JSON; for a
direct push, a compliance/audit check run on the pushed commit) and when it
answers a deployment or checks a revision an operator applied (a compliance/audit
check run on that commit).

compliance-gate audit trace --repo OWNER/NAME --env ENV --app-login LOGIN [--sha SHA]
  Prints the approval chain of an environment up to a revision: every change
  that touched it, with its approvals and records, or what is missing; exits 1
  when the chain is broken. See 'compliance-gate audit trace --help'.

compliance-gate audit export --repo OWNER/NAME [--since DATE] [--until DATE]
    [--format jsonl|csv] [--public-key FILE] [--app-login LOGIN] [--output FILE]
  Lists every merged pull request and direct push of a period that reached an
  environment, with its record and whether it verifies, or marked missing.
  See 'compliance-gate audit export --help'.

compliance-gate audit verify [--public-key FILE] FILE|-
  Reads audit records from FILE (or - for standard input): one record as JSON,
  one or more audit comment bodies (the record follows the
  <!-- compliance-gate:audit v1 --> marker), or a JSONL export (one record or
  export row per line). Checks that each record's digest is the SHA-256 of its
  canonical JSON, and with --public-key that its Ed25519 signature verifies.
  Prints one line per record:
    ok acme/gitops#42 sha256:3f2a9c1b0d4e
    FAIL acme/gitops#43: digest mismatch
    FAIL acme/gitops#44: not signed
    MISSING acme/gitops#45: no audit record     (an export row without a record)
  and a count on stderr.

Options:
  --public-key FILE   the app's Ed25519 public key in PEM; without it only digests
                      are checked (a digest alone shows a record was not changed by
                      accident, the signature that the app wrote it)

Exits 0 when every record verifies; 1 when any fails or an export row has no
record; 2 on a usage error, unreadable input, input without any record, or a
public key that is not Ed25519 PEM.

Examples:
  compliance-gate audit verify record.json
  compliance-gate audit verify --public-key audit-signing.pub export.jsonl
  gh api repos/acme/gitops/issues/42/comments --jq '.[].body' | compliance-gate audit verify -
`;

export const auditVerifyCommand: Command = {
  name: "audit verify",
  synopsis: "audit verify [--public-key FILE] FILE|-",
  summary: "check the digest (and signature) of audit records: a record,\n" + "an audit comment or a JSONL export",
  help: HELP,
  options: { "public-key": { type: "string" } },
  run: ({ values, positionals }, io) => runAuditVerify(parseAuditVerifyArgs(values, positionals), io),
};

interface AuditVerifyArgs {
  /** The file of records, or "-" for standard input. */
  file: string;
  /** A PEM file holding the app's Ed25519 public key. */
  publicKey?: string;
}

/** Checks `values`/`positionals` of `audit verify`; a usage mistake throws UsageError. */
function parseAuditVerifyArgs(values: Record<string, unknown>, positionals: string[]): AuditVerifyArgs {
  if (positionals.length !== 1) throw new UsageError("verify needs exactly one FILE (or - for stdin)");
  const file = positionals[0] as string;
  const publicKey = publicKeyFlag(values["public-key"]);
  return publicKey === undefined ? { file } : { file, publicKey };
}

const DIGEST_SHOWN = "sha256:".length + 12;

/** Verifies every record in `args.file` and prints a line each; 0 all ok, 1 any failed or missing, 2 unusable input. */
async function runAuditVerify(args: AuditVerifyArgs, io: Io): Promise<number> {
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
