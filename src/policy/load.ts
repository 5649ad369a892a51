// From policy file text to the engine's Policy: read YAML, validate (schema, then semantics),
// fill every default; and a repository's whole policy set, where environments must be unique.
import { readdir, readFile, stat } from "node:fs/promises";
import { sortByCodePoint } from "./code-point-order.js";
import { sortPolicyErrors } from "./errors.js";
import { POLICY_DIR } from "./folder.js";
import { parseInstant, parseTimeRange, WHOLE_DAY } from "./freeze.js";
import { SetGlobBudget, SetGlobTally, type BoundedGlob } from "./glob-bounds.js";
import { ENVIRONMENT_PATTERN, MESSAGES, policySchema, RESERVED_ENVIRONMENTS, type PolicyInput } from "./schema.js";
import { schemaErrors } from "./schema-errors.js";
import { semanticErrors } from "./semantics.js";
import type { Approvers, Day, Freeze, Policy, PolicyError, PolicySet } from "./types.js";
import { fileSizeProblem, locateNearest, parseYaml, type Locate, type SourcePosition } from "./yaml.js";

/**
 * The most policy files a policy folder may hold, and the most bytes they may hold together: what
 * is read of a folder a pull request can fill (its head is validated for compliance/policy) is
 * bounded before a file is fetched or parsed. Past either, the folder is refused whole.
 */
export const MAX_POLICY_FILES = 200;
export const MAX_POLICY_SET_BYTES = 2 * 1024 * 1024;
/**
 * The most YAML nodes the policy files of a set may hold together (keys, values and list items,
 * as written). Parsing is linear in bytes, but building, validating and keeping a policy is per
 * node, and 2 MiB of `[x,x,x,…]` is a million of them. Past the bound the file that crosses is
 * refused where it crosses, and the files after it are refused unread. Real sets hold thousands.
 */
export const MAX_POLICY_SET_NODES = 100_000;

const count = (n: number): string => n.toLocaleString("en-US");

/** What a policy set's files may still cost, spent file by file in order. */
class SetBudget {
  nodesLeft = MAX_POLICY_SET_NODES;
  readonly globs = new SetGlobBudget();
}

const TOO_MANY_NODES = (): string =>
  `with this node the policy files hold more than ${count(MAX_POLICY_SET_NODES)} YAML nodes; the limit is ${count(MAX_POLICY_SET_NODES)} across all policy files`;
const NOT_READ = `not read: the policy files before it hold ${count(MAX_POLICY_SET_NODES)} YAML nodes, the limit across all policy files`;

/**
 * Why a policy folder (`folder` says which, e.g. "policies/") of `files` policy files holding
 * `bytes` bytes is refused, or undefined when it is within bounds.
 */
export function policyFolderProblem(folder: string, files: number, bytes: number): string | undefined {
  if (files > MAX_POLICY_FILES) return `${folder} holds ${files.toLocaleString("en-US")} policy files; the limit is ${MAX_POLICY_FILES}`;
  if (bytes > MAX_POLICY_SET_BYTES) {
    const kib = (n: number) => `${Math.ceil(n / 1024).toLocaleString("en-US")} KiB`;
    return `the policy files in ${folder} hold ${kib(bytes)}; the limit is ${kib(MAX_POLICY_SET_BYTES)} together`;
  }
  return undefined;
}

/** One policy file, read: the policy when valid, else its errors; and the environment it names either way. */
interface ParsedPolicyFile {
  policy?: Policy;
  errors: PolicyError[];
  /** The `environment` key when it is a valid name, else the file name without extension. */
  environment: string;
}

/** Reads and validates one policy file (a set of one, for the bounds on all its globs); every error, sorted by position. Never throws. */
export function parsePolicyFile(file: string, text: string): ParsedPolicyFile {
  const { policy, errors, environment } = boundSetGlobs([readPolicyFile(file, text, new SetBudget())])[0] as ReadPolicyFile;
  return { ...(policy ? { policy } : {}), errors, environment };
}

/** Parses every file of a policy folder, in order (they share the set's bounds); files naming the same environment are all invalid. */
export function loadPolicySet(files: readonly { path: string; text: string }[]): PolicySet {
  const budget = new SetBudget();
  return assemble(files.map((file) => readPolicyFile(file.path, file.text, budget)));
}

/** Whether `path` is a policy file: `*.yml` or `*.yaml` directly in `dir`, not in a sub-folder. */
export function isPolicyFile(path: string, dir = POLICY_DIR): boolean {
  const folder = normalizeDir(dir);
  const prefix = folder === "" ? "" : `${folder}/`;
  if (!path.startsWith(prefix)) return false;
  const name = path.slice(prefix.length);
  return !name.includes("/") && /^.+\.ya?ml$/.test(name);
}

