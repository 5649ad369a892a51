// GitHub's REST description (@octokit/openapi, api.github.com), read once: the response examples
// adapter tests answer with, and the request body schemas what the adapters send must satisfy.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let spec: Json | undefined;
function description(): Json {
  // The un-dereferenced file (13 MB): the package's index would load every description (400 MB).
  spec ??= JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json"), "utf8")) as Json;
  return spec;
}

/** A value with its `$ref`s replaced by what they point at (cycles left as they are). */
function resolve(value: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, seen));
  if (value === null || typeof value !== "object") return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === "string") {
    if (seen.includes(ref)) return {};
    const target = ref.slice(2).split("/").reduce<unknown>((node, key) => (node as Json)[key], description());
    return resolve(target, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, seen)]));
}

function operation(path: string, method: string): Json {
  const op = (description()["paths"] as Json)[path]?.[method];
  if (!op) throw new Error(`GitHub's REST description has no ${method.toUpperCase()} ${path}`);
  return op as Json;
}

/** A copy of the example GitHub documents for a response. */
export function responseExample(path: string, method: string, status = 200): Json | Json[] {
  const content = resolve(operation(path, method)["responses"][String(status)])?.valueOf() as Json;
  const examples = content["content"]["application/json"]["examples"] as Json;
  return structuredClone((Object.values(examples)[0] as Json)["value"]);
}

/** The errors of `body` against the documented request body schema of an operation; none when it conforms. */
export function requestBodyErrors(path: string, method: string, body: unknown): string[] {
  const schema = resolve(operation(path, method)["requestBody"]["content"]["application/json"]["schema"]) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

/** The documented parameter names of an operation (path and query). */
export function parameterNames(path: string, method: string): string[] {
  return ((resolve(operation(path, method)["parameters"]) as Json[]) ?? []).map((p) => p["name"] as string);
}
