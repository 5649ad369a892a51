// A real Redis for the tests of the queue and of what replicas share: the one .ci/run starts
// (COMPLIANCE_TEST_REDIS_URL), or outside CI a redis-server started here on a free loopback port;
// and servers of their own for tests that stop, restart or lose Redis. No Redis fails the test —
// it never skips — and in CI (CI=1) a missing COMPLIANCE_TEST_REDIS_URL fails it too.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

const IN_CI = ["1", "true"].includes((process.env["CI"] ?? "").trim().toLowerCase());

/**
 * The shared test Redis .ci/run started, or undefined outside CI when none is set (the test then
 * starts a server of its own). In CI its absence is a failure of the run, never a skip.
 */
export function sharedRedisUrl(): string | undefined {
  const url = process.env["COMPLIANCE_TEST_REDIS_URL"]?.trim() || undefined;
  if (url === undefined && IN_CI) throw new Error("these tests need a real Redis: COMPLIANCE_TEST_REDIS_URL is not set (.ci/run sets it)");
  return url;
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

/** Whether something accepts connections at the URL's host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Waits (at most 10 s) until Redis at `url` answers PING. */
async function answering(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  // Plain TCP until it listens: a refused ioredis connection leaves a timer that keeps Jest alive.
  while (!(await listening(url))) {
    if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const probe = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await probe.ping();
  } finally {
    probe.disconnect();
  }
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

  /** Starts it (again), and waits until it answers; fails when redis-server is not on PATH. */
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
      child.once("error", (error) => {
        clearTimeout(deadline);
        reject(new Error(`these tests need redis-server on PATH (.ci/run installs it): ${error.message}`));
      });
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

  /** Restarts it empty, as a Redis without persistence comes back (a new run_id, nothing kept). */
  async restartEmpty(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
    await this.start();
  }

  /** Stops it for good and removes its data. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The shared Redis's URL, or (outside CI, without one) a server of the caller's own, closed by `close`. */
export async function sharedRedis(): Promise<{ url: string; close: () => Promise<void> }> {
  const shared = sharedRedisUrl();
  if (shared !== undefined) {
    await answering(shared);
    return { url: shared, close: async () => undefined };
  }
  const server = await RedisServer.start();
  return { url: server.url, close: () => server.close() };
}

/** The database the tests of shared stores use: flushing it between tests touches nothing of the queue's tests on the same server. */
const STORE_DB = 14;

export interface TestRedis {
  url: string;
  /** A new connection to database 14 (each replica of a test has its own). */
  connect(): Redis;
  /** Empties database 14 between tests. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Redis for the tests of the stores replicas share (database 14): the shared one, or a server of this file's own. */
export async function startTestRedis(): Promise<TestRedis> {
  const redis = await sharedRedis();
  const connections: Redis[] = [];
  const connectTo = (): Redis => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1, db: STORE_DB });
    connections.push(connection);
    return connection;
  };
  const admin = connectTo();
  return {
    url: redis.url,
    connect: connectTo,
    flush: async () => void (await admin.flushdb()),
    stop: async () => {
      for (const connection of connections) connection.disconnect();
      await redis.close();
    },
  };
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

/** What a queue's test file shares: the shared Redis, an admin connection to it, the queues its tests made. */
export interface QueueTestBed {
  readonly url: string;
  /** A connection for looking into (or tampering with) what the queues keep. */
  readonly admin: Redis;
  /** The queues a test made: closed after each test (a test that closes one itself takes it out). */
  readonly made: { close(graceMs: number): Promise<void> }[];
}

/** The setup of a queue-in-Redis test file, registered in its beforeAll / afterEach / afterAll: call it at the file's top level. */
export function queueTestBed(): QueueTestBed {
  let redis: { url: string; close: () => Promise<void> } | undefined;
  let admin: Redis | undefined;
  const made: QueueTestBed["made"] = [];
  beforeAll(async () => {
    redis = await sharedRedis();
    admin = new Redis(redis.url);
  });
  afterEach(async () => void (await Promise.all(made.splice(0).map((queue) => queue.close(0)))));
  afterAll(async () => {
    admin?.disconnect();
    await redis?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the queue's test bed is used before its beforeAll ran");
    return value;
  };
  return {
    get url() {
      return ready(redis).url;
    },
    get admin() {
      return ready(admin);
    },
    made,
  };
}
