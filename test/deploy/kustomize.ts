// The kustomize features deploy/kubernetes/ uses, built in the test (no kubectl in CI is assumed):
// resources (files and folders), components, configMapGenerator (with behavior: merge), images,
// namespace and strategic-merge patches by file. A field of kustomization.yaml it does not know
// fails the build, so a manifest cannot use a feature this reader would silently skip.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";

// Manifests are free-form YAML: the tests look into them by field name.
export type Manifest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KNOWN = new Set(["apiVersion", "kind", "resources", "components", "configMapGenerator", "images", "namespace", "patches"]);

/** Every document of a YAML file. */
export function documentsOf(path: string): Manifest[] {
  return loadAll(readFileSync(path, "utf8")).filter((d): d is Manifest => d !== null && typeof d === "object");
}

/** The kustomization file of a folder, checked for fields this reader knows. */
export function kustomizationOf(dir: string): Manifest {
  const path = join(dir, "kustomization.yaml");
  if (!existsSync(path)) throw new Error(`${dir} has no kustomization.yaml`);
  const [doc] = documentsOf(path);
  if (!doc) throw new Error(`${path} is empty`);
  for (const field of Object.keys(doc)) if (!KNOWN.has(field)) throw new Error(`${path}: the test's kustomize does not know "${field}"`);
  return doc;
}

/** Objects merged field by field; lists of named objects (containers, env, ports, volumes) merged by name; other lists replaced. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (items: unknown[]): boolean => items.every((i) => i !== null && typeof i === "object" && "name" in i);
    if (!named(base) || !named(patch)) return patch;
    const merged = [...base] as Manifest[];
    for (const item of patch as Manifest[]) {
      const at = merged.findIndex((m) => m["name"] === item["name"]);
      if (at === -1) merged.push(item);
      else merged[at] = strategicMerge(merged[at], item) as Manifest;
    }
    return merged;
  }
  if (base !== null && patch !== null && typeof base === "object" && typeof patch === "object" && !Array.isArray(base) && !Array.isArray(patch)) {
    const merged: Manifest = { ...(base as Manifest) };
    for (const [key, value] of Object.entries(patch as Manifest)) merged[key] = key in merged ? strategicMerge(merged[key], value) : value;
    return merged;
  }
  return patch;
}

function literalsOf(generator: Manifest): Record<string, string> {
  const data: Record<string, string> = {};
  for (const literal of (generator["literals"] ?? []) as string[]) {
    const at = literal.indexOf("=");
    if (at <= 0) throw new Error(`configMapGenerator ${generator["name"]}: "${literal}" is not KEY=value`);
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  return data;
}

/** The manifests a kustomization folder builds to (generated ConfigMaps keep their plain names). */
export function build(dir: string): Manifest[] {
  const k = kustomizationOf(dir);
  const out: Manifest[] = [];
  const add = (entry: string): void => {
    const path = join(dir, entry);
    if (!existsSync(path)) throw new Error(`${dir}/kustomization.yaml lists ${entry}, which does not exist`);
    out.push(...(statSync(path).isDirectory() ? build(path) : documentsOf(path)));
  };
  for (const entry of (k["resources"] ?? []) as string[]) add(entry);
  for (const entry of (k["components"] ?? []) as string[]) {
    if (kustomizationOf(join(dir, entry))["kind"] !== "Component") throw new Error(`${entry} is listed as a component but is not one`);
    add(entry);
  }
  for (const generator of (k["configMapGenerator"] ?? []) as Manifest[]) {
    const existing = out.find((m) => m["kind"] === "ConfigMap" && m["metadata"]?.["name"] === generator["name"]);
    if (generator["behavior"] === "merge") {
      if (!existing) throw new Error(`${dir}: configMapGenerator ${generator["name"]} merges into a ConfigMap the base does not generate`);
      existing["data"] = { ...existing["data"], ...literalsOf(generator) };
    } else {
      if (existing) throw new Error(`${dir}: configMapGenerator ${generator["name"]} is generated twice`);
      out.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: generator["name"] }, data: literalsOf(generator) });
    }
  }
  for (const patch of (k["patches"] ?? []) as Manifest[]) {
    if (typeof patch["path"] !== "string" || patch["target"] !== undefined) throw new Error(`${dir}: only patches by file are known to the test's kustomize`);
    for (const doc of documentsOf(join(dir, patch["path"]))) {
      const at = out.findIndex((m) => m["kind"] === doc["kind"] && m["metadata"]?.["name"] === doc["metadata"]?.["name"]);
      if (at === -1) throw new Error(`${dir}/${patch["path"]} patches ${doc["kind"]}/${doc["metadata"]?.["name"]}, which the build does not hold`);
      out[at] = strategicMerge(out[at], doc) as Manifest;
    }
  }
  for (const image of (k["images"] ?? []) as Manifest[]) {
    const containers = out.flatMap((m) => (m["spec"]?.["template"]?.["spec"]?.["containers"] ?? []) as Manifest[]);
    const using = containers.filter((c) => c["image"] === image["name"]);
    if (using.length === 0) throw new Error(`${dir}: images names ${image["name"]}, which no container uses`);
    for (const c of using) c["image"] = `${image["newName"] ?? image["name"]}${image["newTag"] !== undefined ? `:${image["newTag"]}` : ""}`;
  }
  if (typeof k["namespace"] === "string") {
    for (const m of out) if (m["kind"] !== "Namespace") m["metadata"] = { ...m["metadata"], namespace: k["namespace"] };
  }
  return out;
}

/** The one manifest of `kind` (and `name`, when given) in a build. */
export function one(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m["kind"] === kind && (name === undefined || m["metadata"]?.["name"] === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0] as Manifest;
}
