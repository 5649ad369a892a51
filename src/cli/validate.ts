// `compliance-gate validate [DIR]` (SPEC §6.1): every policy file's errors, or ok with warnings.
import { sortByCodePoint } from "../policy/code-point-order.js";
import { POLICY_DIR } from "../policy/folder.js";
import { loadPolicyDir } from "../policy/load.js";
import { formatPolicyError, formatPolicyWarning } from "../policy/errors.js";
import { policyWarnings } from "../engine/warnings.js";
import { directoryProblem } from "./input.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

const HELP = `Usage: compliance-gate validate [DIR]

Validates every policy file (*.yml, *.yaml) directly in DIR (default: ${POLICY_DIR}).
Prints one line per error as file:line:col: field: message and exits 1 if there is
any; otherwise prints warnings (if any) and "ok: N policies (names)" and exits 0.

Warnings (exit 0): no policy covers DIR/** (anyone could change policy); a rule or
break-glass path that can never be satisfied.

Example:
  compliance-gate validate ${POLICY_DIR}
`;

export const validateCommand: Command = {
  name: "validate",
  synopsis: "validate [DIR]",
  summary: `check every policy file in DIR (default: ${POLICY_DIR})`,
  help: HELP,
  options: {},
  run: ({ positionals }, io) => {
    if (positionals.length > 1) throw new UsageError("validate takes at most one directory");
    return runValidate(positionals[0] ?? POLICY_DIR, io);
  },
};

/** Validates the policies in `dir` and prints errors, warnings and a summary. */
async function runValidate(dir: string, io: Io): Promise<number> {
  const problem = await directoryProblem(dir);
  if (problem) {
    io.stderr.write(`compliance-gate validate: ${problem}\n`);
    return EXIT_USAGE;
  }
  const set = await loadPolicyDir(dir);
  if (set.policies.length === 0 && set.invalid.length === 0) {
    io.stdout.write(`${dir}: no policy files (*.yml, *.yaml)\n`);
    return EXIT_FAILED;
  }
  const errors = set.invalid.flatMap((invalid) => invalid.errors);
  if (errors.length > 0) {
    for (const error of errors) io.stdout.write(`${formatPolicyError(error)}\n`);
    const files = new Set(errors.map((e) => e.file)).size;
    io.stdout.write(`invalid: ${errors.length} error${errors.length === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}\n`);
    return EXIT_FAILED;
  }
  for (const warning of policyWarnings(set, dir)) io.stdout.write(`${formatPolicyWarning(warning)}\n`);
  const names = sortByCodePoint(set.policies.map((p) => p.environment));
  io.stdout.write(`ok: ${names.length} ${names.length === 1 ? "policy" : "policies"} (${names.join(", ")})\n`);
  return EXIT_OK;
}
