// The bounds a policy glob keeps before anything compiles it (SPEC §1.2): its length, the patterns its
// braces expand to, that minimatch accepts it; and, across a policy set, what all its globs compile to.
import { countBraceExpansion } from "./brace-expansion.js";
import { compilePolicyGlob } from "./glob-dialect.js";

/** The longest glob accepted, in UTF-16 code units. */
export const MAX_GLOB_LENGTH = 1024;
/** The most patterns one glob's brace expansion may yield (`{a,b}{c,d}` yields 4). */
const MAX_GLOB_PATTERNS = 256;
/**
 * The most globs one list may hold, and all lists of a policy set together, duplicates included:
 * a duplicate compiles to nothing more, but every listed glob is read, checked and matched, so
 * without these a 2 MiB folder of `[x,x,x,…]` cost seconds per event. Real policies list tens.
 */
export const MAX_GLOBS_PER_LIST = 1_000;
export const MAX_SET_GLOBS = 10_000;
/**
 * The most steps counting the brace expansions of a policy set's globs may take, all together
 * (one glob may take 32 a character plus 512): an ordinary brace glob takes a few hundred, a
 * hostile one thousands, and 2 MiB of hostile ones took 0.4 s before this bound; 5,000,000 take
 * about 40 ms.
 */
export const MAX_SET_BRACE_STEPS = 5_000_000;
const SET_BRACE_STEPS = `${MAX_SET_BRACE_STEPS.toLocaleString("en-US")} steps`;
/** The most patterns the distinct globs of a policy set may compile to, all files together. */
export const MAX_SET_PATTERNS = 20_000;
/**
 * The most characters those patterns may hold (a glob's patterns times its length). Compiling costs
 * up to about 1 µs and 110 bytes per character: without this, 10,000 globs of 1,000 characters
 * (allowed by the other bounds) would take 10 s and 1 GB; with it, at most about 1 s and 110 MB
 * (0.15 s and 45 MB measured for the dearest shape found, character classes).
 */
export const MAX_SET_PATTERN_CHARS = 1_000_000;
/** minimatch refuses a path portion with more extglobs (`*(`, `@(`, …) than this; each needs a `(`. */
const MINIMATCH_MAX_EXTGLOBS = 256;
/**
 * The most `**` portions one pattern of a glob may have. minimatch stops following `**` past 200
 * sections (its DEFAULT_GLOB_STAR_RECURSION_MAX) and then reports no match: a policy whose glob
 * reads as covering a path would not cover it (fail open). No real glob has more than a few.
 */
export const MAX_GLOBSTARS = 64;

/** What a glob costs once compiled, or why it is refused; `steps` its braces took to count. */
type GlobBound = { ok: true; patterns: number; chars: number; steps: number } | { ok: false; problem: string; steps: number };

const count = (n: number): string => n.toLocaleString("en-US");

/** A glob as an error message shows it: quoted, and cut after 60 characters so a message stays one readable line. */
function showGlob(glob: string): string {
  const chars = [...glob.slice(0, 61)];
  return JSON.stringify(chars.length > 60 ? `${chars.slice(0, 59).join("")}…` : glob);
}

/** Why a glob is longer than allowed, or undefined. Checked first: everything else reads the whole glob. */
export function globLengthProblem(glob: string): string | undefined {
  if (glob.length <= MAX_GLOB_LENGTH) return undefined;
  return `glob ${showGlob(glob)} is ${count(glob.length)} characters long; the limit is ${count(MAX_GLOB_LENGTH)}`;
}

/**
 * Bounds one glob of at most MAX_GLOB_LENGTH characters without expanding it: what it compiles to,
 * or why it is refused (too many patterns, braces too intricate to count, refused by minimatch).
 * Cost: linear in the glob's length, and counting its braces at most `stepsLeft` steps (what is
 * left of its policy set's MAX_SET_BRACE_STEPS); plus one compile when it has over 256 `(`.
 */
export function boundGlob(glob: string, stepsLeft = Infinity): GlobBound {
  const tooLong = globLengthProblem(glob);
  if (tooLong) return { ok: false, problem: tooLong, steps: 0 };
  const globstars = globstarBound(glob);
  if (globstars > MAX_GLOBSTARS) {
    const how = /[{}]/.test(glob) ? `up to ${count(globstars)} \`**\` once its braces are expanded` : `${count(globstars)} \`**\``;
    return {
      ok: false,
      problem: `glob ${showGlob(glob)} has ${how}; the limit is ${MAX_GLOBSTARS} (past 200, minimatch stops following \`**\` and matches nothing)`,
      steps: 0,
    };
  }
  // the common case, a glob without braces or parentheses, costs one scan
  if (!glob.includes("{") && !glob.includes("(")) return { ok: true, patterns: 1, chars: glob.length, steps: 0 };
  const braceSteps = (): string =>
    `with glob ${showGlob(glob)}, counting the brace expansions of the policy files' globs takes more than ${SET_BRACE_STEPS}; the limit is ${SET_BRACE_STEPS} across all policy files: simplify their braces`;
  // once the set's steps are spent, a glob with braces is refused without a step more
  if (stepsLeft <= 0 && glob.includes("{") && glob.includes("}")) return { ok: false, problem: braceSteps(), steps: 0 };
  const expansion = countBraceExpansion(glob, { cap: MAX_GLOB_PATTERNS, maxSteps: stepsLeft });
  const steps = expansion.steps;
  if (expansion.tooComplex) {
    const problem = steps > stepsLeft ? braceSteps() : `glob ${showGlob(glob)} nests its braces too intricately for its expansion to be bounded; simplify its braces`;
    return { ok: false, problem, steps };
  }
  // `peak` is what expanding costs: more than the result when empty results are dropped at the end
  if (expansion.peak > MAX_GLOB_PATTERNS) {
    const size = Number.isFinite(expansion.peak) && expansion.peak < 2 ** 53 ? count(expansion.peak) : `more than ${count(MAX_GLOB_PATTERNS)}`;
    return { ok: false, problem: `glob ${showGlob(glob)} expands to ${size} patterns; the limit is ${count(MAX_GLOB_PATTERNS)}`, steps };
  }
  if (countOf(glob, "(") > MINIMATCH_MAX_EXTGLOBS) {
    try {
      compilePolicyGlob(glob);
    } catch (error) {
      return { ok: false, problem: `glob ${showGlob(glob)} cannot be compiled: ${error instanceof Error ? error.message : String(error)}`, steps };
    }
  }
  const patterns = Math.max(1, expansion.patterns);
  return { ok: true, patterns, chars: patterns * glob.length, steps };
}

