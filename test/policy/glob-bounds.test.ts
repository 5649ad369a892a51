// SPEC §1.2: every glob is bounded before it is compiled (length, brace expansion, minimatch's own
// limits) and so is a policy set's total; the brace bombs of issue 7 are refused, naming each glob.
import { formatPolicyError } from "../../src/policy/errors.js";
import { decide } from "../../src/engine/decide.js";
import { MAX_GLOB_LENGTH, MAX_GLOBSTARS, MAX_SET_PATTERN_CHARS, MAX_SET_PATTERNS } from "../../src/policy/glob-bounds.js";
import { loadPolicySet, parsePolicyFile } from "../../src/policy/load.js";
import { bomb, bombErrors, policyWithGlobs, SIXTY_BOMBS, TRUNCATED, truncatedError } from "./glob-bombs.js";

const EVIL = "policies/evil.yml";

const FACTS = {
  repository: "acme/gitops", base: "main", default_branch: "main", head: "h", author: "bob", contributors: [], unlinked: [], labels: [],
  files: [], files_truncated: false, reviews: [], teams: {}, permissions: {}, now: 0,
};

const errorsOf = (text: string, file = EVIL): string[] => loadPolicySet([{ path: file, text }]).invalid.flatMap((i) => i.errors.map(formatPolicyError));

describe("the brace bombs of issue 7", () => {
  test("a few five-digit bombs are each refused, naming the glob, where it is", () => {
    expect(errorsOf(policyWithGlobs(["clusters/**", bomb(0), bomb(1)]))).toEqual([
      `${EVIL}:6:7: scope.paths[1]: glob "z0/{0..9}{0..9}{0..9}{0..9}{0..9}/**" expands to 100,000 patterns; the limit is 256`,
      `${EVIL}:7:7: scope.paths[2]: glob "z1/{0..9}{0..9}{0..9}{0..9}{0..9}/**" expands to 100,000 patterns; the limit is 256`,
    ]);
  });

  test("a 3 KB file of sixty bombs is refused with sixty errors, one per glob", () => {
    expect(SIXTY_BOMBS.length).toBeGreaterThan(2800);
    expect(SIXTY_BOMBS.length).toBeLessThan(3100);
    expect(errorsOf(SIXTY_BOMBS)).toEqual(bombErrors(EVIL));
  });

  test("seventeen `{a,b}`, which minimatch would silently cut at 100,000 of 131,072 patterns, are refused", () => {
    expect(errorsOf(policyWithGlobs([TRUNCATED]))).toEqual([truncatedError(EVIL)]);
  });

  test("every glob field is bounded: scope.branches, scope.exclude, rules[].paths and rules[].exclude", () => {
    const text = [
      "version: 1",
      "scope:",
      "  branches: ['release/{0..9}{0..9}{0..9}']",
      "  paths: [clusters/**]",
      "  exclude: ['{0..9}{0..9}{0..9}/**']",
      "rules:",
      "  - name: SRE",
      "    paths: ['{0..9}{0..9}{0..9}/**']",
      "    exclude: ['{0..9}{0..9}{0..9}/x/**']",
      "    approvals: 0",
    ].join("\n");
    expect(errorsOf(text, "policies/production.yml")).toEqual([
      `policies/production.yml:3:14: scope.branches[0]: glob "release/{0..9}{0..9}{0..9}" expands to 1,000 patterns; the limit is 256`,
      `policies/production.yml:5:13: scope.exclude[0]: glob "{0..9}{0..9}{0..9}/**" expands to 1,000 patterns; the limit is 256`,
      `policies/production.yml:8:13: rules[0].paths[0]: glob "{0..9}{0..9}{0..9}/**" expands to 1,000 patterns; the limit is 256`,
      `policies/production.yml:9:15: rules[0].exclude[0]: glob "{0..9}{0..9}{0..9}/x/**" expands to 1,000 patterns; the limit is 256`,
    ]);
  });
});

describe("one glob's bounds", () => {
  test("256 patterns are allowed, 257 are not", () => {
    expect(errorsOf(policyWithGlobs([`${"{a,b}".repeat(8)}/**`]))).toEqual([]);
    expect(errorsOf(policyWithGlobs(["{1..257}/**"]))).toEqual([`${EVIL}:5:7: scope.paths[0]: glob "{1..257}/**" expands to 257 patterns; the limit is 256`]);
  });

  test(`${MAX_GLOB_LENGTH.toLocaleString("en-US")} characters are allowed, one more is not`, () => {
    const longest = `${"a".repeat(MAX_GLOB_LENGTH - 3)}/**`;
    expect(errorsOf(policyWithGlobs([longest]))).toEqual([]);
    expect(errorsOf(policyWithGlobs([`a${longest}`]))).toEqual([
      `${EVIL}:5:7: scope.paths[0]: glob "${"a".repeat(59)}…" is 1,025 characters long; the limit is 1,024`,
    ]);
  });

  test("braces too intricate to count within the budget are refused, not expanded", () => {
    const glob = `${"{".repeat(500)}a,b${"}".repeat(500)}`;
    expect(errorsOf(policyWithGlobs([glob]))).toEqual([
      `${EVIL}:5:7: scope.paths[0]: glob "${"{".repeat(59)}…" nests its braces too intricately for its expansion to be bounded; simplify its braces`,
    ]);
  });

  test("a glob minimatch would refuse to compile is a validation error, not a crash", () => {
    const glob = `${"*(".repeat(257)}a${")".repeat(257)}`;
    expect(errorsOf(policyWithGlobs([glob]))).toEqual([
      `${EVIL}:5:7: scope.paths[0]: glob "${"*(".repeat(29)}*…" cannot be compiled: pattern has too many extglobs`,
    ]);
  });
});

