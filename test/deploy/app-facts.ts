// What the app says about how it runs, read from the app itself — its configuration, its sources,
// Probot's, package.json — so that the Dockerfile and the manifests are held to it, not to a
// second copy of it in a test.
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { loadConfig } from "../../src/app/config.js";

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

/** Every variable loadConfig reads, found by letting it read an environment that records each name asked for. */
export function variablesOfConfig(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, name) {
      if (typeof name === "string") read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return read;
}

/** Names read as `env.NAME`, `env["NAME"]`, `process.env.NAME` (and Probot's `envWithDefaults.NAME`) in source text. */
export function variablesInSource(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b(?:env|envWithDefaults)\??(?:\.|\[\s*["'`])([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1] as string);
  return names;
}

/**
 * Every variable the running app reads: its configuration (src/app/config.ts), the rest of src/
 * (the server), and Probot's (its server, createProbot, the private key reader).
 */
export function variablesOfApp(): Set<string> {
  const names = variablesOfConfig();
  const sources = [
    ...filesUnder("src", ".ts"),
    ...filesUnder("node_modules/probot/lib", ".js"),
    ...filesUnder("node_modules/@probot/get-private-key/dist-src", ".js"),
  ];
  for (const file of sources) for (const name of variablesInSource(readFileSync(file, "utf8"))) names.add(name);
  return names;
}

/** package.json's scripts. */
export function scripts(): Record<string, string> {
  return (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
}

/**
 * The command `npm start` runs, as a process would be started without npm: an executable of
 * node_modules/.bin becomes `node <its script>` (the path the .bin link points to).
 */
export function startCommand(): string[] {
  const words = (scripts()["start"] ?? "").trim().split(/\s+/);
  const [program = "", ...rest] = words;
  if (program === "node") return words;
  const link = join("node_modules", ".bin", program);
  const script = normalize(relative(".", join(dirname(link), readlinkSync(link))));
  return ["node", script, ...rest];
}

/** Whether a source file of src/ names `path` as a string literal: the routes the server serves. */
export function appServes(path: string): boolean {
  const literal = new RegExp(`["'\`]${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}["'\`]`);
  return filesUnder("src", ".ts").some((file) => literal.test(readFileSync(file, "utf8")));
}
