// Canonical JSON (SPEC §4.2): golden vectors written by hand, and its invariants as properties.
import fc from "fast-check";
import { CanonicalJsonError, canonicalBytes, canonicalJson, compareCodePoints, tryCanonicalJson } from "../../src/audit/canonical.js";

/** Reference order: compare the strings as arrays of code points (lone surrogates as themselves). */
function byCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/** The same value with every object's keys inserted in another order. */
function reordered(value: unknown, pick: (n: number) => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reordered(v, pick));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  const out: Record<string, unknown> = {};
  while (entries.length > 0) {
    const [[k, v]] = entries.splice(pick(entries.length) % entries.length, 1) as [[string, unknown]];
    // defineProperty, not assignment: a "__proto__" key must stay a key, as JSON.parse makes it.
    Object.defineProperty(out, k, { value: reordered(v, pick), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe("canonicalJson: golden vectors", () => {
  test.each<[string, unknown, string]>([
    ["null", null, "null"],
    ["true", true, "true"],
    ["a string", "x", '"x"'],
    ["an empty array", [], "[]"],
    ["an empty object", {}, "{}"],
    ["nested keys at every level", { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}'],
    ["arrays keep their order", { a: [3, 1, 2, "b", "a"] }, '{"a":[3,1,2,"b","a"]}'],
    // JS objects iterate integer-like keys first, numerically: canonical JSON must not.
    ["integer-like keys sort as strings", { "10": 1, "9": 2, a: 3, "1": 0 }, '{"1":0,"10":1,"9":2,"a":3}'],
    ["upper case before lower case", { b: 1, B: 2, a: 3, A: 4 }, '{"A":4,"B":2,"a":3,"b":1}'],
    [
      "code point order: U+E000 and U+FFFF before an astral character",
      { "\u{1F600}": 1, "\uFFFF": 2, "\uE000": 3, a: 4, B: 5, "": 6, "é": 7 },
      '{"":6,"B":5,"a":4,"é":7,"\uE000":3,"\uFFFF":2,"\u{1F600}":1}',
    ],
    ["a prefix sorts first", { ab: 1, a: 2, "a\u0000": 3 }, '{"a":2,"a\\u0000":3,"ab":1}'],
    [
      "escapes as JSON.stringify writes them; other characters raw",
      "\u0000\b\t\n\f\r\"\\/\u001f\u007f\u2028é",
      String.raw`"\u0000\b\t\n\f\r\"\\/\u001f` + "\u007f\u2028é\"",
    ],
    ["astral characters raw", "🚀 \u{10FFFF}", '"🚀 \u{10FFFF}"'],
    ["a lone surrogate escaped", "a\uD800b\uDFFF", String.raw`"a\ud800b\udfff"`],
    ["numbers as JSON.stringify writes them", [1e21, -0, 0.1, 1e-7, 5e-324, 1.7976931348623157e308, 100, -1.5, 0.000001, 123456789012345680000], "[1e+21,0,0.1,1e-7,5e-324,1.7976931348623157e+308,100,-1.5,0.000001,123456789012345680000]"],
    ["0.1 + 0.2", 0.1 + 0.2, "0.30000000000000004"],
    ["an undefined member is absent, as JSON.stringify leaves it out", { a: undefined, b: 1 }, '{"b":1}'],
    ["a __proto__ key, as JSON.parse makes it, is a key", JSON.parse('{"b":1,"__proto__":{"x":1}}'), '{"__proto__":{"x":1},"b":1}'],
    ["an object without a prototype is plain", Object.assign(Object.create(null) as object, { b: 1, a: 2 }), '{"a":2,"b":1}'],
  ])("%s", (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  test("UTF-8 bytes: an astral character is 4 bytes, é is 2", () => {
    expect([...canonicalBytes("é🚀")]).toEqual([0x22, 0xc3, 0xa9, 0xf0, 0x9f, 0x9a, 0x80, 0x22]);
  });

  test("plain < and the default sort order by UTF-16 code unit, which is wrong for astral characters", () => {
    expect(["\u{1F600}", "\uFFFF"].sort()).toEqual(["\u{1F600}", "\uFFFF"]);
    expect(["\u{1F600}", "\uFFFF"].sort(compareCodePoints)).toEqual(["\uFFFF", "\u{1F600}"]);
    expect(compareCodePoints("\uD800", "\uE000")).toBeLessThan(0);
    expect(compareCodePoints("\uD83D", "\u{1F600}")).toBeLessThan(0);
    expect(compareCodePoints("abc", "abc")).toBe(0);
  });
});

describe("canonicalJson: values JSON cannot represent faithfully", () => {
  class Thing {
    a = 1;
  }
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = { back: cycle };
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];

  test.each<[string, unknown, string]>([
    ["NaN", { a: NaN }, "$.a: NaN is not a JSON number"],
    ["Infinity", [1, Infinity], "$[1]: Infinity is not a JSON number"],
    ["-Infinity", -Infinity, "$: -Infinity is not a JSON number"],
    ["undefined alone", undefined, "$: undefined is not a JSON value"],
    ["undefined in an array", { list: [1, undefined] }, "$.list[1]: undefined is not a JSON value"],
    // eslint-disable-next-line no-sparse-arrays
    ["a hole in an array", [1, , 3], "$[1]: a hole in an array is not a JSON value"],
    ["a bigint", { n: 1n }, "$.n: a bigint is not a JSON value"],
    ["a symbol", [Symbol("s")], "$[0]: a symbol is not a JSON value"],
    ["a function (say, toJSON)", { toJSON: () => 1 }, "$.toJSON: a function is not a JSON value"],
    ["a Date", { at: new Date(0) }, "$.at: a Date is not a plain object"],
    ["a Map", new Map(), "$: a Map is not a plain object"],
    ["a class instance", { "a key": new Thing() }, '$["a key"]: a Thing is not a plain object'],
    ["a boxed string", [Object("s")], "$[0]: a String is not a plain object"],
    ["a cycle", cycle, "$.self.back: the value contains itself"],
    ["nesting deeper than the stack", deep, "$: nested too deeply"],
  ])("%s is an error naming where", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    const result = tryCanonicalJson(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe(message);
  });

  test("the same object twice (not a cycle) is fine", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });
});

describe("canonicalJson: properties", () => {
  const json = fc.jsonValue({ stringUnit: "binary", maxDepth: 5 });

  test("canonical(parse(canonical(x))) === canonical(x)", () => {
    fc.assert(
      fc.property(json, (x) => {
        const once = canonicalJson(x);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
    );
  });

  test("it is JSON of the same value", () => {
    fc.assert(
      fc.property(json, (x) => {
        expect(JSON.parse(canonicalJson(x))).toEqual(JSON.parse(JSON.stringify(x)));
      }),
    );
  });

  test("the key order of the input never matters", () => {
    fc.assert(
      fc.property(json, fc.infiniteStream(fc.nat()), (x, picks) => {
        const iterator = picks[Symbol.iterator]();
        expect(canonicalJson(reordered(x, () => iterator.next().value as number))).toBe(canonicalJson(x));
      }),
    );
  });

  test("keys come out in code point order, with no white space", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary" }), fc.integer()), (dict) => {
        const expected = `{${Object.keys(dict)
          .sort(byCodePoints)
          .map((k) => `${JSON.stringify(k)}:${dict[k] as number}`)
          .join(",")}}`;
        expect(canonicalJson(dict)).toBe(expected);
      }),
    );
  });

  test("compareCodePoints agrees with the reference order", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(byCodePoints(a, b)));
      }),
    );
  });
});
