// A real Redis for the tests of the queue: the one .ci/run starts (COMPLIANCE_TEST_REDIS_URL), and
// servers of their own for tests that stop, restart or lose Redis (redis-server from PATH, which
// .ci/run installs). In CI a missing Redis fails those tests; elsewhere they are skipped, loudly.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The shared test Redis .ci/run started, if any. */
const SHARED = process.env["COMPLIANCE_TEST_REDIS_URL"]?.trim() || undefined;
const IN_CI = ["1", "true"].includes((process.env["CI"] ?? "").toLowerCase());

function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

const SERVER = hasRedisServer();

/**
 * Whether the Redis tests can run here. In CI, a missing Redis is a failure of the run (thrown
 * when the test file loads), never a silent skip; elsewhere the tests are skipped with a warning.
 */
export function redisAvailable(needs: "shared" | "server"): boolean {
  const ok = needs === "shared" ? SHARED !== undefined || SERVER : SERVER;
  if (ok) return true;
  const what = needs === "shared" ? "COMPLIANCE_TEST_REDIS_URL (set by .ci/run) or redis-server on PATH" : "redis-server on PATH (.ci/run installs it)";
  if (IN_CI) throw new Error(`these tests need a real Redis: ${what} is missing`);
  console.warn(`SKIPPED: the Redis tests need ${what}; run .ci/run, or install redis-server`);
  return false;
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix(): string {
  return `cg-test-${randomUUID().slice(0, 8)}`;
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

/** A redis-server of a test's own, on a loopback port, its data in a temporary folder (append-only, so a restart keeps it). */
export class RedisServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "cg-redis-"));

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again), and waits until it answers. */
  async start(): Promise<void> {
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    this.process = child;
    let output = "";
    child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      const check = (): void => {
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(deadline);
          child.stdout?.off("data", check);
          resolve();
        }
      };
      child.stdout?.on("data", check);
      child.once("exit", (code) => {
        clearTimeout(deadline);
        reject(new Error(`redis-server exited (${code}): ${output}`));
      });
    });
  }

  /** Stops it (SIGTERM: the append-only file is flushed), and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    child.removeAllListeners("exit");
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  /** Stops it for good and removes its data. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The shared Redis's URL, or a server of this file's own (closed by the returned function). */
export async function sharedRedis(): Promise<{ url: string; close: () => Promise<void> }> {
  if (SHARED !== undefined) return { url: SHARED, close: async () => undefined };
  const server = await RedisServer.start();
  return { url: server.url, close: () => server.close() };
}

/** Waits until `found` returns something other than undefined (polling; fails after `ms`). */
export async function eventually<T>(what: string, found: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await found();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
