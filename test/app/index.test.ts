// The app as `probot run ./lib/index.js` loads it: configuration from the environment, refused when bad.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Probot, type ApplicationFunctionOptions } from "probot";
import pino from "pino";
import compliance from "../../src/index.js";
import { example } from "./helpers.js";

const probot = (): Probot => new Probot({ githubToken: "test", log: pino({ level: "silent" }) });

test("loads with the default configuration", async () => {
  await expect(probot().load(compliance)).resolves.toBeUndefined();
});

test("a bad configuration variable stops it at startup, naming the variable", async () => {
  process.env["COMPLIANCE_CONCURRENCY"] = "lots";
  try {
    await expect(probot().load(compliance)).rejects.toThrow('COMPLIANCE_CONCURRENCY must be a whole number from 1 to 64, got "lots"');
  } finally {
    delete process.env["COMPLIANCE_CONCURRENCY"];
  }
});

test("under probot run, Probot's deliveries reach the handlers (handed on to the dispatch npm start uses)", async () => {
  let metrics: Parameters<ApplicationFunctionOptions["addHandler"]>[0] | undefined;
  const app = probot();
  await app.load(compliance, { cwd: process.cwd(), addHandler: (handler) => void (metrics = handler) });
  // An event about no repository: the handlers only count it (no job, no request to GitHub).
  await app.receive({ id: "d-probot-run", name: "github_app_authorization", payload: example("github_app_authorization", "revoked") } as never);
  const server = createServer((req, res) => void metrics?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(body).toContain('compliance_gate_deliveries_total{event="github_app_authorization.revoked"} 1');
  } finally {
    server.close();
  }
});
