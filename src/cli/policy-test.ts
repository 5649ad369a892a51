// `compliance-gate test [DIR]` (SPEC §6.3): unit tests for policies, run against DIR's policies.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { decide } from "../engine/decide.js";
import type { EnvironmentDecision, State } from "../engine/types.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import { POLICY_DIR } from "../policy/folder.js";
import { loadPolicyDir } from "../policy/load.js";
import { parseYaml } from "../policy/yaml.js";
import { formatPolicyError } from "../policy/errors.js";
import { schemaErrors } from "../policy/schema-errors.js";
import type { PolicyError } from "../policy/types.js";
import { parseChange } from "./change.js";
import { directoryProblem, readInput } from "./input.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

const HELP = `Usage: compliance-gate test [DIR]

Runs the policy tests in DIR/tests/*.yml and *.yaml (DIR default: ${POLICY_DIR}).
Each file is a list of cases:

  - name: app team can ship an overlay bump
    change: { ...as for simulate... }
    expect:
      production: approved                 # a state
      staging: { state: not_affected }     # or state plus break_glass, freeze, files, uncovered

States: approved, pending, blocked, error, not_affected, and not_evaluated (the
environment's branches do not match the change's base).
Prints a line per failing case with expected and actual, then "N passed, N failed".
Exits 1 if any case failed, 2 if a test file is unreadable or malformed.

Example:
  compliance-gate test ${POLICY_DIR}
`;

export const testCommand: Command = {
  name: "test",
  synopsis: "test [DIR]",
  summary: `run the policy tests in DIR/tests/*.yml (default: ${POLICY_DIR})`,
  help: HELP,
  options: {},
  run: ({ positionals }, io) => {
    if (positionals.length > 1) throw new UsageError("test takes at most one directory");
    return runPolicyTests(positionals[0] ?? POLICY_DIR, io);
  },
};

/** What an expectation can name besides the decision's states. */
const NOT_EVALUATED = "not_evaluated";
const STATES = ["approved", "pending", "blocked", "error", "not_affected", NOT_EVALUATED] as const;
type ExpectedState = (typeof STATES)[number];

const state = z.enum(STATES, { error: `must be one of ${STATES.join(", ")}` });
const paths = z.array(z.string(), { error: "must be a list of paths" });
const expectation = z.union(
  [
    state,
    z.strictObject({
      state,
      break_glass: z.boolean({ error: "must be true or false" }).optional(),
      freeze: z.string().nullable().optional(),
      files: paths.optional(),
      uncovered: paths.optional(),
    }),
  ],
  { error: `must be a state (${STATES.join(", ")}) or { state, break_glass, freeze, files, uncovered }` },
);
const testCase = z.strictObject({
  name: z.string({ error: "must be the case's name" }).min(1, { error: "must not be empty" }),
  change: z.unknown(),
  expect: z.record(z.string(), expectation, { error: "must map environments to expected states" }),
});
/** The schema of a policy test file: a list of cases. */
const testFileSchema = z.array(testCase, { error: "must be a list of test cases" });

type Expectation = z.infer<typeof expectation>;

interface LoadedCase {
  file: string;
  line?: number;
  name: string;
  facts: Parameters<typeof decide>[1];
  expect: Record<string, Expectation>;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function list(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}

/** What differs between an expectation and an environment's decision; empty when it holds. */
function mismatches(environment: string, expected: Expectation, actual: EnvironmentDecision | undefined): string[] {
  const want = typeof expected === "string" ? { state: expected } : expected;
  const got: ExpectedState | State = actual?.state ?? NOT_EVALUATED;
  const problems: string[] = [];
  if (want.state !== got) problems.push(`expected ${want.state}, got ${got}${actual ? ` (${actual.title})` : ""}`);
  if (actual && typeof expected !== "string") {
    if (expected.break_glass !== undefined && expected.break_glass !== actual.break_glass)
      problems.push(`expected break_glass ${expected.break_glass}, got ${actual.break_glass}`);
    if (expected.freeze !== undefined && expected.freeze !== actual.freeze)
      problems.push(`expected freeze ${JSON.stringify(expected.freeze)}, got ${JSON.stringify(actual.freeze)}`);
    if (expected.files && !sameList(expected.files, actual.files))
      problems.push(`expected files ${list(expected.files)}, got ${list(actual.files)}`);
    if (expected.uncovered && !sameList(expected.uncovered, actual.uncovered))
      problems.push(`expected uncovered ${list(expected.uncovered)}, got ${list(actual.uncovered)}`);
  }
  return problems.map((p) => `${environment}: ${p}`);
}

async function testFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(dir, "tests"), { withFileTypes: true });
    return sortByCodePoint(entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => join(dir, "tests", e.name)));
  } catch {
    return [];
  }
}