/** Reads the policy files of a folder on disk (sorted by name, reported as `<dir>/<name>`); errors are values. */
export async function loadPolicyDir(dir: string): Promise<PolicySet> {
  const folder = normalizeDir(dir);
  let names: string[];
  try {
    const entries = await readdir(folder === "" ? "." : folder, { withFileTypes: true });
    names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch (error) {
    const message = `cannot read the policy folder: ${describe(error)}`;
    return { policies: [], invalid: [{ file: dir, environment: "", errors: [{ file: dir, field: "", message }] }] };
  }
  const paths = sortByCodePoint(
    names
      .map((name) => (folder === "" ? name : `${folder}/${name}`))
      .filter((path) => isPolicyFile(path, folder)),
  );
  // Bounded before anything is read: `validate` runs in CI on checkouts of pull requests too.
  const sizes = await Promise.all(paths.map((path) => stat(path).then((info) => info.size, () => 0)));
  const tooMuch = policyFolderProblem(`${folder === "" ? "." : folder}/`, paths.length, sizes.reduce((a, b) => a + b, 0));
  if (tooMuch) return { policies: [], invalid: [{ file: dir, environment: "", errors: [{ file: dir, field: "", message: tooMuch }] }] };
  // read together, parsed in order: the files share the set's bounds, spent in name order
  const texts = await Promise.all(paths.map(readPolicyText));
  const budget = new SetBudget();
  return assemble(texts.map((read, i) => (typeof read === "string" ? readPolicyFile(paths[i] as string, read, budget) : read)));
}

/** A read policy file with what the set needs to report a duplicate environment or too many patterns. */
interface ReadPolicyFile extends ParsedPolicyFile {
  file: string;
  /** Where the `environment` key's value is, when the file has one. */
  environmentAt?: SourcePosition;
  /** Its globs that keep their own bounds, in file order, and where to find them. */
  globs?: { list: BoundedGlob[]; locate: Locate };
}

function readPolicyFile(file: string, text: string, budget: SetBudget): ReadPolicyFile {
  const fromFileName = fileEnvironment(file);
  if (budget.nodesLeft < 0) return { file, errors: [{ file, field: "", message: NOT_READ }], environment: fromFileName };
  const yaml = parseYaml(file, text, { maxNodes: budget.nodesLeft, tooManyNodes: TOO_MANY_NODES });
  budget.nodesLeft -= yaml.nodes;
  if (yaml.errors.length > 0) return { file, errors: yaml.errors, environment: fromFileName };
  const value = yaml.value;
  const written = isMapping(value) ? value.environment : undefined;
  const named = typeof written === "string" && ENVIRONMENT_PATTERN.test(written) ? written : undefined;
  const environment = named ?? fromFileName;
  const environmentAt = written === undefined ? undefined : yaml.locate("environment");
  const parsed = policySchema.safeParse(value);
  const globs: BoundedGlob[] = [];
  const errors = [
    ...(parsed.success ? [] : schemaErrors(file, parsed.error, yaml.locate, policySchema)),
    ...semanticErrors(file, value, yaml.locate, (glob) => globs.push(glob), budget.globs),
  ];
  if (isMapping(value) && written === undefined && !ENVIRONMENT_PATTERN.test(fromFileName)) {
    errors.push({
      file,
      field: "environment",
      message: `is required: the file name \`${fromFileName}\` is not a valid environment name (${MESSAGES.environment})`,
    });
  }
  if (isMapping(value) && written === undefined && RESERVED_ENVIRONMENTS.includes(fromFileName)) {
    // Located where the key belongs (the top of the file), so an editor jumps somewhere useful.
    errors.push({
      file,
      ...locateNearest(yaml.locate, "environment"),
      field: "environment",
      message: `is required: without it the file name makes the environment \`${fromFileName}\`, which ${MESSAGES.reservedEnvironment} (or rename the file)`,
    });
  }
  const located = environmentAt ? { environmentAt } : {};
  if (errors.length > 0 || !parsed.success) return { file, errors: sortPolicyErrors(errors), environment, ...located };
  return { file, policy: toPolicy(file, environment, parsed.data), errors: [], environment, ...located, globs: { list: globs, locate: yaml.locate } };
}

/** A policy file's text, or the refusal of a file too large or unreadable. */
async function readPolicyText(path: string): Promise<string | ReadPolicyFile> {
  try {
    // Checked before reading, so a huge file is refused without being loaded.
    const tooLarge = fileSizeProblem((await stat(path)).size);
    if (tooLarge) return { file: path, environment: fileEnvironment(path), errors: [{ file: path, field: "", message: tooLarge }] };
    return await readFile(path, "utf8");
  } catch (error) {
    return { file: path, environment: fileEnvironment(path), errors: [{ file: path, field: "", message: `cannot read file: ${describe(error)}` }] };
  }
}

/**
 * Refuses, in order, each valid file whose globs would take the set's compiled patterns past their
 * bounds (SPEC §1.2), with an error at the glob that crosses: the kept policies stay within them.
 */
function boundSetGlobs(files: readonly ReadPolicyFile[]): ReadPolicyFile[] {
  const tally = new SetGlobTally();
  return files.map((read) => {
    if (!read.policy || read.errors.length > 0 || !read.globs) return read;
    const over = tally.add(read.globs.list);
    if (!over) return read;
    const { policy: _refused, ...rest } = read;
    const error: PolicyError = { file: read.file, ...locateNearest(read.globs.locate, over.field), field: over.field, message: over.problem };
    return { ...rest, errors: [error] };
  });
}

/** Splits read files into valid and invalid, marking every file whose environment another file also names. */
function assemble(read: readonly ReadPolicyFile[]): PolicySet {
  const byEnvironment = new Map<string, string[]>();
  for (const { environment, file } of read) byEnvironment.set(environment, [...(byEnvironment.get(environment) ?? []), file]);
  const named = read.map((file): ReadPolicyFile => {
    const others = (byEnvironment.get(file.environment) ?? []).filter((other) => other !== file.file);
    if (others.length === 0) return file;
    const duplicate: PolicyError = {
      file: file.file,
      ...file.environmentAt,
      field: "environment",
      message: `environment \`${file.environment}\` is also named by ${others.join(", ")}`,
    };
    return { ...file, errors: sortPolicyErrors([...file.errors, duplicate]) };
  });
  const set: PolicySet = { policies: [], invalid: [] };
  for (const file of boundSetGlobs(named)) {
    if (file.policy && file.errors.length === 0) set.policies.push(file.policy);
    else set.invalid.push({ file: file.file, environment: file.environment, errors: file.errors });
  }
  return set;
}

/** The validated input as the engine sees it: every default filled in, times parsed. */
function toPolicy(file: string, environment: string, input: PolicyInput): Policy {
  return {
    file,
    environment,
    ...(input.description !== undefined ? { description: input.description } : {}),
    scope: {
      ...(input.scope.branches !== undefined ? { branches: input.scope.branches } : {}),
      paths: input.scope.paths,
      exclude: input.scope.exclude,
    },
    rules: input.rules.map((rule) => ({
      name: rule.name,
      paths: rule.paths,
      exclude: rule.exclude,
      approvals: rule.approvals,
      approvers: toApprovers(rule.approvers),
    })),
    options: { ...input.options },
    freeze: input.freeze.map(toFreeze),
    ...(input.break_glass
      ? {
          break_glass: {
            label: input.break_glass.label,
            approvals: input.break_glass.approvals,
            approvers: toApprovers(input.break_glass.approvers),
          },
        }
      : {}),
    audit: { ...input.audit },
    enforce: { ...input.enforce },
    deploy: { environments: input.deploy.environments ?? [environment] },
    verify: { statuses: input.verify.statuses, deployments: input.verify.deployments },
  };
}

function toApprovers(approvers: PolicyInput["rules"][number]["approvers"]): Approvers {
  if (!approvers) return { teams: [], users: [] };
  return {
    teams: approvers.teams,
    users: approvers.users,
    ...(approvers.permission !== undefined ? { permission: approvers.permission } : {}),
  };
}

function toFreeze(window: PolicyInput["freeze"][number]): Freeze {
  // Validation guarantees one complete form and well-formed times, so the parses below succeed.
  if (window.from !== undefined) {
    return { kind: "one-off", name: window.name, from: parseInstant(window.from) as number, until: parseInstant(window.until as string) as number };
  }
  const { start, end } = parseTimeRange(window.time ?? WHOLE_DAY) as { start: number; end: number };
  return {
    kind: "recurring",
    name: window.name,
    days: [...new Set<Day>(window.days)],
    start,
    end,
    timezone: window.timezone ?? "UTC",
  };
}

/** The file name without its extension: the environment of a file that names none. */
function fileEnvironment(file: string): string {
  const name = file.slice(file.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}

function normalizeDir(dir: string): string {
  return dir.replace(/^\.\/+/, "").replace(/\/+$/, "").replace(/^\.$/, "");
}

function describe(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") return error.code;
  return error instanceof Error ? error.message : String(error);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
