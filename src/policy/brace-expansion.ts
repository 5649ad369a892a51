// How many patterns minimatch's brace expansion makes of a glob, counted without making them, so a
// "brace bomb" (`{0..9}{0..9}{0..9}{0..9}{0..9}`: 100,000 patterns in 35 characters) is refused first.
//
// It follows minimatch 11's `braceExpand` (which calls brace-expansion 5) step for step — the same
// escapes, the same scan for a brace set, the same quirks (`${…}`, a leading `{}`, `{a},b}`, unmatched
// braces, empty results dropped at the top level) — but carries a count of the strings in place of
// the strings, so a set of sets is a product and costs nothing. Only a set with a single member
// (`{{a,b}x}`), whose results are wrapped in braces and expanded again, needs its strings: those are
// built, at most `cap` of them. All work is charged to a budget linear in the glob's length.

/** What counting the brace expansion of a glob found. */
interface BraceCount {
  /** Patterns the expansion yields; exact below 2^53, Infinity when larger than `cap` but not known exactly. */
  patterns: number;
  /** The most strings the expansion holds at any step (at least `patterns`): what compiling it costs. */
  peak: number;
  /** True when counting took more than its budget of steps; the counts are then meaningless. */
  tooComplex: boolean;
  /** Steps counting took (characters scanned and built, calls made). */
  steps: number;
}

interface BraceCountOptions {
  /** Most strings built where a set's single member must be expanded for real (default 256). */
  cap?: number;
  /** Steps allowed per character of the glob (default 32; ordinary globs take 1 to 12), plus a constant 512. */
  stepsPerChar?: number;
  /** A lower bound on the steps, when less is left of a budget shared by many globs. */
  maxSteps?: number;
}

/** Counts saturate here: beyond it, only "more" matters. */
const SATURATED = 2 ** 53;
/** brace-expansion's own bounds that can matter for a glob of bounded length. */
const MAX_DEPTH = 1000;
const MAX_REWRITES = 1000;
const CALL_STEPS = 16;
/** Every escaped character (`\{`, `\\`, …) becomes this one character: like brace-expansion's sentinels, nothing special. */
const ESCAPED = "\0";

