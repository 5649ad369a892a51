// The Dockerfile, read as docker would (there is no docker here to build it): a supported Node.js
// LTS, a non-root user, listening on every interface, a health check on the liveness path, and the
// command `npm start` runs — each held to package.json, the app and deploy/kubernetes/.
import { existsSync, readFileSync } from "node:fs";
import { envOf, execForm, last, readDockerfile, stagesOf, type Stage } from "./dockerfile.js";
import { scripts, startCommand } from "./app-facts.js";
import { build, one } from "./kustomize.js";

/**
 * Node.js LTS lines and their end of life, from the Node.js release schedule (nodejs/Release) as
 * of 2026-11-30. A line past its date fails the test below: time to move the image on.
 */
const NODE_LTS_END_OF_LIFE: Record<number, string> = { 20: "2026-04-30", 22: "2027-04-30", 24: "2028-04-30", 26: "2029-04-30" };

const stages = readDockerfile();
const runtime = stages.at(-1) as Stage;
const base = build("deploy/kubernetes/base");
const deployment = one(base, "Deployment");
const container = deployment["spec"]["template"]["spec"]["containers"][0];

/** The Node.js major of an official node image reference (`node:24-trixie-slim` → 24). */
function nodeMajor(image: string): number {
  const match = /^(?:docker\.io\/(?:library\/)?)?node:(\d+)[-.@\w]*$/.exec(image);
  if (!match) throw new Error(`${image} is not an official node image with a major version`);
  return Number(match[1]);
}

/** Whether `major` satisfies package.json's engines.node (`^20.18.1 || >=22`: each alternative `^N…` or `>=N`). */
function enginesAllow(range: string, major: number): boolean {
  return range.split("||").some((alternative) => {
    const a = alternative.trim();
    const caret = /^\^(\d+)/.exec(a);
    if (caret) return Number(caret[1]) === major;
    const atLeast = /^>=\s*(\d+)/.exec(a);
    if (atLeast) return major >= Number(atLeast[1]);
    throw new Error(`cannot read "${a}" of engines.node`);
  });
}

test("the reader joins continuation lines, drops comments and substitutes build ARGs", () => {
  const read = stagesOf('ARG IMG=node:24-slim\n# a comment\nFROM ${IMG} AS one\nRUN a \\\n  && b\nFROM one\nENV A=1 \\\n    B="x y"\n');
  expect(read.map((s) => [s.from, s.name])).toEqual([["node:24-slim", "one"], ["one", undefined]]);
  expect(read[0]?.instructions).toEqual([{ keyword: "RUN", args: "a && b", line: 4 }]);
  expect(envOf(read[1] as Stage)).toEqual(new Map([["A", "1"], ["B", "x y"]]));
});

test("every stage is the official node image of one supported LTS line that package.json allows", () => {
  const majors = new Set(stages.filter((s) => !stages.some((o) => o.name === s.from)).map((s) => nodeMajor(s.from)));
  expect(majors.size).toBe(1);
  const [major] = [...majors] as [number];
  const endOfLife = NODE_LTS_END_OF_LIFE[major];
  expect(endOfLife).toBeDefined();
  expect(new Date(`${endOfLife}T23:59:59Z`).getTime()).toBeGreaterThan(Date.now());
  const engines = (JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } }).engines.node;
  expect(enginesAllow(engines, major)).toBe(true);
  // The package still runs on the development machine's Node.js 20.
  expect(enginesAllow(engines, 20)).toBe(true);
});

test("the image runs as a non-root user, by number, the user the Deployment runs as", () => {
  const user = last(runtime, "USER")?.args ?? "root";
  const [uid, gid] = user.split(":");
  expect(uid).toMatch(/^\d+$/);
  expect(Number(uid)).toBeGreaterThan(0);
  const security = deployment["spec"]["template"]["spec"]["securityContext"];
  expect(security).toMatchObject({ runAsNonRoot: true, runAsUser: Number(uid), runAsGroup: Number(gid ?? uid) });
});

test("it listens on every interface, on the port it exposes and the Deployment names", () => {
  const env = envOf(runtime);
  expect(env.get("HOST")).toBe("0.0.0.0");
  expect(env.get("NODE_ENV")).toBe("production");
  const exposed = (last(runtime, "EXPOSE")?.args ?? "").split(/\s+/);
  expect(exposed).toEqual([env.get("PORT")]);
  expect(String(container["ports"][0]["containerPort"])).toBe(env.get("PORT"));
});

// Probot's logger (the one npm start uses) prints pretty, multi-line text unless LOG_FORMAT=json,
// whatever NODE_ENV says: a log pipeline needs one JSON line per record.
test("it logs JSON lines, in the image and in the manifests' settings", () => {
  expect(envOf(runtime).get("LOG_FORMAT")).toBe("json");
  expect(one(base, "ConfigMap")["data"]["LOG_FORMAT"]).toBe("json");
});

test("the health check asks the liveness path on the port the app listens on", () => {
  const healthcheck = last(runtime, "HEALTHCHECK");
  expect(healthcheck).toBeDefined();
  const command = execForm(healthcheck?.args ?? "");
  expect(command[0]).toBe("node");
  const script = command.join(" ");
  expect(script).toContain(`${container["livenessProbe"]["httpGet"]["path"]}'`);
  expect(script).toContain("process.env.PORT");
  expect(script).toContain("http://127.0.0.1:");
  expect(healthcheck?.args).toMatch(/--timeout=\d+s/);
});

test("the container runs what npm start runs, under an init that passes signals on, built as npm run build builds", () => {
  expect(execForm(last(runtime, "CMD")?.args ?? "")).toEqual(startCommand());
  const entrypoint = execForm(last(runtime, "ENTRYPOINT")?.args ?? "[]");
  expect(entrypoint).toEqual(["/usr/bin/tini", "--"]);
  expect(runtime.instructions.some((i) => i.keyword === "RUN" && /apt-get install .*\btini\b/.test(i.args))).toBe(true);
  const buildScript = scripts()["build"] ?? "";
  const builder = stages.find((s) => s.instructions.some((i) => i.keyword === "RUN" && i.args.includes(buildScript.replace(/^tsc/, "npx tsc"))));
  expect(builder).toBeDefined();
  expect(runtime.instructions.some((i) => i.keyword === "COPY" && i.args === `--from=${builder?.name} /app/lib ./lib`)).toBe(true);
});

test("the runtime image holds the runtime dependencies only, installed from the lock file", () => {
  const installs = stages.flatMap((s) => s.instructions).filter((i) => i.keyword === "RUN" && /\bnpm (ci|install)\b/.test(i.args));
  expect(installs.every((i) => /\bnpm ci\b/.test(i.args))).toBe(true);
  expect(installs.some((i) => i.args.includes("--omit=dev"))).toBe(true);
  const copied = runtime.instructions.filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"));
  for (const copy of copied) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) expect(existsSync(source)).toBe(true);
    expect(sources).not.toContain(".");
  }
});

test(".dockerignore keeps this machine's builds, dependencies and secrets out of the build context", () => {
  const ignored = readFileSync(".dockerignore", "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const entry of ["node_modules", "lib", ".git", ".env", "*.pem"]) expect(ignored).toContain(entry);
  for (const needed of ["src", "package.json", "package-lock.json", "tsconfig.json", "app.yml", "bin"]) expect(ignored).not.toContain(needed);
});
