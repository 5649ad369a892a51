// The bounds a policy glob keeps before anything compiles it (SPEC §1.2): its length, the patterns its
// braces expand to, that minimatch accepts it; and, across a policy set, what all its globs compile to.
import { countBraceExpansion } from "./brace-expansion.js";
import { compilePolicyGlob } from "./glob-dialect.js";

/** The longest glob accepted, in UTF-16 code units. */
export const MAX_GLOB_LENGTH = 1024;
/** The most patterns one glob's brace expansion may yield (`{a,b}{c,d}` yields 4). */
const MAX_GLOB_PATTERNS = 256;
/** The most patterns the distinct globs of a policy set may compile to, all files together. */
export const MAX_SET_PATTERNS = 20_000;
/**
 * The most characters those patterns may hold (a glob's patterns times its length). Compiling costs
 * up to about 1 µs and 110 bytes per character: without this, 20,000 globs of 1,000 characters
 * (allowed by the other bounds) would take 20 s and 2 GB; with it, at most about 1 s and 110 MB.
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

/** What a glob costs once compiled, or why it is refused. */
type GlobBound = { ok: true; patterns: number; chars: number } | { ok: false; problem: string };

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
 * Cost: linear in the glob's length, plus one compile when it has over 256 `(`.
 */
export function boundGlob(glob: string): GlobBound {
  const tooLong = globLengthProblem(glob);
  if (tooLong) return { ok: false, problem: tooLong };
  const globstars = globstarBound(glob);
  if (globstars > MAX_GLOBSTARS) {
    const how = /[{}]/.test(glob) ? `up to ${count(globstars)} \`**\` once its braces are expanded` : `${count(globstars)} \`**\``;
    return {
      ok: false,
      problem: `glob ${showGlob(glob)} has ${how}; the limit is ${MAX_GLOBSTARS} (past 200, minimatch stops following \`**\` and matches nothing)`,
    };
  }
  // the common case, a glob without braces or parentheses, costs one scan
  if (!glob.includes("{") && !glob.includes("(")) return { ok: true, patterns: 1, chars: glob.length };
  const expansion = countBraceExpansion(glob, { cap: MAX_GLOB_PATTERNS });
  if (expansion.tooComplex) {
    return {
      ok: false,
      problem: `glob ${showGlob(glob)} nests its braces too intricately for its expansion to be bounded; simplify its braces`,
    };
  }
  // `peak` is what expanding costs: more than the result when empty results are dropped at the end
  if (expansion.peak > MAX_GLOB_PATTERNS) {
    const size = Number.isFinite(expansion.peak) && expansion.peak < 2 ** 53 ? count(expansion.peak) : `more than ${count(MAX_GLOB_PATTERNS)}`;
    return { ok: false, problem: `glob ${showGlob(glob)} expands to ${size} patterns; the limit is ${count(MAX_GLOB_PATTERNS)}` };
  }
  if (countOf(glob, "(") > MINIMATCH_MAX_EXTGLOBS) {
    try {
      compilePolicyGlob(glob);
    } catch (error) {
      return { ok: false, problem: `glob ${showGlob(glob)} cannot be compiled: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const patterns = Math.max(1, expansion.patterns);
  return { ok: true, patterns, chars: patterns * glob.length };
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
