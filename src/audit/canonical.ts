// Canonical JSON (SPEC §4.2): the one byte string of a value that an audit record's digest and
// signature cover, whoever writes it and in whatever key order.
import { compareCodePoints } from "../policy/code-point-order.js";

/** Keys are ordered by code point: the one order of strings (policy/code-point-order.ts). */
export { compareCodePoints };

/** A value JSON represents faithfully. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value with no faithful JSON form (NaN, undefined in an array, a Date, a cycle…), and where it is. */
export class CanonicalJsonError extends Error {
  constructor(
    /** Where in the value, as `$.environments[0].files`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "CanonicalJsonError";
  }
}

export type CanonicalResult = { ok: true; text: string } | { ok: false; error: CanonicalJsonError };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function member(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function kindOf(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

function write(value: unknown, path: string, ancestors: Set<object>, out: string[]): void {
  switch (typeof value) {
    case "string":
      // JSON.stringify escapes `"`, `\`, control characters and lone surrogates, and nothing else.
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${String(value)} is not a JSON number`);
      out.push(JSON.stringify(value));
      return;
    case "undefined":
      throw new CanonicalJsonError(path, "undefined is not a JSON value");
    case "bigint":
    case "symbol":
    case "function":
      throw new CanonicalJsonError(path, `a ${typeof value} is not a JSON value`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  const object = value as object;
  if (ancestors.has(object)) throw new CanonicalJsonError(path, "the value contains itself");
  ancestors.add(object);
  if (Array.isArray(object)) {
    out.push("[");
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out.push(",");
      if (!(i in object)) throw new CanonicalJsonError(`${path}[${i}]`, "a hole in an array is not a JSON value");
      write(object[i], `${path}[${i}]`, ancestors, out);
    }
    out.push("]");
  } else {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(path, `a ${kindOf(object)} is not a plain object`);
    }
    const record = object as Record<string, unknown>;
    out.push("{");
    let first = true;
    for (const key of Object.keys(record).sort(compareCodePoints)) {
      const item = record[key];
      // As JSON.stringify does: a member whose value is undefined is absent.
      if (item === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(key), ":");
      write(item, member(path, key), ancestors, out);
    }
    out.push("}");
  }
  ancestors.delete(object);
}

/**
 * The canonical JSON of `value`: object keys sorted by code point at every level, no white
 * space, numbers and strings as JSON.stringify writes them, arrays in order; an object member
 * whose value is undefined is left out, as JSON.stringify does. Throws CanonicalJsonError for
 * a value JSON cannot represent faithfully (NaN, Infinity, undefined in an array or alone, a
 * bigint, a function, a Date or other non-plain object, a cycle, nesting deeper than the stack).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  try {
    write(value, "$", new Set(), out);
  } catch (error) {
    if (error instanceof RangeError) throw new CanonicalJsonError("$", "nested too deeply");
    throw error;
  }
  return out.join("");
}

/** canonicalJson as a value: the text, or the error saying where the value is not JSON. */
export function tryCanonicalJson(value: unknown): CanonicalResult {
  try {
    return { ok: true, text: canonicalJson(value) };
  } catch (error) {
    if (error instanceof CanonicalJsonError) return { ok: false, error };
    throw error;
  }
}

/** The UTF-8 bytes of the canonical JSON of `value` (what a digest or signature covers); throws as canonicalJson. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), "utf8");
}
