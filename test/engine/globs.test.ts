// The glob index must agree with plain minimatch on every path and glob (SPEC §1.2).
import fc from "fast-check";
import { Minimatch, minimatch } from "minimatch";
import { GLOB_OPTIONS } from "../../src/policy/glob-dialect.js";
import { compileGlob, compileGlobs, GlobCache, pathPortions, sharedGlobs } from "../../src/engine/globs.js";
import { pathsByPolicy, touchedPaths } from "../../src/engine/paths.js";
import { loadPolicySet } from "../../src/policy/load.js";
import { policyWarnings } from "../../src/engine/warnings.js";
import { policy, rule } from "./build.js";
import { largeChange, largePolicySet, lcg } from "./workload.js";

const plain = (path: string, glob: string): boolean => minimatch(path, glob, { dot: true });

/** Portions of paths: ordinary names, dot files, look-alikes of glob syntax, and the odd ones. */
const pathPortion = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("a", "b", "ab", "ba", "c.yaml", "c.yml", "x.md", "secrets", "production", "api.sops.yaml") },
  { weight: 2, arbitrary: fc.constantFrom(".hidden", ".a", "A", "a b", "*", "[a]", "{a,b}", "a.md.bak", "kustomization.yaml") },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "..") },
);
const pathArb = fc.array(pathPortion, { minLength: 1, maxLength: 6 }).map((p) => p.join("/"));

/** Portions of globs: literals, wildcards, classes, braces (some with a `/`), extglobs and escapes. */
const globPortion = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", "ab", "secrets", "production", ".hidden", "c.yaml", "x.md", "A") },
  { weight: 6, arbitrary: fc.constantFrom("*", "**", "*.yaml", "*.md", "*.sops.yaml", "a*", "*b", "?", "??", ".*") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "[ab]",
      "[!a]*",
      "{a,b}",
      "{a,b/c}",
      "{secrets,x.md}",
      "*.{yaml,yml}",
      "@(a|b)",
      "+(a|b)",
      "!(a)",
      "\\*",
      "[*]",
      "a\\b",
      "{0..3}",
      "c.y?ml",
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "**/**") },
);
const globArb = fc
  .array(globPortion, { minLength: 1, maxLength: 5 })
  .map((p) => p.join("/"))
  // a policy glob never starts with `!` (validation) or `#`, which plain minimatch reads as negation and comment
  .filter((g) => !g.startsWith("!") && !g.startsWith("#"));

