// The place of render/ (CONVENTIONS.md): pure, it imports only engine/, policy/ and audit/ (the
// record it renders) and itself — no probot, @octokit/*, github/, app/ or cli/ — and nothing below
// it imports it back; its own files import one another without a cycle.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The modules each .ts file of `dir` imports, as written. */
function importsOf(dir: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(join(dir, file), "utf8");
    found.set(file, [...source.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s+"([^"]+)"/g)].map((m) => (m[1] ?? m[2]) as string));
  }
  return found;
}

test("render/ imports only engine/, policy/, audit/, itself and node:", () => {
  const render = importsOf("src/render");
  expect(render.size).toBeGreaterThan(10);
  const outside = [...render].flatMap(([file, imported]) =>
    imported.filter((m) => !/^(\.\/[^/]+|\.\.\/(engine|policy|audit)\/[^/]+)\.js$|^node:/.test(m)).map((m) => `${file} → ${m}`),
  );
  expect(outside).toEqual([]);
});

test.each(["src/engine", "src/policy", "src/audit"])("%s does not import render/", (dir) => {
  const back = [...importsOf(dir)].flatMap(([file, imported]) => imported.filter((m) => m.startsWith("../render/")).map((m) => `${file} → ${m}`));
  expect(back).toEqual([]);
});

test("no file of render/ imports, through others, a file that imports it", () => {
  const local = (m: string): string[] => {
    const name = /^\.\/([^/]+)\.js$/.exec(m)?.[1];
    return name === undefined ? [] : [`${name}.ts`];
  };
  const graph = new Map([...importsOf("src/render")].map(([file, imported]) => [file, imported.flatMap(local)]));
  const cycles: string[][] = [];
  const done = new Set<string>();
  const walk = (file: string, path: string[]): void => {
    const at = path.indexOf(file);
    if (at >= 0) return void cycles.push([...path.slice(at), file]);
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) walk(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) walk(file, []);
  expect(cycles).toEqual([]);
});
