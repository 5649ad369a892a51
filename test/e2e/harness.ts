// Real processes for the end-to-end tests of the queue: the app as `npm start` runs it
// (node lib/server.js) on loopback ports, the in-memory GitHub behind a proxy that makes every
// answer slow (so that runs overlap as they do against GitHub), and signed deliveries.
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "../support/redis.js";
import type { FakeGitHub, PostedCheck } from "../fakes/github-server.js";

export const SECRET = "e2e-webhook-secret";
export const OWNER = "acme";
export const REPO = "gitops";
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

interface Example {
  name: string;
  examples: Array<Record<string, unknown> & { action: string }>;
}
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];

// Webhook example JSON is edited in place; typing every payload shape here would add nothing.
/* eslint-disable @typescript-eslint/no-explicit-any */
/** GitHub's example of `event`.`action`, moved to acme/gitops#`number` at `head`, installation 1. */
export function payload(event: string, action: string, number: number, head: string, extra: (p: Record<string, any>) => void = () => {}): Record<string, unknown> {
  const found = examples.find((d) => d.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no ${event}.${action} example`);
  const p = structuredClone(found) as Record<string, any>;
  p.installation = { id: 1, node_id: "inst" };
  p.repository.name = REPO;
  p.repository.full_name = `${OWNER}/${REPO}`;
  p.repository.owner.login = OWNER;
  p.repository.default_branch = "main";
  const pr = p.pull_request;
  pr.number = number;
  pr.user.login = "carol";
  pr.head.sha = head;
  pr.base.ref = "main";
  pr.base.repo.name = REPO;
  pr.base.repo.full_name = `${OWNER}/${REPO}`;
  pr.base.repo.owner.login = OWNER;
  pr.base.repo.default_branch = "main";
  pr.labels = [];
  pr.state = "open";
  extra(p);
  return p;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

let deliveries = 0;

/** Posts a signed delivery; its status (0 when the app is not listening). */
export async function deliver(url: string, event: string, body: unknown): Promise<number> {
  const text = JSON.stringify(body);
  const signature = `sha256=${createHmac("sha256", SECRET).update(text).digest("hex")}`;
  try {
    const response = await fetch(`${url}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": `e2e-${process.pid}-${++deliveries}`, "x-hub-signature-256": signature },
      body: text,
    });
    await response.text();
    return response.status;
  } catch {
    return 0;
  }
}

/** A loopback proxy to the fake GitHub that answers each request `delayMs` late, and each write (POST, PATCH) `writeDelayMs` late. */
export async function slowProxy(github: FakeGitHub, delayMs: number, writeDelayMs = delayMs): Promise<{ host: string; close: () => Promise<void> }> {
  const target = new URL(github.url);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      setTimeout(() => {
        const forward = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on("error", () => res.writeHead(502).end());
        forward.end(Buffer.concat(chunks));
      }, req.method === "GET" ? delayMs : writeDelayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One app process. */
export class AppProcess {
  log = "";
  private child: ChildProcess | undefined;

  private constructor(
    readonly url: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts `node lib/server.js` against `githubHost`, with `extra` variables; resolves once /healthz answers. */
  static async start(githubHost: string, extra: Record<string, string> = {}): Promise<AppProcess> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env["PATH"],
      HOME: process.env["HOME"],
      APP_ID: "1",
      PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      GHE_HOST: githubHost,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      NODE_ENV: "production",
      // Sweeps read every installation: their requests are not these tests'.
      COMPLIANCE_STARTUP_SWEEP: "off",
      COMPLIANCE_ENFORCE_SWEEP_INTERVAL: "0",
      ...extra,
    };
    const app = new AppProcess(`http://127.0.0.1:${port}`, env);
    await app.restart();
    return app;
  }

  /** Starts the process (again, after a kill), and waits until it answers. */
  async restart(): Promise<void> {
    const child = spawn(process.execPath, ["lib/server.js"], { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.on("data", (c: Buffer) => (this.log += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (this.log += c.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const answer = await fetch(`${this.url}/healthz`);
        await answer.text();
        return;
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the app did not start: ${this.log.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Sends `signal` and waits for the process to exit; its exit code. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** GET /metrics: its status and Prometheus text. */
  async metrics(): Promise<{ status: number; body: string }> {
    const answer = await fetch(`${this.url}/metrics`);
    return { status: answer.status, body: await answer.text() };
  }

  async readyz(): Promise<number> {
    try {
      const answer = await fetch(`${this.url}/readyz`);
      await answer.text();
      return answer.status;
    } catch {
      return 0;
    }
  }
}

/** Waits until `found` returns something; fails after `ms` with what `context` says. */
export async function eventually<T>(what: string, found: () => T | undefined | Promise<T | undefined>, context: () => string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await found();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened. ${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The latest check `name` on `sha`. */
export function latest(github: FakeGitHub, name: string, sha: string): PostedCheck | undefined {
  return github.checks.filter((c) => c.name === name && c.head_sha === sha).at(-1);
}
