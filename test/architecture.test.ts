// The shape of src/ (CONVENTIONS.md), read from its import statements: no import cycle between
// files, the pure core imports nothing of GitHub, and imports point down the list of layers only.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { cycles } from "./support/cycles.js";

/**
 * The layers, lowest first: a file may import its own layer and those before it (src/index.ts, the
 * Probot app, is above all; src/server.ts, the entry that serves it, above that).
 * audit/ comes before render/ (CONVENTIONS.md lists them the other way round): the audit record is
 * data, like a decision, and render/ renders both — the record's comment, its exception issue.
 */
const LAYERS = ["policy", "engine", "audit", "render", "github", "app", "cli"];
/** Pure layers: no I/O through GitHub, so nothing of probot, @octokit/*, github/, app/ or cli/. */
const PURE = ["engine", "policy", "render", "audit"];

/**
 * Imports that point up the list of layers, as `importer → imported`: none. Kept so that a step
 * that must leave one for a while says so here (an entry whose import is gone fails the last test).
 */
const KNOWN_BACKWARD_IMPORTS: readonly string[] = [];

/** The most lines a file of src/ has (wc -l). */
const MAX_FILE_LINES = 400;

/** The modules a source file imports, as written: static and dynamic imports, re-exports, side-effect imports. */
function specifiersIn(source: string): string[] {
  return [...source.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Each file of src/ (as `src/…/x.ts`) and what it imports: files of src/ by path, packages by name. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of filesUnder("src")) {
    const imported = specifiersIn(readFileSync(file, "utf8")).map((spec) =>
      spec.startsWith(".") ? relative(".", resolve(dirname(file), spec)).replace(/\.js$/, ".ts") : spec,
    );
    graph.set(file, imported);
  }
  return graph;
}

/** `engine` for src/engine/x.ts, `index` for src/index.ts, undefined for a package. */
function layerOf(path: string): string | undefined {
  if (!path.startsWith("src/")) return undefined;
  const [first] = path.slice("src/".length).split("/");
  return first?.endsWith(".ts") ? first.slice(0, -3) : first;
}

/** Every import of a file in one of `layers`, as `importer → imported`, that `forbidden` says no to. */
function importsFrom(graph: Map<string, string[]>, layers: readonly string[], forbidden: (imported: string) => boolean): string[] {
  return [...graph].flatMap(([file, imported]) =>
    layers.includes(layerOf(file) ?? "") ? imported.filter(forbidden).map((target) => `${file} → ${target}`) : [],
  );
}

/** Imports that point to a layer listed after the importer's. */
function backwardImports(graph: Map<string, string[]>): string[] {
  const rank = (layer: string | undefined): number => (layer === "server" ? LAYERS.length + 1 : layer === "index" ? LAYERS.length : LAYERS.indexOf(layer ?? ""));
  return [...graph].flatMap(([file, imported]) =>
    imported.filter((target) => layerOf(target) !== undefined && rank(layerOf(target)) > rank(layerOf(file))).map((target) => `${file} → ${target}`),
  );
}

const isGitHubSide = (imported: string): boolean =>
  imported === "probot" || imported.startsWith("@octokit/") || ["github", "app", "cli", "index"].includes(layerOf(imported) ?? "");

describe("how the test reads imports", () => {
  test("it sees every form of import", () => {
    const source = [
      'import type { A } from "./a.js";',
      'import {\n  b,\n  c,\n} from "../b.js";',
      'export { d } from "./d.js";',
      'export type * from "./e.js";',
      'import "./f.js";',
      'const g = await import("./g.js");',
      'import { Probot } from "probot";',
    ].join("\n");
    expect(specifiersIn(source)).toEqual(["./a.js", "../b.js", "./d.js", "./e.js", "./f.js", "./g.js", "probot"]);
  });

  test("the walk finds a cycle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
    ]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
  });

  test("an import up the layers is found, one down is not", () => {
    const graph = new Map([
      ["src/engine/x.ts", ["src/policy/y.ts", "src/github/z.ts", "minimatch"]],
      ["src/index.ts", ["src/app/a.ts"]],
    ]);
    expect(backwardImports(graph)).toEqual(["src/engine/x.ts → src/github/z.ts"]);
    expect(importsFrom(graph, PURE, isGitHubSide)).toEqual(["src/engine/x.ts → src/github/z.ts"]);
  });
});

describe("the import graph of src/", () => {
  const graph = importGraph();

  test("is read whole", () => {
    expect(graph.size).toBeGreaterThan(100);
    for (const layer of [...LAYERS, "index"]) expect([...graph.keys()].some((file) => layerOf(file) === layer)).toBe(true);
  });

  test("has no cycle: no file imports, through others, a file that imports it", () => {
    expect(cycles(graph)).toEqual([]);
  });

  test("engine/, policy/, render/ and audit/ import nothing from probot, @octokit/*, github/, app/ or cli/", () => {
    expect(importsFrom(graph, PURE, isGitHubSide)).toEqual([]);
  });

  test("policy/, the language, imports nothing from engine/", () => {
    expect(importsFrom(graph, ["policy"], (imported) => layerOf(imported) === "engine")).toEqual([]);
  });

  test("imports point down the list of layers, but for the known exceptions", () => {
    expect(backwardImports(graph).filter((edge) => !KNOWN_BACKWARD_IMPORTS.includes(edge))).toEqual([]);
  });

  test("every known exception still exists (remove it from the list when its import goes)", () => {
    const backward = new Set(backwardImports(graph));
    expect(KNOWN_BACKWARD_IMPORTS.filter((edge) => !backward.has(edge))).toEqual([]);
  });

  test("no file of src/ is over 400 lines (issue 8: a file one reader can hold)", () => {
    const long = filesUnder(resolve("src"))
      .map((file) => ({ file: relative(resolve("."), file), lines: readFileSync(file, "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_FILE_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
