// The one order of strings: by code point, with `<` as a shortcut only where the two orders agree.
import fc from "fast-check";
import { compareCodePoints, sortByCodePoint } from "../../src/policy/code-point-order.js";

/** Reference order: the strings as arrays of code points (lone surrogates as themselves). */
function byCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/** Characters from where the orders agree and from where they do not: ASCII, U+E000…U+FFFF, astral, lone surrogates. */
const unit = fc.oneof(
  fc.constantFrom("a", "b", "/", "z"),
  fc.integer({ min: 0xe000, max: 0xffff }).map((n) => String.fromCharCode(n)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((n) => String.fromCodePoint(n)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)),
);
const text = fc.string({ unit, maxLength: 6 });

describe("code point order", () => {
  it("puts U+FFFF before an astral character, where `<` does not", () => {
    expect(["\u{1F600}", "\uFFFF"].sort()).toEqual(["\u{1F600}", "\uFFFF"]);
    expect(sortByCodePoint(["\u{1F600}", "\uFFFF"])).toEqual(["\uFFFF", "\u{1F600}"]);
    expect(compareCodePoints("a\u{1F600}", "a\uE000")).toBeGreaterThan(0);
    expect(compareCodePoints("a", "a\u{1F600}")).toBeLessThan(0);
  });

  it("compareCodePoints agrees with the reference order", () => {
    fc.assert(fc.property(text, text, (a, b) => expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(byCodePoints(a, b)))));
  });

  it("sortByCodePoint sorts as the comparator does, and as `<` does when nothing is at or above U+D800", () => {
    fc.assert(fc.property(fc.array(text), (strings) => expect(sortByCodePoint([...strings])).toEqual([...strings].sort(byCodePoints))));
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 8 })), (strings) => expect(sortByCodePoint([...strings])).toEqual([...strings].sort())));
  });
});
