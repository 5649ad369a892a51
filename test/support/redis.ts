// A real Redis for the tests of what replicas share: COMPLIANCE_TEST_REDIS_URL when .ci/run sets it, else a
// redis-server started here on a free loopback port (and stopped after). No Redis fails the
// test — it never skips — so a missing server cannot pass for a green run.
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import { Redis } from "ioredis";

/** The database these tests use on a shared server. */
const TEST_DB = 14;

export interface TestRedis {
  url: string;
  /** A new connection (each replica of a test has its own). */
  connect(): Redis;
  /** Empties the test database (14) between tests. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
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

async function started(url: string, deadline: number): Promise<void> {
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

/** Redis for this test file: COMPLIANCE_TEST_REDIS_URL, or a server of its own. */
export async function startTestRedis(): Promise<TestRedis> {
  let url = process.env["COMPLIANCE_TEST_REDIS_URL"];
  let server: ChildProcess | undefined;
  if (url === undefined || url === "") {
    const port = await freePort();
    server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const failed = new Promise<never>((_, reject) => server?.once("error", (error) => reject(new Error(`no Redis for the tests: set COMPLIANCE_TEST_REDIS_URL or install redis-server (${error.message})`))));
    url = `redis://127.0.0.1:${port}`;
    await Promise.race([started(url, Date.now() + 10_000), failed]);
  } else {
    await started(url, Date.now() + 10_000);
  }
  const connections: Redis[] = [];
  const connect = (): Redis => {
    // A database of its own (14): flushing it between tests touches nothing of the queue's tests sharing the server.
    const redis = new Redis(url as string, { maxRetriesPerRequest: 1, db: TEST_DB });
    connections.push(redis);
    return redis;
  };
  const admin = connect();
  return {
    url,
    connect,
    flush: async () => void (await admin.flushdb()),
    stop: async () => {
      for (const redis of connections) redis.disconnect();
      if (server) {
        const exited = new Promise((resolve) => server?.once("exit", resolve));
        server.kill("SIGTERM");
        await exited;
      }
    },
  };
}
