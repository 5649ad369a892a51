// Turns a zod validation error into located errors that say what to do: missing keys,
// unknown keys with a "did you mean", and each schema's own message for a wrong value.
import { distance } from "fastest-levenshtein";
import { z } from "zod";
import { sortPolicyErrors } from "./errors.js";
import type { PolicyError } from "./types.js";
import { fieldPath, locateNearest, type Locate } from "./yaml.js";

/** How to find a field in the YAML file being validated (re-exported for the CLI's own schemas). */
export type { Locate } from "./yaml.js";

/** Codes of issues that, for a key absent from the file, mean the key is required. */
const MISSING_WHEN_ABSENT = new Set(["invalid_type", "invalid_value", "invalid_union"]);

/**
 * Locates every issue of a zod error in its YAML file. `field` is where the validated
 * value sits in the file (e.g. `[3].change`), prefixed to each issue's path.
 */
export function schemaErrors(file: string, error: z.ZodError, locate: Locate, schema: z.ZodType, field = ""): PolicyError[] {
  const errors = error.issues.flatMap((issue): PolicyError[] => {
    const at = joinField(field, issue.path);
    if (issue.code === "unrecognized_keys") {
      const known = objectKeysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const unknown = joinField(at, [key]);
        return { file, ...locateNearest(locate, unknown, "key"), field: unknown, message: unknownKeyMessage(key, known) };
      });
    }
    if (MISSING_WHEN_ABSENT.has(issue.code) && issue.path.length > 0 && locate(at) === undefined) {
      return [{ file, ...locateNearest(locate, at), field: at, message: "is required" }];
    }
    return [{ file, ...locateNearest(locate, at), field: at, message: issue.message }];
  });
  return sortPolicyErrors(errors);
}

/** "unknown key", with the closest known key when one is a likely typo, else the keys allowed there. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `unknown key; did you mean \`${suggestion}\`?`;
  return known.length > 0 ? `unknown key; expected one of ${known.join(", ")}` : "unknown key";
}

/** The known key a typo most likely meant: at most 2 edits away (ignoring case), and fewer edits than the key has characters. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; edits: number } | undefined;
  for (const candidate of known) {
    const edits = distance(key.toLowerCase(), candidate.toLowerCase());
    if (edits <= 2 && edits < key.length && (!best || edits < best.edits)) best = { key: candidate, edits };
  }
  return best?.key;
}

function joinField(prefix: string, path: readonly PropertyKey[]): string {
  const rest = fieldPath(path);
  if (prefix === "" || rest === "") return prefix + rest;
  return rest.startsWith("[") ? prefix + rest : `${prefix}.${rest}`;
}

/** The keys of the object schema found by following `path` through `schema`; empty when there is none. */
function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: z.ZodType | undefined = schema;
  for (const segment of path) {
    at = unwrap(at);
    if (at instanceof z.ZodObject && typeof segment === "string") at = at.shape[segment] as z.ZodType | undefined;
    else if (at instanceof z.ZodArray && typeof segment === "number") at = at.element as z.ZodType;
    else if (at instanceof z.ZodRecord) at = at.valueType as z.ZodType;
    else return [];
  }
  at = unwrap(at);
  return at instanceof z.ZodObject ? Object.keys(at.shape) : [];
}

/** Looks through wrappers that do not change a value's shape: optional, nullable, defaults, pipes. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let at = schema;
  for (;;) {
    if (at instanceof z.ZodOptional || at instanceof z.ZodNullable || at instanceof z.ZodDefault || at instanceof z.ZodPrefault) {
      at = at.unwrap() as z.ZodType;
    } else if (at instanceof z.ZodPipe) {
      at = at.in as z.ZodType;
    } else {
      return at;
    }
  }
}
