// The rules of SPEC §1.1 that a schema cannot state: safe globs, approvers where approvals are
// asked for, unique rule names, and freeze windows that make sense. They read the file as written
// and look only at parts of the right type, so they add to the schema's errors without repeating them.
import { DATE_TIME_PATTERN, isTimeZone, parseInstant, parseTimeRange, WHOLE_DAY } from "./freeze.js";
import { globLengthProblem, globListProblem, SET_GLOBS_PROBLEM, SetGlobBudget, type BoundedGlob } from "./glob-bounds.js";
import { approversSchema, breakGlassSchema, freezeWindowSchema, MESSAGES, RESERVED_ENVIRONMENTS, ruleSchema } from "./schema.js";
import type { PolicyError } from "./types.js";
import { locateNearest, type Locate } from "./yaml.js";

type Report = (field: string, message: string) => void;
/** What a glob matches: repository paths, branch names, or commit status contexts (matched like paths). */
type GlobKind = "path" | "branch" | "context";
/** Told of every glob that keeps its bounds, in file order (load.ts totals them across the set). */
type OnGlob = (glob: BoundedGlob) => void;
/** Takes one glob at `field` from the set's count; false (having reported it once) past the bound. */
type TakeGlob = (field: string) => boolean;
/** Bounds one glob within what its set may still spend. */
type BoundGlob = SetGlobBudget["bound"];

/**
 * Every semantic error of a policy file's value (as read from YAML), located; `onGlob` hears of
 * each glob that keeps its own bounds, so the set's total can be bounded too, and `globs` is what
 * the globs of the whole set may still cost (a file alone by default).
 */
export function semanticErrors(file: string, value: unknown, locate: Locate, onGlob: OnGlob = () => {}, globs = new SetGlobBudget()): PolicyError[] {
  const errors: PolicyError[] = [];
  const report: Report = (field, message) => errors.push({ file, ...locateNearest(locate, field), field, message });
  if (!isMapping(value)) return errors;
  let over = false;
  const take: TakeGlob = (field) => {
    if (globs.take()) return true;
    if (!over) report(field, SET_GLOBS_PROBLEM);
    over = true;
    return false;
  };
  const bound: BoundGlob = (glob) => globs.bound(glob);
  const checkGlobs = (list: unknown, field: string, kind: GlobKind = "path") => checkGlobList(list, field, report, onGlob, take, bound, kind);

  // A file that names no environment takes its file name, and load.ts reports a reserved one.
  if (typeof value.environment === "string" && RESERVED_ENVIRONMENTS.includes(value.environment)) {
    report("environment", `\`${value.environment}\` ${MESSAGES.reservedEnvironment}`);
  }
  const scope = value.scope;
  if (isMapping(scope)) {
    checkGlobs(scope.branches, "scope.branches", "branch");
    checkGlobs(scope.paths, "scope.paths");
    checkGlobs(scope.exclude, "scope.exclude");
  }
  if (Array.isArray(value.rules)) checkRules(value.rules, report, checkGlobs);
  if (Array.isArray(value.freeze)) value.freeze.forEach((window, index) => checkFreezeWindow(window, `freeze[${index}]`, report));
  if (isMapping(value.break_glass)) checkApprovers(value.break_glass, "break_glass", BREAK_GLASS_KEYS, report);
  // Status contexts are matched like paths (`*` within a `/` part), so they are held to the same form and bounds.
  if (isMapping(value.verify)) checkGlobs(value.verify.statuses, "verify.statuses", "context");
  return errors;
}

/** What is wrong with the form of one path (or branch) glob, or undefined when it is fine (its cost: glob-bounds.ts). */
function globProblem(glob: string, kind: GlobKind = "path"): string | undefined {
  if (glob === "") return "glob must not be empty";
  const tooLong = globLengthProblem(glob);
  if (tooLong) return tooLong;
  if (kind === "branch" && glob.startsWith("!")) return "glob must not start with `!`: branch globs cannot be negated";
  if (kind === "branch" && glob.startsWith("/")) return "glob must not start with `/`: write the branch name, e.g. `main`";
  if (kind === "context" && glob.startsWith("!")) return "glob must not start with `!`: status context globs cannot be negated";
  if (kind === "context" && glob.startsWith("/")) return "glob must not start with `/`: write the status context, e.g. `kustomization/apps-production*`";
  if (glob.startsWith("/")) return "glob must be relative to the repository root: remove the leading `/`";
  if (glob.startsWith("!")) return "glob must not start with `!`: list the paths to leave out under `exclude`";
  const segments = glob.split("/");
  if (segments.includes("..")) return "glob must not contain a `..` segment";
  // Changed paths never start with `./` or end in `/`: such a glob would silently match nothing.
  if (segments.includes(".")) return "glob must not contain a `.` segment: paths are relative to the repository root";
  if (glob.endsWith("/")) {
    const meaning = kind === "branch" ? `the branches under \`${glob}\`` : kind === "context" ? `the contexts under \`${glob}\`` : "the files in a folder";
    return `glob must not end with \`/\`: write \`${glob}**\` to match ${meaning}`;
  }
  return undefined;
}

/**
 * Checks a list's length, then each glob's form and bounds (SPEC §1.2), before anything compiles
 * it. A list past its bound is one error, and its globs are not checked: that is what bounds the cost.
 */
