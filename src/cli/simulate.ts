// `compliance-gate simulate --policies DIR CHANGE` (SPEC §6.2): the decision for a described change.
import { decide } from "../engine/decide.js";
import { loadPolicyDir } from "../policy/load.js";
import { parseYaml } from "../policy/yaml.js";
import { formatPolicyError } from "../policy/errors.js";
import { parseChange } from "./change.js";
import { decisionJson } from "./decision-json.js";
import { directoryProblem, readInput } from "./input.js";
import { EXIT_OK, EXIT_USAGE, type Io } from "./command.js";

/** Decides the change in `changePath` against the policies in `dir` and prints it as JSON. */
export async function runSimulate(dir: string, changePath: string, io: Io): Promise<number> {
  const problem = await directoryProblem(dir);
  if (problem) {
    io.stderr.write(`compliance-gate simulate: ${problem}\n`);
    return EXIT_USAGE;
  }
  const input = await readInput(changePath, io.stdin);
  if (!input.ok) {
    io.stderr.write(`compliance-gate simulate: ${input.message}\n`);
    return EXIT_USAGE;
  }
  const yaml = parseYaml(input.file, input.text);
  const change =
    yaml.errors.length > 0
      ? { ok: false as const, errors: yaml.errors }
      : parseChange(input.file, yaml.value, yaml.locate, (io.now ?? Date.now)());
  if (!change.ok) {
    for (const error of change.errors) io.stderr.write(`${formatPolicyError(error)}\n`);
    return EXIT_USAGE;
  }
  const decision = decide(await loadPolicyDir(dir), change.facts);
  io.stdout.write(`${JSON.stringify(decisionJson(decision), null, 2)}\n`);
  return EXIT_OK;
}