async function loadCases(file: string, io: Io, now: number): Promise<{ cases: LoadedCase[]; errors: PolicyError[] }> {
  const input = await readInput(file, io.stdin);
  if (!input.ok) return { cases: [], errors: [{ file, field: "", message: input.message.replace(`${file}: `, "") }] };
  const yaml = parseYaml(file, input.text);
  if (yaml.errors.length > 0) return { cases: [], errors: yaml.errors };
  const parsed = testFileSchema.safeParse(yaml.value ?? []);
  if (!parsed.success) return { cases: [], errors: schemaErrors(file, parsed.error, yaml.locate, testFileSchema) };
  const cases: LoadedCase[] = [];
  const errors: PolicyError[] = [];
  parsed.data.forEach((c, index) => {
    const change = parseChange(file, c.change, yaml.locate, now, `[${index}].change`);
    if (!change.ok) errors.push(...change.errors);
    else cases.push({ file, line: yaml.locate(`[${index}]`)?.line, name: c.name, facts: change.facts, expect: c.expect });
  });
  return { cases, errors };
}

/** Runs every case of `dir/tests/*.yml` and prints failures and the `N passed, N failed` line. */
async function runPolicyTests(dir: string, io: Io): Promise<number> {
  const problem = await directoryProblem(dir);
  if (problem) {
    io.stderr.write(`compliance-gate test: ${problem}\n`);
    return EXIT_USAGE;
  }
  const now = (io.now ?? Date.now)();
  const files = await testFiles(dir);
  const cases: LoadedCase[] = [];
  const errors: PolicyError[] = [];
  for (const file of files) {
    const loaded = await loadCases(file, io, now);
    cases.push(...loaded.cases);
    errors.push(...loaded.errors);
  }
  if (errors.length > 0) {
    for (const error of errors) io.stderr.write(`${formatPolicyError(error)}\n`);
    return EXIT_USAGE;
  }
  const set = await loadPolicyDir(dir);
  if (set.invalid.length > 0) {
    io.stderr.write(`note: ${set.invalid.length} invalid policy file(s) in ${dir}; their environments decide "error" (run compliance-gate validate ${dir})\n`);
  }
  if (files.length === 0) io.stderr.write(`note: no policy tests in ${join(dir, "tests")} (*.yml, *.yaml)\n`);
  let passed = 0;
  let failed = 0;
  for (const testCase of cases) {
    const decision = decide(set, testCase.facts);
    const problems = Object.entries(testCase.expect).flatMap(([environment, expected]) => {
      const actual = decision.environments.find((e) => e.environment === environment);
      const known = set.policies.some((p) => p.environment === environment) || set.invalid.some((p) => p.environment === environment);
      return known ? mismatches(environment, expected, actual) : [`${environment}: no such environment in ${dir}`];
    });
    if (problems.length === 0) {
      passed += 1;
      continue;
    }
    failed += 1;
    const where = testCase.line !== undefined ? `${testCase.file}:${testCase.line}` : testCase.file;
    io.stdout.write(`FAIL ${where}: ${testCase.name}: ${problems.join("; ")}\n`);
  }
  io.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}
