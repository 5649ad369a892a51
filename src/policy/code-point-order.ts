// The one order of strings in what the app and the CLI print and record: by Unicode code point.
// It is UTF-8's byte order too (git's order of paths) and the key order of canonical JSON (SPEC §4.2).

/** Code units from the first surrogate up: only strings holding one can order differently by code unit and by code point. */
const HIGH_UNITS = /[\uD800-\uFFFF]/;

/**
 * Orders two strings by Unicode code point. `<` and `localeCompare` do not: `<` compares UTF-16
 * code units, which puts an astral character (a surrogate pair, 0xD800…) before U+E000…U+FFFF.
 * A lone surrogate compares as its own code point. When either string is all below U+D800, the
 * two orders agree (the first difference is then below U+D800 on one side), so `<` answers.
 */
export function compareCodePoints(a: string, b: string): number {
  if (!HIGH_UNITS.test(a) || !HIGH_UNITS.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/** Sorts strings in place by code point and returns them: one scan, then the native sort, unless one holds a high code unit. */
export function sortByCodePoint<T extends string>(strings: T[]): T[] {
  return strings.some((s) => HIGH_UNITS.test(s)) ? strings.sort(compareCodePoints) : strings.sort();
}