describe("compileGlobs", () => {
  it("agrees with minimatch(path, glob, {dot: true}) for random paths and globs", () => {
    fc.assert(
      fc.property(fc.array(globArb, { minLength: 1, maxLength: 12 }), fc.array(pathArb, { minLength: 1, maxLength: 12 }), (globs, paths) => {
        const set = compileGlobs(globs);
        for (const path of paths) {
          const expected = set.globs.filter((g) => plain(path, g));
          expect([path, set.matching(path).map((id) => set.globs[id])]).toEqual([path, expected]);
          expect([path, set.matchesAny(path)]).toEqual([path, expected.length > 0]);
          expect([...set.matchingUnsorted(path)].sort((a, b) => a - b)).toEqual(set.matching(path));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("agrees with minimatch on paths built from the globs' own portions", () => {
    // paths made of the globs' literal text hit the literal edges of the index far more often
    const words = fc.constantFrom("a", "b", "ab", "secrets", "production", ".hidden", "c.yaml", "x.md", "c", "*", "0", "3");
    const samePath = fc.array(words, { minLength: 1, maxLength: 5 }).map((p) => p.join("/"));
    fc.assert(
      fc.property(fc.array(globArb, { minLength: 1, maxLength: 8 }), fc.array(samePath, { minLength: 1, maxLength: 12 }), (globs, paths) => {
        const set = compileGlobs(globs);
        for (const path of paths) {
          expect([path, set.matching(path).map((id) => set.globs[id])]).toEqual([path, set.globs.filter((g) => plain(path, g))]);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("merges duplicate globs and numbers them by first appearance", () => {
    const set = compileGlobs(["b/**", "a/**", "b/**"]);
    expect(set.globs).toEqual(["b/**", "a/**"]);
    expect(set.idOf("a/**")).toBe(1);
    expect(set.idOf("c/**")).toBe(-1);
    expect(set.matching("a/x")).toEqual([1]);
    expect(compileGlobs([]).matching("a")).toEqual([]);
  });

  it.each([
    ["clusters/production/**", "clusters/production/api.yaml", true],
    ["clusters/production/**", "clusters/production", false],
    ["clusters/production/**", "clusters/production/.env", true],
    ["clusters/*/api.yaml", "clusters/production/api.yaml", true],
    ["clusters/*/api.yaml", "clusters/a/b/api.yaml", false],
    ["**/*.md", "README.md", true],
    ["**/*.md", "docs/.notes.md", true],
    ["**/secrets/**", "a/secrets/b", true],
    ["**/secrets/**", "a/secrets", false],
    ["Clusters/**", "clusters/a", false],
    ["apps/{api,web}/**", "apps/web/x", true],
    ["", "", true],
    ["#comment", "#comment", true],
  ])("%s against %s is %s (dot files, case, no comments)", (glob, path, expected) => {
    expect(compileGlobs([glob]).matchesAny(path)).toBe(expected);
  });

  it("splits paths as minimatch does", () => {
    expect(pathPortions("a//b/")).toEqual(["a", "b", ""]);
    expect(pathPortions("a/b")).toEqual(["a", "b"]);
  });

  it("agrees with minimatch on a large policy set and change", () => {
    const set = largePolicySet(10, 20);
    const globs = [...new Set(set.policies.flatMap((p) => [...p.scope.paths, ...p.scope.exclude, ...p.rules.flatMap((r) => [...r.paths, ...r.exclude])]))];
    const compiled = compileGlobs(globs);
    const paths = largeChange(400, 10).files.map((f) => f.path);
    for (const path of paths) {
      expect([path, compiled.matching(path).map((id) => compiled.globs[id])]).toEqual([path, globs.filter((g) => plain(path, g))]);
    }
  });
});

describe("pathsByPolicy", () => {
  /** SPEC §2 steps 2 and 5 by the definition, with plain minimatch. */
  const naive = (policies: ReturnType<typeof policy>[], paths: string[]) =>
    policies.map((p) => {
      const inScope = paths.filter((f) => p.scope.paths.some((g) => plain(f, g)) && !p.scope.exclude.some((g) => plain(f, g)));
      return {
        inScope,
        byRule: p.rules.map((r) => inScope.filter((f) => r.paths.some((g) => plain(f, g)) && !r.exclude.some((g) => plain(f, g)))),
      };
    });

  const globs = fc.array(globArb, { minLength: 1, maxLength: 3 });
  const policyArb = fc.record({
    paths: globs,
    exclude: fc.array(globArb, { maxLength: 2 }),
    rules: fc.array(fc.record({ paths: globs, exclude: fc.array(globArb, { maxLength: 2 }) }), { minLength: 1, maxLength: 4 }),
  });

  it("sorts paths into scopes and rules exactly as the definition does", () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 4 }), fc.array(pathArb, { maxLength: 15 }), (shapes, paths) => {
        const policies = shapes.map((s, i) =>
          policy({
            environment: `env${i}`,
            paths: s.paths,
            exclude: s.exclude,
            rules: s.rules.map((r, j) => rule(`r${j}`, r.paths, 1, { users: ["x"] }, r.exclude)),
          }),
        );
        const unique = [...new Set(paths)];
        expect(pathsByPolicy(policies, unique)).toEqual(naive(policies, unique));
      }),
      { numRuns: 500 },
    );
  });

  it("fills only the policies asked for, and keeps the cache per policies array honest", () => {
    const a = policy({ environment: "a", paths: ["a/**"], rules: [rule("r", ["a/**"], 1)] });
    const b = policy({ environment: "b", paths: ["b/**"], rules: [rule("r", ["b/**"], 1)] });
    const list = [a, b];
    expect(pathsByPolicy(list, ["a/x", "b/y"], new Set([1]))).toEqual([
      { inScope: [], byRule: [[]] },
      { inScope: ["b/y"], byRule: [["b/y"]] },
    ]);
    list.reverse(); // the same array with other contents must not reuse the index built for it
    expect(pathsByPolicy(list, ["a/x"])[1]).toEqual({ inScope: ["a/x"], byRule: [["a/x"]] });
  });

  it("keeps no compiled glob of its own: each call compiles through the compiler it is given, each distinct glob once", () => {
    const compiled: string[] = [];
    const counting = { compile: (glob: string) => (compiled.push(glob), new Minimatch(glob, GLOB_OPTIONS)) };
    const p = policy({ environment: "p", paths: ["a/**", "a/**", "b/**"], exclude: ["a/**"], rules: [rule("r", ["a/**", "c/**"], 1)] });
    const q = policy({ environment: "q", paths: ["q/**"], rules: [rule("r", ["q/**"], 1)] });
    for (let call = 0; call < 2; call++) pathsByPolicy([p, q], ["a/x"], new Set([0]), counting);
    // only the policy asked for; its duplicates once; and again on the second call (the engine held nothing)
    expect(compiled).toEqual(["a/**", "b/**", "c/**", "a/**", "b/**", "c/**"]);
  });

  it("a policy whose globs cannot be compiled gets no paths and says why; the others are filled", () => {
    const bad = policy({ environment: "bad", paths: ["a".repeat(70_000)], rules: [rule("r", ["**"], 1)] });
    const good = policy({ environment: "good", paths: ["**"], rules: [rule("r", ["**"], 1)] });
    const [broken, fine] = pathsByPolicy([bad, good], ["a/x"]);
    expect(broken).toEqual({ inScope: [], byRule: [[]], globError: expect.stringMatching(/^glob "a{59}…" cannot be compiled: pattern is too long$/) });
    expect(fine).toEqual({ inScope: ["a/x"], byRule: [["a/x"]] });
  });

  it("touches each file's path and previous path once", () => {
    expect(
      touchedPaths([
        { path: "b", status: "renamed", previous_path: "a" },
        { path: "a", status: "added" },
        { path: "c", status: "modified" },
      ]),
    ).toEqual(["b", "a", "c"]);
  });

  it("random large policy sets agree with the definition", () => {
    const rnd = lcg(7);
    const set = largePolicySet(6, 8);
    const paths = [...new Set(largeChange(300, 6).files.map((f) => f.path))];
    // shuffle, so that nothing depends on the order of the paths
    for (let i = paths.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [paths[i], paths[j]] = [paths[j] as string, paths[i] as string];
    }
    expect(pathsByPolicy(set.policies, paths)).toEqual(naive(set.policies, paths));
  });
});

describe("the compiled-glob cache (SPEC §1.2: bounded, and never fed from a pull request's head)", () => {
  it("keeps at most two generations of `maxEntries` globs", () => {
    const cache = new GlobCache(2, 1_000_000);
    for (const glob of ["a/**", "b/**", "c/**", "d/**", "e/**"]) cache.compile(glob);
    expect(["a/**", "b/**", "c/**", "d/**", "e/**"].map((g) => cache.has(g))).toEqual([false, false, true, true, true]);
  });

  it("keeps at most two generations of `maxWeight` characters of patterns, and never one heavier than that", () => {
    const cache = new GlobCache(100, 40);
    cache.compile("{a,b,c,d}/x/**"); // 14 + 4 × 8 = 46 characters: compiled, not kept
    expect(cache.has("{a,b,c,d}/x/**")).toBe(false);
    for (const glob of ["aaaa/**", "bbbb/**", "cccc/**", "dddd/**", "eeee/**"]) cache.compile(glob); // 15 each
    expect(["aaaa/**", "bbbb/**", "cccc/**", "dddd/**", "eeee/**"].map((g) => cache.has(g))).toEqual([false, false, true, true, true]);
  });

  it("a glob used from the old generation moves back to the young one", () => {
    const cache = new GlobCache(2, 1_000_000);
    const first = cache.compile("a/**");
    cache.compile("b/**");
    cache.compile("c/**"); // a, b are old now
    expect(cache.compile("a/**")).toBe(first);
    cache.compile("d/**"); // young (c, a) becomes old: b goes
    expect(["a/**", "b/**", "c/**", "d/**"].map((g) => cache.has(g))).toEqual([true, false, true, true]);
  });

  it("validating and warning about a head's policies leaves the engine's shared cache as it was", () => {
    const globs = ["zz-evil-scope/**", "policies/*.y{a,}ml", "policies/zz-evil-exclude", "zz-evil-rule/**", "policies/*.y{,a}ml"];
    const head = loadPolicySet([
      {
        path: "policies/evil.yml",
        text: `version: 1\nscope:\n  paths: ['${globs[0]}', '${globs[1]}']\n  exclude: ['${globs[2]}']\nrules:\n  - name: r\n    paths: ['${globs[3]}', '${globs[4]}']\n    approvals: 0\nenforce:\n  required_check: true\n`,
      },
    ]);
    expect(head.invalid).toEqual([]);
    expect(policyWarnings(head, "policies")).toEqual([]); // so every glob above was compiled and matched
    for (const glob of globs) expect(sharedGlobs.has(glob)).toBe(false);
    compileGlob(globs[0] as string); // the engine, judging with a base policy, does keep it
    expect(sharedGlobs.has(globs[0] as string)).toBe(true);
  });
});
