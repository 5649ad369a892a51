// The shape of cli/ (CONVENTIONS.md): no import cycle between its files, and command.ts imports nothing from cli/.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cycles } from "../support/cycles.js";

const CLI = "src/cli";

/** Each file of src/cli and the files of src/cli it imports (relative imports of "./x.js"). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(CLI).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(join(CLI, file), "utf8");
    const imported = [...source.matchAll(/\bfrom\s+"\.\/([^"/]+)\.js"|\bimport\s+"\.\/([^"/]+)\.js"/g)].map((m) => `${m[1] ?? m[2]}.ts`);
    graph.set(file, imported);
  }
  return graph;
}

test("the walk finds a cycle when there is one", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
  ]);
  expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
});

test("no file of src/cli imports, through others, a file that imports it", () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(5);
  expect(cycles(graph)).toEqual([]);
});

test("command.ts, what every command is made of, imports nothing from cli/", () => {
  expect(importGraph().get("command.ts")).toEqual([]);
});