const NUMERIC_SEQUENCE = /^-?\d+\.\.-?\d+(?:\.\.-?\d+)?$/;
const ALPHA_SEQUENCE = /^[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?$/;
/** minimatch expands nothing unless a `{` is followed on its line by a `}` with no `{` between. */
const HAS_BRACE_SET = /\{(?:(?!\{).)*\}/;

/** Counting ran over its budget (or, in the string algebra, over `cap` strings). */
class Stop extends Error {
  constructor(readonly reason: "budget" | "cap") {
    super(reason);
  }
}

/**
 * One of each, thrown again and again: constructing an Error captures a stack trace, which cost more
 * than the counting itself when thousands of hostile globs each ran out of budget.
 */
const OVER_BUDGET = new Stop("budget");
const OVER_CAP = new Stop("cap");

const sat = (n: number): number => (n > SATURATED ? SATURATED : n);

/** The work and peak of one count, shared by both algebras. */
class Meter {
  peak = 0;
  used = 0;
  constructor(private readonly budget: number) {}
  charge(steps: number): void {
    this.used += steps;
    if (this.used > this.budget) throw OVER_BUDGET;
  }
  saw(size: number): void {
    if (size > this.peak) this.peak = size;
  }
}

/** A sequence body (`1..10..2`, `a..z`) as brace-expansion reads it. */
interface Sequence {
  x: number;
  y: number;
  incr: number;
  alpha: boolean;
  pad: boolean;
  width: number;
  /** How many values it has; Infinity when its numbers are beyond exact arithmetic. */
  count: number;
}

function numeric(text: string): number {
  return !isNaN(text as unknown as number) ? parseInt(text, 10) : text.charCodeAt(0);
}

function parseSequence(body: string, alpha: boolean): Sequence {
  const n = body.split(/\.\./);
  const first = n[0] as string;
  const second = n[1] as string;
  const x = numeric(first);
  const y = numeric(second);
  const width = Math.max(first.length, second.length);
  const incr = n.length === 3 && n[2] !== undefined ? Math.max(Math.abs(numeric(n[2])), 1) : 1;
  const pad = n.some((part) => /^-?0\d/.test(part));
  // Past 2^52 brace-expansion's `i += incr` stops being exact (it may never move): count it as unknown.
  const exact = Math.abs(x) <= 2 ** 52 && Math.abs(y) <= 2 ** 52;
  const count = exact ? Math.floor(Math.abs(y - x) / incr) + 1 : Infinity;
  return { x, y, incr, alpha, pad, width, count };
}

/** A list of expansions: the strings themselves, or only how many are empty and how many are not. */
interface Algebra<L> {
  /** `['']` */
  readonly unit: L;
  /** `[text]` */
  single(text: string): L;
  size(list: L): number;
  anyNonEmpty(list: L): boolean;
  /** Every `acc[a] + pre + values[v]`; with `drop`, an empty `acc[a] + pre` takes only non-empty values. */
  combine(acc: L, pre: string, values: L, drop: boolean): L;
  /** The members' expansions one after another; with `skipEmpty`, empty strings left out. */
  concat(members: L[], skipEmpty: boolean): L;
  sequence(seq: Sequence): L;
}

/** Counts: `ne` non-empty strings and `e` empty ones. */
interface Tally {
  ne: number;
  e: number;
}

const TALLY: Algebra<Tally> = {
  unit: { ne: 0, e: 1 },
  single: (text) => (text === "" ? { ne: 0, e: 1 } : { ne: 1, e: 0 }),
  size: (list) => sat(list.ne + list.e),
  anyNonEmpty: (list) => list.ne > 0,
  combine(acc, pre, values, drop) {
    const all = values.ne + values.e;
    if (pre !== "") return { ne: sat((acc.ne + acc.e) * all), e: 0 };
    return { ne: sat(acc.ne * all + acc.e * values.ne), e: drop ? 0 : sat(acc.e * values.e) };
  },
  concat(members, skipEmpty) {
    let ne = 0;
    let e = 0;
    for (const m of members) {
      ne = sat(ne + m.ne);
      e = sat(e + m.e);
    }
    return { ne, e: skipEmpty ? 0 : e };
  },
  sequence(seq) {
    const lo = Math.min(seq.x, seq.y);
    const hi = Math.max(seq.x, seq.y);
    // An alphabetic sequence's `\` (between `Z` and `a`) is the one value that comes out empty.
    const backslash = seq.alpha && 92 >= lo && 92 <= hi && Math.abs(92 - seq.x) % seq.incr === 0 ? 1 : 0;
    return { ne: sat(seq.count - backslash), e: backslash };
  },
};

/** The strings themselves, never more than `cap` in one list; every character built is a step. */
function stringAlgebra(cap: number, meter: Meter): Algebra<string[]> {
  const checked = (list: string[]): string[] => {
    if (list.length > cap) throw OVER_CAP;
    return list;
  };
  return {
    unit: [""],
    single: (text) => [text],
    size: (list) => list.length,
    anyNonEmpty: (list) => list.some((s) => s !== ""),
    combine(acc, pre, values, drop) {
      const out: string[] = [];
      for (const a of acc) {
        const prefix = a + pre;
        for (const v of values) {
          if (drop && prefix === "" && v === "") continue;
          meter.charge(prefix.length + v.length + 1);
          out.push(prefix + v);
          if (out.length > cap) throw OVER_CAP;
        }
      }
      return out;
    },
    concat: (members, skipEmpty) => checked(members.flat().filter((s) => !skipEmpty || s !== "")),
    sequence(seq) {
      if (!(seq.count <= cap)) throw OVER_CAP;
      const out: string[] = [];
      const step = seq.y < seq.x ? -seq.incr : seq.incr;
      for (let k = 0, i = seq.x; k < seq.count; k++, i += step) {
        meter.charge(seq.width + 1);
        if (seq.alpha) {
          out.push(i === 92 ? "" : String.fromCharCode(i));
          continue;
        }
        let c = String(i);
        const need = seq.pad ? seq.width - c.length : 0;
        if (need > 0) c = i < 0 ? `-${"0".repeat(need)}${c.slice(1)}` : "0".repeat(need) + c;
        out.push(c);
      }
      return out;
    },
  };
}

/**
 * For each `{` of `str` at or after `from`, the index of its `}`, or -1 when it has none: the
 * pairs brace-expansion's scan finds (an unmatched `{` is literal and does not disturb the rest).
 */
function matchBraces(str: string, from: number, meter: Meter): Int32Array {
  meter.charge(str.length - from);
  const match = new Int32Array(str.length).fill(-1);
  const open: number[] = [];
  for (let i = from; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 0x7b) open.push(i);
    else if (c === 0x7d && open.length > 0) match[open.pop() as number] = i;
  }
  return match;
}

/** Whether `str` has a `,` not followed by `,` with a `}` after it on its line (brace-expansion's `commaSetFollows`). */
function commaSetFollows(str: string, meter: Meter): boolean {
  meter.charge(str.length);
  let close = false;
  for (let i = str.length - 1; i >= 0; i--) {
    const c = str.charCodeAt(i);
    if (c === 0x7d) close = true;
    else if (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) close = false;
    else if (c === 0x2c && close && str.charCodeAt(i + 1) !== 0x2c) return true;
  }
  return false;
}

/** The members of a set's body: split at its commas outside nested braces (a body's braces all pair up). */
function commaParts(body: string, meter: Meter): string[] {
  meter.charge(body.length);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x7b) depth++;
    else if (c === 0x7d) depth--;
    else if (c === 0x2c && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** brace-expansion's `expand_`, over an algebra of lists. */
class Expander<L> {
  constructor(
    private readonly alg: Algebra<L>,
    private readonly meter: Meter,
    /** Expands for real: where a single member's results are wrapped and expanded again. */
    private readonly strings: () => Expander<string[]>,
  ) {}

  private seen(list: L): L {
    this.meter.saw(this.alg.size(list));
    return list;
  }

  expand(input: string, depth: number, top: boolean): L {
    const { alg, meter } = this;
    meter.charge(CALL_STEPS + input.length);
    // most members hold no brace at all: nothing to scan for
    if (depth > MAX_DEPTH || !input.includes("{")) return alg.single(input);
    let str = input;
    let isTop = top;
    let match = matchBraces(str, 0, meter);
    let acc = alg.unit;
    let rewrites = 0;
    let dropEmpties = false;
    let firstGroup = true;
    let pos = 0;
    let scan = 0;
    for (;;) {
      // the first `{` with a partner, from where the scan is
      if (scan < pos) scan = pos;
      while (scan < str.length && !(str.charCodeAt(scan) === 0x7b && (match[scan] as number) >= 0)) scan++;
      meter.charge(1);
      if (scan >= str.length) return this.seen(alg.combine(acc, str.slice(pos), alg.unit, dropEmpties));
      const open = scan;
      const close = match[open] as number;
      const pre = str.slice(pos, open);
      const body = str.slice(open + 1, close);
      const postEmpty = close + 1 === str.length;
      meter.charge(close - pos + 1);
      const literal = (): L => this.seen(alg.combine(acc, str.slice(pos), alg.unit, dropEmpties));
      if (pre.endsWith("$")) {
        acc = this.seen(alg.combine(acc, str.slice(pos, close + 1), alg.unit, dropEmpties && postEmpty));
        firstGroup = false;
        if (postEmpty) break;
        pos = close + 1;
        continue;
      }
      const isNumeric = NUMERIC_SEQUENCE.test(body);
      const isAlpha = ALPHA_SEQUENCE.test(body);
      const isSequence = isNumeric || isAlpha;
      if (!isSequence && !body.includes(",")) {
        // `{a},b}`: the `}` becomes literal and the set reaches to the next one
        if (rewrites < MAX_REWRITES && commaSetFollows(str.slice(close + 1), meter)) {
          rewrites++;
          str = str.slice(0, close) + ESCAPED + str.slice(close + 1);
          match = matchBraces(str, pos, meter);
          isTop = true;
          continue;
        }
        return literal();
      }
      if (firstGroup) {
        dropEmpties = isTop && !isSequence;
        firstGroup = false;
      }
      let values: L;
      if (isSequence) {
        values = this.seen(alg.sequence(parseSequence(body, isAlpha)));
      } else {
        let members = commaParts(body, meter);
        if (members.length === 1) {
          // `x{{a,b}}y`: the member's results, each wrapped in braces, are expanded again
          members = this.strings().expand(members[0] as string, depth + 1, false).map((s) => `{${s}}`);
          if (members.length === 1) {
            acc = this.seen(alg.combine(acc, pre + (members[0] as string), alg.unit, dropEmpties && postEmpty));
            if (postEmpty) break;
            pos = close + 1;
            continue;
          }
        }
        const skipEmpty = dropEmpties && postEmpty && pre === "" && !alg.anyNonEmpty(acc);
        values = this.seen(alg.concat(members.map((member) => this.expand(member, depth + 1, false)), skipEmpty));
      }
      acc = this.seen(alg.combine(acc, pre, values, dropEmpties && postEmpty));
      if (postEmpty) break;
      pos = close + 1;
    }
    return acc;
  }
}

/**
 * Counts the patterns of `minimatch.braceExpand(glob)` (minimatch 11, default options) without
 * expanding it: time and memory linear in the glob's length. `patterns` is exact wherever the real
 * expansion is not cut off by brace-expansion's own limits (100,000 results, 4M characters, 20M steps);
 * those only cut what is already far over any sane bound.
 */
export function countBraceExpansion(glob: string, options: BraceCountOptions = {}): BraceCount {
  const cap = options.cap ?? 256;
  if (!glob.includes("{") || !HAS_BRACE_SET.test(glob)) return { patterns: 1, peak: 1, tooComplex: false, steps: glob.length };
  const meter = new Meter(Math.min((options.stepsPerChar ?? 32) * glob.length + 512, options.maxSteps ?? Infinity));
  // minimatch doubles each `\\` so an escaped backslash stays escaped through brace-expansion
  let text = glob.replace(/\\\\/g, "\\\\\\\\");
  if (text.startsWith("{}")) text = `\\{\\}${text.slice(2)}`;
  text = text.replace(/\\\\/g, ESCAPED).replace(/\\[{},.]/g, ESCAPED);
  let strings: Expander<string[]> | undefined;
  const stringExpander = (): Expander<string[]> => (strings ??= new Expander(stringAlgebra(cap, meter), meter, stringExpander));
  const counter = new Expander(TALLY, meter, stringExpander);
  try {
    const tally = counter.expand(text, 0, true);
    const patterns = TALLY.size(tally);
    return { patterns, peak: Math.max(meter.peak, patterns), tooComplex: false, steps: meter.used };
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { patterns: Infinity, peak: Infinity, tooComplex: error.reason === "budget", steps: meter.used };
  }
}