describe("`**` portions: minimatch stops following them past 200 and then matches nothing", () => {
  const LIMIT = "the limit is 64 (past 200, minimatch stops following `**` and matches nothing)";

  test(`${MAX_GLOBSTARS} are allowed, and match; one more is refused`, () => {
    const most = `**/${"a/**/".repeat(MAX_GLOBSTARS - 2)}x/**`;
    expect(errorsOf(policyWithGlobs([most]))).toEqual([]);
    const set = loadPolicySet([{ path: EVIL, text: policyWithGlobs([most]) }]);
    const [env] = decide(set, { ...FACTS, files: [{ path: `${"a/".repeat(MAX_GLOBSTARS - 2)}x/y.yaml`, status: "modified" }] }).environments;
    expect(env?.state).toBe("approved"); // in scope (not not_affected), and its rule needs no approval
    expect(errorsOf(policyWithGlobs([`**/${most}`]))).toEqual([`${EVIL}:5:7: scope.paths[0]: glob "${`**/${most}`.slice(0, 59)}…" has 65 \`**\`; ${LIMIT}`]);
  });

  test("the review's glob of 203 `**`, valid before and matching nothing, is refused", () => {
    const glob = `**/${"a/**/".repeat(201)}**`;
    expect(errorsOf(policyWithGlobs([glob]))).toEqual([`${EVIL}:5:7: scope.paths[0]: glob "${glob.slice(0, 59)}…" has 203 \`**\`; ${LIMIT}`]);
  });

  test("a `**` that brace expansion makes from stars next to braces is counted", () => {
    // `*{*,x}` expands to `**` and `*x`: 8 of them (256 patterns) and 57 plain `**` make a pattern of 65
    const glob = "*{*,x}/a/".repeat(8) + "**/a/".repeat(57) + "b";
    expect(errorsOf(policyWithGlobs([glob]))).toEqual([
      `${EVIL}:5:7: scope.paths[0]: glob "${glob.slice(0, 59)}…" has up to 65 \`**\` once its braces are expanded; ${LIMIT}`,
    ]);
    expect(errorsOf(policyWithGlobs(["*{*,x}/a/".repeat(8) + "**/a/".repeat(56) + "b"]))).toEqual([]);
  });

  test("single stars are no `**`", () => {
    expect(errorsOf(policyWithGlobs(["*/".repeat(300) + "x"]))).toEqual([]);
  });
});

describe("a policy set's total", () => {
  /** `count` distinct globs of `perGlob` patterns each, `{a,b}` repeated. */
  const globsOf = (prefix: string, count: number, perGlob: number): string[] =>
    Array.from({ length: count }, (_, n) => `${prefix}${n}/${"{a,b}".repeat(Math.log2(perGlob))}/**`);

  test(`the file whose globs take the set past ${MAX_SET_PATTERNS.toLocaleString("en-US")} patterns is refused at the glob that crosses; the others stay`, () => {
    // 70 globs of 256 patterns each: 17,920 per file
    const a = { path: "policies/a.yml", text: policyWithGlobs(globsOf("a", 70, 256), "a") };
    const b = { path: "policies/b.yml", text: policyWithGlobs(globsOf("b", 70, 256), "b") };
    const c = { path: "policies/c.yml", text: policyWithGlobs(globsOf("c", 5, 256), "c") };
    const set = loadPolicySet([a, b, c]);
    expect(set.policies.map((p) => p.environment)).toEqual(["a", "c"]);
    // 17,920 + 1 (a's `**`) + 8 × 256 = 19,969; the ninth glob of b brings it to 20,225
    expect(set.invalid.flatMap((i) => i.errors.map(formatPolicyError))).toEqual([
      "policies/b.yml:13:7: scope.paths[8]: with this glob the policy set's globs expand to 20,225 patterns; the limit is 20,000 across all policy files",
    ]);
  });

  test("a glob used by several files counts once, as the engine compiles it once", () => {
    const same = globsOf("x", 70, 256);
    const files = ["a", "b", "c"].map((name) => ({ path: `policies/${name}.yml`, text: policyWithGlobs(same, name) }));
    expect(loadPolicySet(files).invalid).toEqual([]);
  });

  test(`long globs are bounded by the ${MAX_SET_PATTERN_CHARS.toLocaleString("en-US")} characters their patterns hold`, () => {
    // 128 patterns of 1,000 characters per glob: the eighth glob passes 1,000,000
    const globs = Array.from({ length: 8 }, (_, n) => `${n}/${"{a,b}".repeat(7)}/${"x".repeat(1000)}`.slice(0, 997) + "/**");
    expect(globs.every((g) => g.length === 1000)).toBe(true);
    expect(errorsOf(policyWithGlobs(globs))).toEqual([
      `${EVIL}:12:7: scope.paths[7]: with this glob the policy set's globs expand to 1,024,000 characters of patterns; the limit is 1,000,000 across all policy files`,
    ]);
  });

  test("a single file is a set of one: parsePolicyFile bounds its total too", () => {
    const text = policyWithGlobs(globsOf("a", 80, 256));
    expect(parsePolicyFile(EVIL, text).errors.map(formatPolicyError)).toEqual([
      `${EVIL}:83:7: scope.paths[78]: with this glob the policy set's globs expand to 20,224 patterns; the limit is 20,000 across all policy files`,
    ]);
  });
});
