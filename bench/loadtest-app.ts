// The processes of the loadtest: the app as `npm start` runs it (package.json's start script,
// without its prestart build, which the loadtest runs once), a redis-server of its own, and what
// each costs (memory, CPU) read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { load } from "js-yaml";

/** A running process of the app. */
export interface Replica {
  name: string;
  url: string;
  pid: number;
  /** Warnings and errors the app logged (pino levels 40 and 50+), and the first few of them. */
  warnings: number;
  errors: number;
  problems: string[];
  /** Evaluations it logged (its "evaluated owner/repo#n" lines): whether it has run one yet. */
  evaluations: number;
  /** The last lines it printed. */
  tail: string[];
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how long it took to exit. */
  stop(graceMs?: number): Promise<number>;
}

/** Variables the loadtest sets for the replicas itself: LOADTEST_APP_<NAME> may not change them (it would change what is measured, or break the run). */
const OWNED = ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "GHE_HOST", "GHE_PROTOCOL", "LOG_FORMAT", "REDIS_URL", "NODE_ENV", "HOST", "PORT", "PATH", "HOME"];

/**
 * LOADTEST_APP_<NAME>=<value> of `env`: <NAME>=<value> for the replicas too (LOG_LEVEL=debug,
 * NODE_OPTIONS=--require a profiler), for looking into a run. Throws on a name the loadtest owns,
 * and on a LOG_LEVEL above info (the loadtest counts the replicas' evaluations from their info lines).
 */
export function appOverrides(env: NodeJS.ProcessEnv): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("LOADTEST_APP_") || value === undefined) continue;
    const own = name.slice("LOADTEST_APP_".length);
    if (OWNED.includes(own)) throw new Error(`${name}: the loadtest sets ${own} for the replicas itself`);
    if (own === "LOG_LEVEL" && !["trace", "debug", "info"].includes(value.trim().toLowerCase())) throw new Error(`${name}: the loadtest reads the replicas' info lines; trace, debug or info`);
    overrides[own] = value;
  }
  return overrides;
}

/** The command package.json's start script runs. */
export function startScript(root: string): string {
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
  const start = scripts["start"];
  if (!start) throw new Error("package.json has no start script");
  return start;
}

/** The readiness probe's path of the Kubernetes Deployment: the loadtest waits for it as Kubernetes would. */
export function readinessPath(root: string): string {
  const deployment = load(readFileSync(join(root, "deploy/kubernetes/base/deployment.yaml"), "utf8")) as {
    spec: { template: { spec: { containers: { readinessProbe?: { httpGet?: { path?: string } } }[] } } };
  };
  return deployment.spec.template.spec.containers[0]?.readinessProbe?.httpGet?.path ?? "/";
}

/**
 * The spacing between two GitHub writes of one installation the app keeps with `env`, when its
 * configuration (lib/app/config.js) declares one (`pacing.writeSpacingMs`); undefined otherwise.
 */
