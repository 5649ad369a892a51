// Several sockets on the app's port (src/app/listeners.ts): where the runtime can share a port
// (SO_REUSEPORT) the app listens with LISTENERS servers that share its routes, bounds and draining;
// where it cannot, with one — and a socket that cannot join is left out, never a failed start.
import { createHmac, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { LISTENERS, listenAll, listenersHere, reusePortSupported } from "../../src/app/listeners.js";
import { MAX_CONNECTIONS, webhookServer, type Delivery } from "../../src/app/webhook-server.js";

const SECRET = "listeners-secret";
const sign = (body: string): string => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

test("a port is shared from Node 22.12 (23.1 on 23) on Linux and FreeBSD; elsewhere the app listens once", () => {
  expect(reusePortSupported("22.12.0", "linux")).toBe(true);
  expect(reusePortSupported("22.11.9", "linux")).toBe(false);
  expect(reusePortSupported("23.0.0", "linux")).toBe(false);
  expect(reusePortSupported("23.1.0", "freebsd")).toBe(true);
  expect(reusePortSupported("24.11.1", "linux")).toBe(true);
  expect(reusePortSupported("20.20.2", "linux")).toBe(false);
  expect(reusePortSupported("24.11.1", "darwin")).toBe(false);
  expect(reusePortSupported("24.11.1", "win32")).toBe(false);
  expect(listenersHere()).toBe(reusePortSupported() ? LISTENERS : 1);
});

test("the servers of one app share its routes, its body budget and its draining; the connections' bound is split among them", async () => {
  const received: Delivery[] = [];
  const { servers, drain, server } = webhookServer({
    log: pino({ level: "silent" }),
    listeners: 3,
    target: { verify: async (body, signature) => signature === sign(body), receive: async (d) => void received.push(d), ready: async () => ({ queue: true, credentials: true }) },
  });
  expect(servers).toHaveLength(3);
  expect(server).toBe(servers[0]);
  expect(servers.reduce((sum, s) => sum + s.maxConnections, 0)).toBeGreaterThanOrEqual(MAX_CONNECTIONS);
  expect(servers.reduce((sum, s) => sum + s.maxConnections, 0)).toBeLessThan(MAX_CONNECTIONS + 3);
  // Each on a port of its own here: what is shared is the app's state, whichever socket a connection came to.
  for (const s of servers) await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  try {
    const urls = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    for (const url of urls) {
      const body = JSON.stringify({ action: "opened", number: 1 });
      const answer = await fetch(`${url}/api/github/webhooks`, { method: "POST", body, headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(body) } });
      expect(answer.status).toBe(202);
    }
    expect(received).toHaveLength(3);
    drain();
    for (const url of urls) expect((await fetch(`${url}/readyz`)).status).toBe(503);
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
});

test("listening with several sockets: on a runtime that shares the port all listen on it; on one that cannot, the first does and the others are left out, with a warning", async () => {
  const { servers } = webhookServer({ log: pino({ level: "silent" }), listeners: 2, target: { verify: async () => false, receive: async () => undefined, ready: async () => ({ queue: true, credentials: true }) } });
  const warnings: unknown[] = [];
  const { port, listening } = await listenAll(servers, 0, "127.0.0.1", { warn: (...args: unknown[]) => void warnings.push(args) } as never);
  try {
    expect(port).toBe((servers[0]?.address() as AddressInfo).port);
    // However many listen, together they take MAX_CONNECTIONS connections.
    expect(listening.reduce((sum, s) => sum + s.maxConnections, 0)).toBe(MAX_CONNECTIONS);
    if (reusePortSupported()) {
      expect(listening).toEqual(servers);
      expect((servers[1]?.address() as AddressInfo).port).toBe(port);
      expect(warnings).toEqual([]);
    } else {
      // Node 20 knows no reusePort: the second socket finds the port taken.
      expect(listening).toEqual([servers[0]]);
      expect(servers[1]?.listening).toBe(false);
      expect(JSON.stringify(warnings)).toMatch(/EADDRINUSE/);
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  } finally {
    for (const s of listening) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

test("a port already taken fails the start, as a single server's did — also where the taker, a second instance of the app, shares it among its sockets", async () => {
  const make = () => webhookServer({ log: pino({ level: "silent" }), listeners: 2, target: { verify: async () => false, receive: async () => undefined, ready: async () => ({ queue: true, credentials: true }) } }).servers;
  const { port, listening: taken } = await listenAll(make(), 0, "127.0.0.1", pino({ level: "silent" }));
  try {
    const second = make();
    await expect(listenAll(second, port, "127.0.0.1", pino({ level: "silent" }))).rejects.toThrow(/EADDRINUSE/);
    expect(second.some((s) => s.listening)).toBe(false);
    // One socket alone is refused too.
    await expect(listenAll(make().slice(0, 1), port, "127.0.0.1", pino({ level: "silent" }))).rejects.toThrow(/EADDRINUSE/);
  } finally {
    for (const s of taken) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});
