// The count of a glob's brace expansion, made without expanding, against minimatch's own braceExpand.
import { expand } from "brace-expansion";
import fc from "fast-check";
import { braceExpand } from "minimatch";
import { countBraceExpansion } from "../../src/policy/brace-expansion.js";

/** A budget no test glob reaches: these tests are about the counting, not its budget. */
const UNBUDGETED = { stepsPerChar: 1e9 };

describe("counts what minimatch's braceExpand yields, quirk for quirk", () => {
  test.each([
    // sets, nested sets, sequences, padding, steps
    "a/b",
    "{a,b}",
    "apps/{a,b,c}/overlays/{prod,production}/**/*.{yaml,yml}",
    "{a,{b,{c,d}}}",
    "{0..9}",
    "{1..10..3}",
    "{10..1}",
    "{-5..5}",
    "{01..10}",
    "{a..z}",
    "{z..a..3}",
    "{Z..a}", // passes `\`, which comes out empty
    "{a..c}{1..3}",
    // sets of one member, wrapped and expanded again
    "{{a,b}}",
    "{{a,b}x}",
    "{{a,b}..c}",
    "{{0,1}..3}",
    "{{,a}}",
    // escapes, `$`, a leading `{}`, unmatched braces, line breaks
    "\\{a,b}",
    "\\\\{a,b}",
    "{a\\,b}",
    "{1\\..3}",
    "${a,b}",
    "{a,b}${c,d}",
    "{}a,b}",
    "x{}a,b}",
    "{a,b",
    "{a{b,c}",
    "}{a,b}",
    "{a,b}}",
    "{{a,b},c",
    "{a,b\n}",
    // `{a},b}`: the first `}` becomes literal
    "{a},b}",
    "{a}}}}},z}",
    // empty results are dropped at the top level only
    "{,}",
    "{,a}",
    "a{,}",
    "{,}{,}",
    "{,}{,}{,x}",
    "{,x}{,}{,}",
    "{a,b}{}",
  ])("%j", (glob) => {
    expect(countBraceExpansion(glob, UNBUDGETED).patterns).toBe(braceExpand(glob).length);
  });

  test("the bombs of issue 7: counted exactly, where minimatch would stop at 100,000", () => {
    expect(countBraceExpansion("z0/{0..9}{0..9}{0..9}{0..9}{0..9}/**").patterns).toBe(100_000);
    expect(countBraceExpansion(`${"{a,b}".repeat(17)}/**`).patterns).toBe(131_072);
    expect(braceExpand(`${"{a,b}".repeat(17)}/**`)).toHaveLength(100_000); // the silent cut the bound prevents
  });
});

/** minimatch's escaping before it hands a pattern to brace-expansion (see its braceExpand). */
const minimatchEscaped = (glob: string): string => glob.replace(/\\\\/g, "\\\\\\\\");

/** Pieces of globs, weighted towards brace syntax and its corner cases. */
const piece = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom("{", "}", ",") },
  { weight: 4, arbitrary: fc.constantFrom("..", ".", "a", "b", "Z", "0", "1", "9", "01", "-", "-1", "x/", "*") },
  { weight: 2, arbitrary: fc.constantFrom("\\", "\\\\", "$", "\n", "{}", "{,}", "{a,b}", "{0..3}", "{a..c}", "{1..9..4}", "`", "[") },
);
const smallGlob = fc.array(piece, { minLength: 1, maxLength: 40, size: "max" }).map((pieces) => pieces.join(""));

test("property: the count equals braceExpand(glob).length when that is at most 256, and is over 256 when it is", () => {
  fc.assert(
    fc.property(smallGlob, (glob) => {
      const counted = countBraceExpansion(glob, UNBUDGETED);
      let real = braceExpand(glob).length;
      // Past its own step budget brace-expansion leaves the rest literal (a handful of patterns for
      // seconds of work); the count is then of the expansion it gave up on, which minimatch never makes.
      if (counted.patterns !== real && real <= 256) real = expand(minimatchEscaped(glob), { maxSteps: Infinity, max: 257 }).length;
      if (real <= 256) expect(counted.patterns).toBe(real);
      else expect(counted.patterns).toBeGreaterThan(256);
      expect(counted.peak).toBeGreaterThanOrEqual(counted.patterns);
    }),
    { numRuns: 20_000 },
  );
});

test("property: with its budget, counting refuses whatever it cannot bound, and never counts low", () => {
  fc.assert(
    fc.property(smallGlob, (glob) => {
      const counted = countBraceExpansion(glob);
      if (counted.tooComplex) return;
      expect(counted.patterns).toBe(countBraceExpansion(glob, UNBUDGETED).patterns);
      expect(counted.steps).toBeLessThanOrEqual(32 * glob.length + 512);
    }),
    { numRuns: 5_000 },
  );
});

test("an 82-character glob brace-expansion gives up on after 20M steps (half a second) is refused, not trusted", () => {
  const glob = "{{{a..c}{,}{{1..9..4}{,{0..3}{}}{{\\{{{,{,},,}{0..3}{a..c}}}{{{}}}{,{,},}}}}{a..c}}";
  expect(braceExpand(glob)).toHaveLength(1); // what brace-expansion leaves once its budget is spent
  expect(countBraceExpansion(glob, UNBUDGETED).patterns).toBeGreaterThan(256);
  const counted = countBraceExpansion(glob);
  expect(counted.tooComplex || counted.patterns > 256).toBe(true);
});

describe("costs steps linear in the glob's length, or refuses", () => {
  test.each<[string, string]>([
    ["255 nested sets", `${"{a,".repeat(255)}${"}".repeat(255)}`],
    ["500 sets of one member", `${"{".repeat(500)}a,b${"}".repeat(500)}`],
    ["1,000 `{a},b}` rewrites", `{a}${"}".repeat(1000)},z}`],
  ])("%s: refused as too complex", (_title, glob) => {
    const counted = countBraceExpansion(glob);
    expect(counted.tooComplex).toBe(true);
    // the budget, and at most one step of work (a sequence's values, a string) past it
    expect(counted.steps).toBeLessThanOrEqual(32 * glob.length + 512 + 2048);
  });

  test("a 1,008-character chain of bombs is counted in a few steps per character", () => {
    const glob = "z0/{0..9}{0..9}{0..9}{0..9}{0..9}/**".repeat(28);
    const counted = countBraceExpansion(glob);
    expect(counted.patterns).toBe(2 ** 53); // saturated: astronomically many
    expect(counted.steps).toBeLessThan(4 * glob.length);
  });
});