function checkGlobList(globs: unknown, field: string, report: Report, onGlob: OnGlob, take: TakeGlob, bound: BoundGlob, kind: GlobKind): void {
  if (!Array.isArray(globs)) return;
  const tooMany = globListProblem(globs.length);
  if (tooMany) return report(field, tooMany);
  for (let index = 0; index < globs.length; index++) {
    const glob: unknown = globs[index];
    const at = `${field}[${index}]`;
    if (!take(at)) return;
    if (typeof glob !== "string") continue;
    const problem = globProblem(glob, kind);
    if (problem) {
      report(at, problem);
      continue;
    }
    const bounded = bound(glob);
    if (!bounded.ok) report(at, bounded.problem);
    else onGlob({ field: at, glob, patterns: bounded.patterns, chars: bounded.chars });
  }
}

function checkRules(rules: unknown[], report: Report, checkGlobs: (list: unknown, field: string) => void): void {
  const names = new Map<string, number>();
  rules.forEach((rule, index) => {
    if (!isMapping(rule)) return;
    const field = `rules[${index}]`;
    checkGlobs(rule.paths, `${field}.paths`);
    checkGlobs(rule.exclude, `${field}.exclude`);
    checkApprovers(rule, field, RULE_KEYS, report);
    if (typeof rule.name !== "string" || rule.name === "") return;
    const first = names.get(rule.name);
    if (first === undefined) names.set(rule.name, index);
    else report(`${field}.name`, `rule name \`${rule.name}\` is already used by rules[${first}]`);
  });
}

/** A rule or break glass that asks for approvals must say who may give them. */
function checkApprovers(holder: Record<string, unknown>, field: string, holderKeys: ReadonlySet<string>, report: Report): void {
  if (typeof holder.approvals !== "number" || holder.approvals <= 0) return;
  const approvers = holder.approvers;
  if (approvers === undefined) {
    if (!hasUnknownKeys(holder, holderKeys)) {
      report(`${field}.approvers`, "is required when approvals is above 0");
    }
    return;
  }
  // A wrong type or a misspelt key is the schema's to report; saying "no approvers" too would mislead.
  if (!isMapping(approvers) || hasUnknownKeys(approvers, APPROVERS_KEYS)) return;
  const listed = (list: unknown) => list === undefined || (Array.isArray(list) && list.length === 0);
  if (listed(approvers.teams) && listed(approvers.users) && approvers.permission === undefined) {
    report(`${field}.approvers`, "must name at least one team, user or permission when approvals is above 0");
  }
}

const ONE_OFF_KEYS = ["from", "until"] as const;
const RECURRING_KEYS = ["days", "time", "timezone"] as const;

function checkFreezeWindow(window: unknown, field: string, report: Report): void {
  // With a misspelt key (`dayz`), which form was meant is a guess: the schema's "did you mean" says enough.
  if (!isMapping(window) || hasUnknownKeys(window, FREEZE_WINDOW_KEYS)) return;
  const oneOff = ONE_OFF_KEYS.filter((key) => key in window);
  const recurring = RECURRING_KEYS.filter((key) => key in window);
  if (oneOff.length > 0 && recurring.length > 0) {
    report(
      field,
      `mixes the one-off form (${oneOff.map((k) => `\`${k}\``).join(", ")}) with the recurring form (${recurring
        .map((k) => `\`${k}\``)
        .join(", ")}); split it into two windows`,
    );
    return;
  }
  if (oneOff.length > 0) return checkOneOffWindow(window, field, report);
  if (recurring.length > 0) return checkRecurringWindow(window, field, report);
  report(field, "needs either `from` and `until` (a one-off window) or `days` (a recurring window)");
}

function checkOneOffWindow(window: Record<string, unknown>, field: string, report: Report): void {
  const instants = ONE_OFF_KEYS.map((key) => {
    const text = window[key];
    if (text === undefined) report(`${field}.${key}`, "is required: a one-off window needs both `from` and `until`");
    if (typeof text !== "string") return undefined;
    const instant = parseInstant(text);
    // The schema checks the form; a date such as February 30 passes it and is caught here.
    if (instant === undefined && DATE_TIME_PATTERN.test(text)) {
      report(`${field}.${key}`, "is not a real date and time");
    }
    return instant;
  });
  const [from, until] = instants;
  if (from !== undefined && until !== undefined && until <= from) report(`${field}.until`, "must be after `from`");
}

function checkRecurringWindow(window: Record<string, unknown>, field: string, report: Report): void {
  if (window.days === undefined) report(`${field}.days`, "is required: a recurring window needs `days`");
  if (typeof window.time === "string") {
    const range = parseTimeRange(window.time);
    if (range && range.start === range.end) {
      report(`${field}.time`, `start and end are the same time; use "${WHOLE_DAY}" for the whole day`);
    }
  }
  if (typeof window.timezone === "string" && !isTimeZone(window.timezone)) {
    report(`${field}.timezone`, `unknown time zone \`${window.timezone}\`; use an IANA time zone such as Europe/Berlin or UTC`);
  }
}

const RULE_KEYS = new Set(Object.keys(ruleSchema.shape));
const BREAK_GLASS_KEYS = new Set(Object.keys(breakGlassSchema.shape));
const APPROVERS_KEYS = new Set(Object.keys(approversSchema.shape));
const FREEZE_WINDOW_KEYS = new Set(Object.keys(freezeWindowSchema.shape));

/** Whether a mapping has keys the schema does not know (and reports): checks about missing keys then stand down. */
function hasUnknownKeys(mapping: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  return Object.keys(mapping).some((key) => !known.has(key));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