/**
 * An upper bound on the `**` portions of any one pattern of `glob` once its braces are expanded,
 * in one scan: brace expansion uses each character of the glob at most once per pattern, so a
 * `**` is a run of two or more `*` (counted once), or else made of stars next to a brace or comma
 * (`*{*,x}`, `*{a,}*`), counted two by two. Exact for an ordinary glob: `**` between slashes.
 */
function globstarBound(glob: string): number {
  let runs = 0;
  let besideBraces = 0;
  for (let at = glob.indexOf("*"); at !== -1; at = glob.indexOf("*", at)) {
    let end = at;
    while (glob.charCodeAt(end) === 42) end++;
    if (BRACE_CHARS.has(glob[at - 1] ?? "") || BRACE_CHARS.has(glob[end] ?? "")) besideBraces += end - at;
    else if (end - at >= 2) runs++;
    at = end;
  }
  return runs + Math.floor(besideBraces / 2);
}

const BRACE_CHARS = new Set(["{", "}", ","]);

function countOf(text: string, char: string): number {
  let n = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) n++;
  return n;
}

/** Why a glob list is longer than allowed, or undefined. */
export function globListProblem(length: number): string | undefined {
  if (length <= MAX_GLOBS_PER_LIST) return undefined;
  return `lists ${count(length)} globs; the limit is ${count(MAX_GLOBS_PER_LIST)} per list (duplicates count)`;
}

/**
 * What the globs of a policy set may still cost, shared by its files in order: how many more may be
 * listed (MAX_SET_GLOBS, duplicates included; a file is told at its first glob past the bound, whose
 * checks are then skipped), and how many steps counting brace expansions may still take.
 */
export class SetGlobBudget {
  private globsLeft = MAX_SET_GLOBS;
  private stepsLeft = MAX_SET_BRACE_STEPS;

  /** Takes one glob; false once the set has listed more than MAX_SET_GLOBS. */
  take(): boolean {
    this.globsLeft -= 1;
    return this.globsLeft >= 0;
  }

  /** boundGlob, within the steps left, which it spends. */
  bound(glob: string): GlobBound {
    const bound = boundGlob(glob, Math.max(0, this.stepsLeft));
    this.stepsLeft -= bound.steps;
    return bound;
  }
}

/** The error at the first glob of a file past MAX_SET_GLOBS. */
export const SET_GLOBS_PROBLEM = `with this glob the policy files list more than ${count(MAX_SET_GLOBS)} globs; the limit is ${count(MAX_SET_GLOBS)} across all policy files (duplicates count)`;

/** A glob of a policy file that passed its own bounds, with where it is. */
export interface BoundedGlob {
  field: string;
  glob: string;
  patterns: number;
  chars: number;
}

/**
 * The running total of a policy set's distinct globs (the engine compiles each distinct glob once).
 * A file is added whole or not at all, so the policies that are kept never exceed the bounds.
 */
export class SetGlobTally {
  private readonly seen = new Set<string>();
  private patterns = 0;
  private chars = 0;

  /** Adds a file's globs; when they would cross a bound, adds nothing and says at which glob and why. */
  add(globs: readonly BoundedGlob[]): { field: string; problem: string } | undefined {
    let patterns = this.patterns;
    let chars = this.chars;
    const added = new Set<string>();
    for (const g of globs) {
      if (this.seen.has(g.glob) || added.has(g.glob)) continue;
      added.add(g.glob);
      patterns += g.patterns;
      chars += g.chars;
      if (patterns > MAX_SET_PATTERNS) {
        return {
          field: g.field,
          problem: `with this glob the policy set's globs expand to ${count(patterns)} patterns; the limit is ${count(MAX_SET_PATTERNS)} across all policy files`,
        };
      }
      if (chars > MAX_SET_PATTERN_CHARS) {
        return {
          field: g.field,
          problem: `with this glob the policy set's globs expand to ${count(chars)} characters of patterns; the limit is ${count(MAX_SET_PATTERN_CHARS)} across all policy files`,
        };
      }
    }
    for (const glob of added) this.seen.add(glob);
    this.patterns = patterns;
    this.chars = chars;
    return undefined;
  }
}
