// `npm start` as a new user meets it (node lib/server.js, in a folder of its own): the credentials
// Probot's setup page wrote to `.env` are found at the next start, and without any, in production,
// the app stops saying which variable is missing.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../support/redis.js";

const SERVER = resolve("lib/server.js");
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

let folder: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "cg-start-"));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child?.once("exit", done));
    child.kill("SIGTERM");
    await exited;
  }
  child = undefined;
  rmSync(folder, { recursive: true, force: true });
});

/** Starts the server in `folder` with no credentials in its environment; its output is collected. */
async function startIn(cwd: string, extra: Record<string, string> = {}): Promise<{ url: string; output: () => string; exited: Promise<number | null> }> {
  const port = await freePort();
  let output = "";
  child = spawn(process.execPath, [SERVER], {
    cwd,
    env: {
      PATH: process.env["PATH"],
      HOME: process.env["HOME"],
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      // Nothing here may reach GitHub: no sweeps, and a GitHub that is not there.
      GHE_HOST: "127.0.0.1:9",
      GHE_PROTOCOL: "http",
      COMPLIANCE_STARTUP_SWEEP: "off",
      COMPLIANCE_ENFORCE_SWEEP_INTERVAL: "0",
      ...extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => child?.once("exit", (code) => done(code)));
  return { url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

test("the credentials the setup page wrote to .env are read at the next start: the app's own server answers, ready once warmed up", async () => {
  // As Probot's setup writes it: one line each, the key's line breaks escaped.
  writeFileSync(join(folder, ".env"), `APP_ID=1\nPRIVATE_KEY=${PRIVATE_KEY.replace(/\n/g, "\\n")}\nWEBHOOK_SECRET=from-the-setup-page`);
  // The most deliveries a warm-up sends: seconds of it, long enough to be seen not ready meanwhile.
  const app = await startIn(folder, { COMPLIANCE_WARM_UP_DELIVERIES: "1000" });
  const deadline = Date.now() + 20_000;
  const answers: { status: number; body: unknown }[] = [];
  while (answers.at(-1)?.status !== 200) {
    if (Date.now() > deadline || child?.exitCode !== null) throw new Error(`the app did not answer /readyz: ${JSON.stringify(answers.slice(-3))} ${app.output().slice(-2000)}`);
    const answer = await fetch(`${app.url}/readyz`).then(
      async (r) => ({ status: r.status, body: await r.json() }),
      () => undefined,
    );
    if (answer !== undefined) answers.push(answer);
    await new Promise((r) => setTimeout(r, 20));
  }
  // Listening, but not ready while it sends itself its rehearsal; ready after it, and says so.
  expect(answers[0]).toEqual({ status: 503, body: { ready: false, queue: true, credentials: true, warming_up: true } });
  expect(answers.at(-1)).toEqual({ status: 200, body: { ready: true, queue: true, credentials: true } });
  expect(answers.slice(0, -1).every((a) => a.status === 503)).toBe(true);
  await new Promise((r) => setTimeout(r, 200));
  expect(app.output()).toMatch(/warmed up: the delivery path ran its rehearsal, nothing was queued/);
}, 30_000);

test("no credentials at all, in production: the app stops at start and names the variable", async () => {
  const app = await startIn(folder);
  expect(await app.exited).toBe(1);
  expect(app.output()).toMatch(/APP_ID/);
}, 30_000);
