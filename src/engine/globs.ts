// Matching many policy globs against many paths fast: each distinct glob is compiled once
// and indexed by its literal path segments, so a path is only tested against globs that can match it.
// The dialect itself (options, compiling one glob) is the policy language's: policy/glob-dialect.ts.
import { GLOBSTAR, type Minimatch } from "minimatch";
import { compilePolicyGlob } from "../policy/glob-dialect.js";

/** Compiles globs: through a cache, or not. */
export interface GlobCompiler {
  /** The compiled glob; throws on a pattern minimatch rejects. */
  compile(glob: string): Minimatch;
}

/** What a compiled glob keeps in memory, in characters: its text and the patterns its braces expand to. */
function weightOf(mm: Minimatch): number {
  let weight = mm.pattern.length;
  for (const pattern of mm.globSet) weight += pattern.length + 1;
  return weight;
}

/**
 * Compiled globs by text, kept across policy sets: the app reads its policies afresh for every
 * event, and their globs rarely change. Two generations bound it, each to `maxEntries` globs and
 * `maxWeight` characters: when the young one is full it becomes the old one, and globs used from
 * the old one move back. A glob heavier than a generation is compiled but never kept.
 */
export class GlobCache implements GlobCompiler {
  private young = new Map<string, Minimatch>();
  private old = new Map<string, Minimatch>();
  private youngWeight = 0;

  constructor(
    private readonly maxEntries = 4096,
    private readonly maxWeight = 500_000,
  ) {}

  /** Whether `glob` is kept, compiled. */
  has(glob: string): boolean {
    return this.young.has(glob) || this.old.has(glob);
  }

  compile(glob: string): Minimatch {
    let mm = this.young.get(glob);
    if (mm) return mm;
    mm = this.old.get(glob) ?? compilePolicyGlob(glob);
    const weight = weightOf(mm);
    if (weight > this.maxWeight) return mm;
    if (this.young.size >= this.maxEntries || this.youngWeight + weight > this.maxWeight) {
      this.old = this.young;
      this.young = new Map();
      this.youngWeight = 0;
    }
    this.young.set(glob, mm);
    this.youngWeight += weight;
    return mm;
  }
}

/**
 * The cache of the engine, shared by every policy set a process judges with. Only policies read from
 * a base branch (or a local folder) come here: globs read from a pull request's head are compiled
 * with `privateGlobs()`, so a hostile head can neither evict nor bloat it (SPEC §1.2).
 */
export const sharedGlobs = new GlobCache();

/** A compiler for one use, whose compiled globs go when it does: for globs read from a pull request's head. */
export function privateGlobs(): GlobCompiler {
  const compiled = new Map<string, Minimatch>();
  return {
    compile(glob) {
      let mm = compiled.get(glob);
      if (!mm) compiled.set(glob, (mm = compilePolicyGlob(glob)));
      return mm;
    },
  };
}

/** Compiles one glob with the policy language's options, through the engine's shared cache; throws on a pattern minimatch rejects. */
export function compileGlob(glob: string): Minimatch {
  return sharedGlobs.compile(glob);
}

/** Splits a path into portions exactly as minimatch does (runs of `/` are one separator). */
export function pathPortions(path: string): string[] {
  return path.includes("//") ? path.split(/\/+/) : path.split("/");
}

/** A set of distinct globs, matched together against one path at a time. */
export interface GlobSet {
  /** The distinct globs, in order of first appearance; a glob's id is its index here. */
  readonly globs: readonly string[];
  /** The id of a glob, or -1 when it is not in the set. */
  idOf(glob: string): number;
  /** Ids of every glob that matches `path`, ascending. */
  matching(path: string): number[];
  /** Ids of every glob that matches `path`, in no particular order (cheaper than `matching`). */
  matchingUnsorted(path: string): readonly number[];
  /** Whether any glob of the set matches `path`. */
  matchesAny(path: string): boolean;
}

/**
 * A row the index cannot decide alone, with cheap necessary conditions checked before the
 * compiled glob: literal portions it still needs (the path must contain them), and the
 * literal end of its last portion when that is `...*suffix` (the path must end with it,
 * ignoring trailing slashes).
 */
interface Candidate {
  id: number;
  needs: string[];
  suffix: string | undefined;
}

/**
 * One level of the index. A compiled glob is a set of rows (one per brace alternative), each
 * a list of portions: a literal string, a matcher for one portion, or `**`. A row is filed
 * under the walk of its portions up to its first `**`, or to its end. Literal portions are
 * edges keyed by the string; every other single portion shares the one `wild` edge, which
 * accepts any non-empty portion. The walk is a superset of what a row can match, so:
 * - a row of literals then a final `**` (`under`) matches exactly when one or more portions
 *   follow and `**` can walk them all (none is `.` or `..`);
 * - a row of literals only (`exact`) matches exactly when the path ends there, or has only
 *   the empty portion of a trailing `/` left (as minimatch has it);
 * - any other row is a candidate, decided by the compiled glob: `rest` when it has a `**`
 *   at this level (any continuation may match), `end` when the path must end here.
 */
