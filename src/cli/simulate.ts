// `compliance-gate simulate --policies DIR CHANGE` (SPEC §6.2): the decision for a described change.
import { decide } from "../engine/decide.js";
import { loadPolicyDir } from "../policy/load.js";
import { parseYaml } from "../policy/yaml.js";
import { formatPolicyError } from "../policy/errors.js";
import { decisionJson } from "../render/decision-json.js";
import { parseChange } from "./change.js";
import { directoryProblem, readInput } from "./input.js";
import { EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

const HELP = `Usage: compliance-gate simulate --policies DIR CHANGE

Evaluates the change described in CHANGE (a YAML or JSON file, or - for stdin)
against the policies in DIR and prints the decision as JSON on stdout.
Exits 0 when a decision was made, whatever it is; 2 when CHANGE is invalid.

CHANGE (YAML or JSON):
  base: main                      # required
  author: carol                   # required
  files:                          # required; a string means a modified file
    - clusters/production/api.yaml
    - { path: clusters/staging/db.yaml, previous_path: clusters/production/db.yaml, status: renamed }
  repository: acme/gitops         # optional; its owner is the org of bare team slugs
  default_branch: main            # optional; default: base
  head: h2                        # optional; default: HEAD
  contributors: [carol]           # optional; the author is always one
  co_authors: [dave]              # optional; logins of Co-authored-by trailers (contributors too)
  unlinked:                       # optional: commit identities linked to no GitHub account
    - "abc1234: erin <erin@laptop>"                   # COMMIT: NAME <EMAIL> (role author)
    - { commit: def5678, role: co-author, name: frank, email: frank@example.com }
  labels: []                      # optional
  files_truncated: false          # optional
  reviews:                        # optional, chronological; commit defaults to head
    - { user: alice, state: APPROVED }
  teams: { sre: [alice, bob] }    # optional: slug or org/slug -> active members
  permissions: { alice: write }   # optional
  now: "2026-12-01T10:00:00Z"     # optional; default: the current time

Example:
  compliance-gate simulate --policies policies change.yml
`;

export const simulateCommand: Command = {
  name: "simulate",
  synopsis: "simulate --policies DIR CHANGE",
  summary: "decide a described change (YAML/JSON file, or - for stdin)",
  help: HELP,
  options: { policies: { type: "string" } },
  run: ({ values, positionals }, io) => {
    if (typeof values.policies !== "string") throw new UsageError("simulate needs --policies DIR");
    if (positionals.length !== 1) throw new UsageError("simulate needs exactly one CHANGE file (or - for stdin)");
    return runSimulate(values.policies, positionals[0] as string, io);
  },
};

/** Decides the change in `changePath` against the policies in `dir` and prints it as JSON. */
async function runSimulate(dir: string, changePath: string, io: Io): Promise<number> {
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