export async function configuredWriteSpacing(root: string, env: Record<string, string>): Promise<number | undefined> {
  try {
    const config = (await import(pathToFileURL(join(root, "lib", "app", "config.js")).href)) as { loadConfig(env: NodeJS.ProcessEnv): unknown };
    const spacing = (config.loadConfig(env) as { pacing?: { writeSpacingMs?: unknown } }).pacing?.writeSpacingMs;
    return typeof spacing === "number" ? spacing : undefined;
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last lines a replica printed, stack frames left out. */
const lastWords = (replica: Replica): string => replica.tail.filter((l) => !/^\s+at /.test(l)).slice(-10).join("\n  ");

function watch(child: ChildProcess, replica: Replica): void {
  let partial = "";
  // Written as it comes, without blocking this thread (it also serves the stand-in's answers).
  const dir = process.env.LOADTEST_LOGS;
  if (dir) mkdirSync(dir, { recursive: true });
  const logFile = dir ? createWriteStream(join(dir, `${replica.name}.log`), { flags: "a" }) : undefined;
  child.once("exit", () => logFile?.end());
  const take = (chunk: Buffer): void => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    // LOADTEST_LOGS=<dir>: every line a replica prints, kept in <dir>/<replica>.log (for looking into a run).
    logFile?.write(lines.join("\n") + "\n");
    for (const line of lines) {
      if (line.trim() === "") continue;
      replica.tail.push(line.slice(0, 500));
      if (replica.tail.length > 40) replica.tail.shift();
      let level: number;
      let message = line;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string }; error?: string };
        level = entry.level ?? 0;
        if (entry.msg?.startsWith("evaluated ")) replica.evaluations += 1;
        message = `${entry.msg ?? ""}${entry.err?.message ? `: ${entry.err.message}` : entry.error ? `: ${entry.error}` : ""}`;
      } catch {
        level = /error/i.test(line) ? 50 : 0;
      }
      if (level >= 50) replica.errors += 1;
      else if (level >= 40) replica.warnings += 1;
      if (level >= 40 && replica.problems.length < 8) replica.problems.push(`${level >= 50 ? "error" : "warning"}: ${message.slice(0, 300)}`);
    }
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
}

/**
 * Starts one replica: package.json's start script through `sh -c exec`, so the process is the
 * app's own (its pid, its memory), with only the variables given (nothing of this shell's).
 */
export async function startReplica(root: string, name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn("sh", ["-c", `exec ${startScript(root)}`], {
    cwd: root,
    env: {
      PATH: [join(root, "node_modules", ".bin"), process.env["PATH"] ?? ""].join(delimiter),
      HOME: process.env["HOME"] ?? "/tmp",
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let code: number | null = null;
  const exited = new Promise<void>((resolve) => child.once("exit", (c, signal) => ((code = c ?? (signal ? 128 : 0)), resolve())));
  const replica: Replica = {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    warnings: 0,
    errors: 0,
    problems: [],
    evaluations: 0,
    tail: [],
    exitCode: () => code,
    stop: async (graceMs = 15_000) => {
      if (code !== null) return 0;
      const from = performance.now();
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(killer);
      return performance.now() - from;
    },
  };
  watch(child, replica);
  return replica;
}

/**
 * Waits until the replica answers its readiness path with 200. An app without that path (404:
 * Probot's server alone, before issue 10) counts as ready once it answers at all.
 */
export async function waitReady(replica: Replica, path: string, timeoutMs: number): Promise<"ready" | "no readiness path"> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (replica.exitCode() !== null) throw new Error(`${replica.name} exited (${replica.exitCode()}) before it was ready:\n  ${lastWords(replica)}`);
    try {
      const response = await fetch(`${replica.url}${path}`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      if (response.status === 200) return "ready";
      if (response.status === 404) return "no readiness path";
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${replica.name} was not ready after ${timeoutMs / 1000} s:\n  ${lastWords(replica)}`);
    await sleep(200);
  }
}

/** Memory (resident now and at its peak, MiB) and CPU time (s) of a process, from /proc. */
export function costOf(pid: number): { rssMiB: number; peakMiB: number; cpuS: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    // utime and stime: fields 14 and 15 of /proc/pid/stat, after the command in parentheses; 100 ticks a second.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024, cpuS: ticks / 100 };
  } catch {
    return undefined;
  }
}

/** A redis-server of the loadtest's own on a loopback port, nothing saved to disk. */
export interface Redis {
  url: string;
  stop(): Promise<void>;
}

/** Where redis-server is, or undefined: the loadtest installs nothing (`apt-get install -y redis-server`). */
export function redisServer(): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter).concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"])) {
    const candidate = join(dir, "redis-server");
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once("data", (data) => (socket.end(), resolve(data.toString().startsWith("+PONG"))));
    socket.once("error", () => resolve(false));
  });
}

export async function startRedis(binary: string): Promise<Redis> {
  const port = await freePort();
  const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = performance.now() + 10_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await sleep(100);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