interface IndexNode {
  literal: Map<string, IndexNode> | undefined;
  wild: IndexNode | undefined;
  under: number[];
  exact: number[];
  rest: Candidate[];
  end: Candidate[];
}

const newNode = (): IndexNode => ({ literal: undefined, wild: undefined, under: [], exact: [], rest: [], end: [] });

const addOnce = (bucket: number[], id: number): void => {
  if (!bucket.includes(id)) bucket.push(id);
};

/** Characters that make a glob portion more than `*` and a literal. */
const MAGIC = /[\\[\]{}()*?!+@|]/;

/** The literal text a portion pattern `...*suffix` must end with, if its text shows one. */
function literalSuffix(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const star = text.lastIndexOf("*");
  if (star === -1) return undefined;
  const suffix = text.slice(star + 1);
  return suffix !== "" && !MAGIC.test(suffix) ? suffix : undefined;
}

/** Whether `path`, less any trailing slashes, ends with `suffix`. */
function endsWith(path: string, suffix: string): boolean {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return end >= suffix.length && path.startsWith(suffix, end - suffix.length);
}

function mayMatch(c: Candidate, path: string): boolean {
  if (c.suffix !== undefined && !endsWith(path, c.suffix)) return false;
  for (const literal of c.needs) if (!path.includes(literal)) return false;
  return true;
}

class IndexedGlobSet implements GlobSet {
  readonly globs: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly matchers: Minimatch[];
  private readonly root: IndexNode = newNode();
  /** Globs the index cannot place (empty pattern, unusual platforms): tested against every path. */
  private readonly always: Candidate[] = [];
  /** Marks of the current call: a glob known to match, and a glob already tested. */
  private readonly matched: Uint32Array;
  private readonly tested: Uint32Array;
  private stamp = 0;
  /** Buffers reused between calls (counts, not lengths, say how much is in use). */
  private readonly hits: number[] = [];
  private nHits = 0;
  private readonly tests: Candidate[] = [];
  private nTests = 0;
  private level: IndexNode[] = [];
  private next: IndexNode[] = [];

  constructor(globs: readonly string[], matchers: Minimatch[], ids: Map<string, number>) {
    this.globs = globs;
    this.matchers = matchers;
    this.ids = ids;
    this.matched = new Uint32Array(globs.length);
    this.tested = new Uint32Array(globs.length);
    matchers.forEach((mm, id) => this.file(mm, id));
  }

  private file(mm: Minimatch, id: number): void {
    if (mm.isWindows || mm.negate || mm.comment || mm.empty || mm.set.length === 0) {
      this.always.push({ id, needs: [], suffix: undefined });
      return;
    }
    // the text of each portion, when minimatch keeps it row for row (for the suffix)
    const texts = mm.globParts.length === mm.set.length ? mm.globParts : undefined;
    mm.set.forEach((row, r) => {
      let node = this.root;
      let literal = true;
      let globstarAt = -1;
      for (let k = 0; k < row.length; k++) {
        const part = row[k];
        if (part === GLOBSTAR) {
          globstarAt = k;
          break;
        }
        if (typeof part === "string") {
          node.literal ??= new Map();
          let next = node.literal.get(part);
          if (!next) node.literal.set(part, (next = newNode()));
          node = next;
        } else {
          literal = false;
          node = node.wild ??= newNode();
        }
      }
      if (globstarAt === -1 && literal) return addOnce(node.exact, id);
      if (globstarAt === row.length - 1 && literal) return addOnce(node.under, id);
      const lastPart = row[row.length - 1];
      const text = texts?.[r];
      const candidate: Candidate = {
        id,
        needs: globstarAt === -1 ? [] : row.slice(globstarAt + 1).filter((p): p is string => typeof p === "string" && p !== ""),
        suffix:
          typeof lastPart === "object" && text?.length === row.length ? literalSuffix(text[row.length - 1]) : undefined,
      };
      (globstarAt === -1 ? node.end : node.rest).push(candidate);
    });
  }

  idOf(glob: string): number {
    return this.ids.get(glob) ?? -1;
  }

  matching(path: string): number[] {
    const n = this.collect(path);
    const hits = this.hits.slice(0, n);
    return n > 1 ? hits.sort((a, b) => a - b) : hits;
  }

