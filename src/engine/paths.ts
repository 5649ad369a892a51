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
}

/** A policy's globs, compiled once per Policy object. */
interface CompiledPolicy {
  /** Base-branch globs; undefined means the default branch. */
  branches: GlobSet | undefined;
  /** Its path globs in slot order: scope.paths, scope.exclude, then paths and exclude of each rule. */
  slots: string[][];
  matchers: Map<string, Minimatch>;
}

/** Why a policy's globs could not be compiled (a loader that validated them makes this unreachable). */
class GlobError extends Error {
  constructor(
    readonly glob: string,
    readonly reason: string,
  ) {
    super(`glob ${JSON.stringify(glob)} cannot be compiled: ${reason}`);
  }
}

const compiledPolicies = new WeakMap<Policy, CompiledPolicy>();

/** A policy's globs compiled through `globs` the first time it is seen (by object identity); throws GlobError. */
function compilePolicy(policy: Policy, globs: GlobCompiler = sharedGlobs): CompiledPolicy {
  let compiled = compiledPolicies.get(policy);
  if (compiled) return compiled;
  const slots = [policy.scope.paths, policy.scope.exclude, ...policy.rules.flatMap((r) => [r.paths, r.exclude])];
  const matchers = new Map<string, Minimatch>();
  const compileOne = (glob: string): void => {
    if (matchers.has(glob)) return;
    try {
      matchers.set(glob, globs.compile(glob));
    } catch (e) {
      throw new GlobError(glob, e instanceof Error ? e.message : String(e));
    }
  };
  slots.flat().forEach(compileOne);
  let branches: GlobSet | undefined;
  if (policy.scope.branches) {
    const branchMatchers = new Map<string, Minimatch>();
    for (const glob of policy.scope.branches) {
      compileOne(glob);
      branchMatchers.set(glob, matchers.get(glob) as Minimatch);
    }
    branches = compileGlobs(policy.scope.branches, branchMatchers);
  }
  compiled = { branches, slots: slots.map((s) => [...s]), matchers };
  compiledPolicies.set(policy, compiled);
  return compiled;
}

/** Whether a policy judges pull requests into `base` (its `scope.branches`, else the default branch); throws GlobError. */
export function policyAppliesTo(policy: Policy, base: string, defaultBranch: string): boolean {
  const { branches } = compilePolicy(policy);
  return branches ? branches.matchesAny(base) : base === defaultBranch;
}

/** A rule of one of the policies, numbered across the set. */
interface RuleRef {
  policy: number;
  rule: number;
  /** Glob ids of its exclude. */
  exclude: number[];
}

/** The globs of several policies in one index. */
interface SetMatcher {
  policies: readonly Policy[];
  /** Policies whose globs could not be compiled, by index: they match nothing. */
  broken: Map<number, GlobError>;
  globs: GlobSet;
  /** For each glob id, the policies whose scope.paths hold it: only those can take a path in. */
  scopeOf: number[][];
  /** For each policy, the glob ids of its scope.exclude (empty when broken). */
  scopeExclude: number[][];
  /** Every rule of every policy. */
  rules: RuleRef[];
  /** For glob id `g` and policy `p`, at key `g * policies.length + p`: the rules (indexes into `rules`) whose paths hold it. */
  rulesOf: Map<number, number[]>;
}

const NONE: readonly number[] = [];

const setMatchers = new WeakMap<readonly Policy[], SetMatcher>();

function setMatcher(policies: readonly Policy[], globs: GlobCompiler): SetMatcher {
  const cached = setMatchers.get(policies);
  if (cached && cached.policies.length === policies.length && cached.policies.every((p, i) => p === policies[i])) {
    return cached;
  }
  const broken = new Map<number, GlobError>();
  const compiled = policies.map((policy, i): CompiledPolicy | undefined => {
    try {
      return compilePolicy(policy, globs);
    } catch (e) {
      if (!(e instanceof GlobError)) throw e;
      broken.set(i, e);
      return undefined;
    }
  });
  const allMatchers = new Map<string, Minimatch>();
  for (const c of compiled) for (const [glob, mm] of c?.matchers ?? []) if (!allMatchers.has(glob)) allMatchers.set(glob, mm);
  const set = compileGlobs(
    compiled.flatMap((c) => c?.slots.flat() ?? []),
    allMatchers,
  );
  const idsOf = (slot: string[] | undefined): number[] => [...new Set((slot ?? []).map((g) => set.idOf(g)))];
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
  const matcher: SetMatcher = { policies: [...policies], broken, globs: set, scopeOf, scopeExclude, rules, rulesOf };
  setMatchers.set(policies, matcher);
  return matcher;
}

/** The GlobError of a policy whose globs cannot be compiled, else undefined (a validated policy never has one). */
export function globErrorOf(policy: Policy): GlobError | undefined {
  try {
    compilePolicy(policy);
    return undefined;
  } catch (e) {
    if (e instanceof GlobError) return e;
    throw e;
  }
}

/**
 * Sorts touched paths into the scope and rules of each policy (SPEC §2 steps 2 and 5), in the
 * order of `paths`. Only policies whose index is in `wanted` (default: all) are filled; a policy
 * whose globs cannot be compiled gets no paths (see globErrorOf). Compiled globs are cached for
 * the `policies` array and for each Policy object; they are compiled through `globs`: the engine's
 * shared cache, or for policies read from a pull request's head, `privateGlobs()` (SPEC §1.2).
 */
export function pathsByPolicy(
  policies: readonly Policy[],
  paths: readonly string[],
  wanted?: ReadonlySet<number>,
  globs: GlobCompiler = sharedGlobs,
): PolicyPaths[] {
  const m = setMatcher(policies, globs);
  const result: PolicyPaths[] = policies.map((p) => ({ inScope: [], byRule: p.rules.map(() => []) }));
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
        if ((wanted && !wanted.has(p)) || anyHit(m.scopeExclude[p] as number[])) continue;
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
