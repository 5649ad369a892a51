// Which touched paths belong to each policy's scope and to each of its rules (SPEC §2 steps 1, 2, 5),
// for every policy of a set at once: each path is matched once against the distinct globs of all policies.
import type { Minimatch } from "minimatch";
import type { Policy } from "../policy/types.js";
import type { ChangedFile } from "./types.js";
import { compileGlobs, sharedGlobs, type GlobCompiler, type GlobSet } from "./globs.js";

/** Every path a change touches: each file's path and, for renames and copies, where it came from (SPEC §2 step 1). */
export function touchedPaths(files: readonly ChangedFile[]): string[] {
  const touched = new Set<string>();
  for (const file of files) {
    touched.add(file.path);
    if (file.previous_path !== undefined && file.previous_path !== "") touched.add(file.previous_path);
  }
  return [...touched];
}

/** The paths of one policy: in scope, and in scope for each rule (indexed like `policy.rules`). */
export interface PolicyPaths {
  inScope: string[];
  byRule: string[][];
  /**
   * Why the policy's path globs could not be compiled, when they could not: it then matched
   * nothing, and its environment must fail closed (a loader that validated them makes this unreachable).
   */
  globError?: string;
}

/** Why a glob could not be compiled. */
class GlobError extends Error {
  constructor(glob: string, reason: string) {
    // the glob cut short: a message stays readable, and costs nothing however long the glob
    const shown = glob.length > 60 ? `${JSON.stringify(glob.slice(0, 59)).slice(0, -1)}…"` : JSON.stringify(glob);
    super(`glob ${shown} cannot be compiled: ${reason}`);
  }
}

function compileOrThrow(glob: string, globs: GlobCompiler): Minimatch {
  try {
    return globs.compile(glob);
  } catch (e) {
    throw new GlobError(glob, e instanceof Error ? e.message : String(e));
  }
}

/**
 * Whether a policy judges pull requests into `base`: its `scope.branches`, else the default branch.
 * Only the branch globs are compiled (through `globs`, by default the engine's bounded shared
 * cache), never the path globs: every push asks this of the policies on the pushed branch, which
 * anyone who can push writes. A branch glob that cannot be compiled makes the policy apply to
 * every branch: its environment then fails closed rather than silently disappearing.
 */
export function policyAppliesTo(policy: Policy, base: string, defaultBranch: string, globs: GlobCompiler = sharedGlobs): boolean {
  const branches = policy.scope.branches;
  if (!branches) return base === defaultBranch;
  try {
    return branches.some((glob) => compileOrThrow(glob, globs).match(base));
  } catch (e) {
    if (e instanceof GlobError) return true;
    throw e;
  }
}

/** A policy's path globs: each slot without duplicates, in slot order, compiled; or why they cannot be. */
interface CompiledPolicy {
  /** scope.paths, scope.exclude, then paths and exclude of each rule, each without duplicates. */
  slots: string[][];
  matchers: Map<string, Minimatch>;
}

/** Compiles a policy's path globs through `globs`; throws GlobError. Duplicates cost one lookup each. */
function compilePolicy(policy: Policy, globs: GlobCompiler): CompiledPolicy {
  const slots = [policy.scope.paths, policy.scope.exclude, ...policy.rules.flatMap((r) => [r.paths, r.exclude])].map((slot) => [...new Set(slot)]);
  const matchers = new Map<string, Minimatch>();
  for (const slot of slots) for (const glob of slot) if (!matchers.has(glob)) matchers.set(glob, compileOrThrow(glob, globs));
  return { slots, matchers };
}

/** A rule of one of the policies, numbered across the set. */
interface RuleRef {
  policy: number;
  rule: number;
  /** Glob ids of its exclude. */
  exclude: number[];
}

/** The path globs of the policies asked for, in one index, built for one call and dropped with it. */
interface SetMatcher {
  /** Policies whose globs could not be compiled, by index, with why: they match nothing. */
  broken: Map<number, string>;
  globs: GlobSet;
  /** For each glob id, the policies whose scope.paths hold it: only those can take a path in. */
  scopeOf: number[][];
  /** For each policy, the glob ids of its scope.exclude (empty when broken or not asked for). */
  scopeExclude: number[][];
  /** Every rule of every policy asked for. */
  rules: RuleRef[];
  /** For glob id `g` and policy `p`, at key `g * policies.length + p`: the rules (indexes into `rules`) whose paths hold it. */
  rulesOf: Map<number, number[]>;
}

const NONE: readonly number[] = [];