  matchingUnsorted(path: string): readonly number[] {
    return this.hits.slice(0, this.collect(path));
  }

  matchesAny(path: string): boolean {
    this.walk(path);
    return this.nHits > 0 || this.test(path, true) > 0;
  }

  /** Leaves the ids of the globs matching `path` in `hits[0..n)` and returns n. */
  private collect(path: string): number {
    this.walk(path);
    return this.test(path, false);
  }

  /** Tests the rows the walk left in `tests`, each glob once; with `first`, stops at the first hit. */
  private test(path: string, first: boolean): number {
    const stamp = this.stamp;
    for (let t = 0; t < this.nTests; t++) {
      const c = this.tests[t] as Candidate;
      const id = c.id;
      if (this.matched[id] === stamp || this.tested[id] === stamp || !mayMatch(c, path)) continue;
      this.tested[id] = stamp;
      if ((this.matchers[id] as Minimatch).match(path)) {
        this.matched[id] = stamp;
        this.hits[this.nHits++] = id;
        if (first) break;
      }
    }
    return this.nHits;
  }

  private hit(ids: readonly number[]): void {
    const stamp = this.stamp;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k] as number;
      if (this.matched[id] === stamp) continue;
      this.matched[id] = stamp;
      this.hits[this.nHits++] = id;
    }
  }

  private queue(candidates: readonly Candidate[]): void {
    for (let k = 0; k < candidates.length; k++) this.tests[this.nTests++] = candidates[k] as Candidate;
  }

  /**
   * Walks the index along `path`: leaves the globs known to match it in `hits`, and the rows
   * that may in `tests`. A path without `//` and without `.` or `..` portions (every path git
   * lists) is walked without splitting it.
   */
  private walk(path: string): void {
    this.nHits = 0;
    this.nTests = 0;
    if (this.globs.length === 0) return;
    if (++this.stamp === 0xffffffff) {
      this.matched.fill(0);
      this.tested.fill(0);
      this.stamp = 1;
    }
    if (this.always.length > 0) this.queue(this.always);
    const portions = path.includes("//") || DOT_PORTION.test(path) ? pathPortions(path) : undefined;
    // `**` walks no `.` or `..` portion, so it can only start after the last of them
    let lastDots = -1;
    if (portions) for (let i = 0; i < portions.length; i++) if (portions[i] === "." || portions[i] === "..") lastDots = i;
    let level = this.level;
    let next = this.next;
    level[0] = this.root;
    let nLevel = 1;
    let start = 0; // where portion i starts in `path`; -1 past the last portion
    for (let i = 0; nLevel > 0; i++) {
      let portion: string | undefined;
      let last = false;
      if (portions) {
        portion = portions[i];
        last = i === portions.length - 1;
      } else if (start >= 0) {
        const slash = path.indexOf("/", start);
        if (slash === -1) {
          portion = start === 0 ? path : path.slice(start);
          last = true;
          start = -1;
        } else {
          portion = path.slice(start, slash);
          start = slash + 1;
        }
      }
      // a row that ends here matches a path that ends here, or has only a trailing `/` left
      const ends = portion === undefined || (last && portion === "");
      const walkable = portion !== undefined && i > lastDots;
      let nNext = 0;
      for (let l = 0; l < nLevel; l++) {
        const node = level[l] as IndexNode;
        if (walkable && node.under.length > 0) this.hit(node.under);
        if (ends && node.exact.length > 0) this.hit(node.exact);
        if (node.rest.length > 0) this.queue(node.rest);
        if (ends && node.end.length > 0) this.queue(node.end);
        if (portion === undefined) continue;
        const lit = node.literal?.get(portion);
        if (lit) next[nNext++] = lit;
        if (node.wild && portion !== "") next[nNext++] = node.wild;
      }
      const swap = level;
      level = next;
      next = swap;
      nLevel = nNext;
    }
    this.level = level;
    this.next = next;
  }
}

/** A `.` or `..` portion anywhere in a path. */
const DOT_PORTION = /(?:^|\/)\.\.?(?:\/|$)/;

/** Compiles globs into an indexed set (duplicates merged, ids by first appearance); throws on a pattern minimatch rejects. */
export function compileGlobs(globs: Iterable<string>, compiled?: ReadonlyMap<string, Minimatch>): GlobSet {
  const distinct: string[] = [];
  const ids = new Map<string, number>();
  const matchers: Minimatch[] = [];
  for (const glob of globs) {
    if (ids.has(glob)) continue;
    ids.set(glob, distinct.length);
    distinct.push(glob);
    matchers.push(compiled?.get(glob) ?? compileGlob(glob));
  }
  return new IndexedGlobSet(distinct, matchers, ids);
}