/**
 * Indexes the path globs of the policies in `wanted` (default: all). Nothing of it is kept after
 * the call: compiled globs live only in `globs` (the engine's shared cache, bounded by count and
 * by weight, or a private compiler), so memory held for the policy sets the app caches is not
 * multiplied by their number.
 */
function setMatcher(policies: readonly Policy[], wanted: ReadonlySet<number> | undefined, globs: GlobCompiler): SetMatcher {
  const broken = new Map<number, string>();
  const compiled = policies.map((policy, i): CompiledPolicy | undefined => {
    if (wanted && !wanted.has(i)) return undefined;
    try {
      return compilePolicy(policy, globs);
    } catch (e) {
      if (!(e instanceof GlobError)) throw e;
      broken.set(i, e.message);
      return undefined;
    }
  });
  const allMatchers = new Map<string, Minimatch>();
  for (const c of compiled) for (const [glob, mm] of c?.matchers ?? []) if (!allMatchers.has(glob)) allMatchers.set(glob, mm);
  const set = compileGlobs(allMatchers.keys(), allMatchers);
  const idsOf = (slot: string[] | undefined): number[] => (slot ?? []).map((g) => set.idOf(g));
  const scopeOf: number[][] = set.globs.map(() => []);
  const rulesOf = new Map<number, number[]>();
  const rules: RuleRef[] = [];
  const scopeExclude = compiled.map((c, p): number[] => {
    if (!c) return [];
    for (const id of idsOf(c.slots[0])) (scopeOf[id] as number[]).push(p);
    for (let s = 2; s < c.slots.length; s += 2) {
      for (const id of idsOf(c.slots[s])) {
        const key = id * policies.length + p;
        const list = rulesOf.get(key);
        if (list) list.push(rules.length);
        else rulesOf.set(key, [rules.length]);
      }
      rules.push({ policy: p, rule: (s - 2) / 2, exclude: idsOf(c.slots[s + 1]) });
    }
    return idsOf(c.slots[1]);
  });
  return { broken, globs: set, scopeOf, scopeExclude, rules, rulesOf };
}

/**
 * Sorts touched paths into the scope and rules of each policy (SPEC §2 steps 2 and 5), in the
 * order of `paths`. Only policies whose index is in `wanted` (default: all) are filled, and only
 * their path globs are compiled; a policy whose globs cannot be compiled gets no paths and its
 * `globError`. Globs are compiled through `globs`: the engine's shared cache, or for policies
 * read from a pull request's head, `privateGlobs()` (SPEC §1.2).
 */
export function pathsByPolicy(
  policies: readonly Policy[],
  paths: readonly string[],
  wanted?: ReadonlySet<number>,
  globs: GlobCompiler = sharedGlobs,
): PolicyPaths[] {
  const m = setMatcher(policies, wanted, globs);
  const result: PolicyPaths[] = policies.map((p, i) => {
    const globError = m.broken.get(i);
    return { inScope: [], byRule: p.rules.map(() => []), ...(globError !== undefined ? { globError } : {}) };
  });
  // marks of the current path: glob ids that match it, policies that take it in, rules done
  const hit = new Uint32Array(m.globs.globs.length);
  const seenPolicy = new Uint32Array(policies.length);
  const taken: number[] = [];
  const seenRule = new Uint32Array(m.rules.length);
  let stamp = 0;
  const anyHit = (ids: readonly number[]): boolean => {
    for (const id of ids) if (hit[id] === stamp) return true;
    return false;
  };
  for (const path of paths) {
    stamp++;
    const matched = m.globs.matchingUnsorted(path);
    if (matched.length === 0) continue;
    for (const id of matched) hit[id] = stamp;
    let nTaken = 0;
    for (const id of matched) {
      for (const p of m.scopeOf[id] as number[]) {
        if (seenPolicy[p] === stamp) continue;
        seenPolicy[p] = stamp;
        if (anyHit(m.scopeExclude[p] as number[])) continue;
        taken[nTaken++] = p;
        (result[p] as PolicyPaths).inScope.push(path);
      }
    }
    for (let t = 0; t < nTaken; t++) {
      const p = taken[t] as number;
      for (const id of matched) {
        for (const r of m.rulesOf.get(id * policies.length + p) ?? NONE) {
          if (seenRule[r] === stamp) continue;
          seenRule[r] = stamp;
          const ref = m.rules[r] as RuleRef;
          if (!anyHit(ref.exclude)) ((result[p] as PolicyPaths).byRule[ref.rule] as string[]).push(path);
        }
      }
    }
  }
  return result;
}
