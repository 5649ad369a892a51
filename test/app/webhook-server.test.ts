// The app's HTTP server over real HTTP, with the app's handlers and queue: a signed delivery is
// answered as soon as its jobs are queued (before they run), a wrongly signed or malformed one is
// refused, a queue that cannot take it makes the answer 503 and /readyz false, and nothing crashes;
// bodies are bounded, one and all together, before their signatures can be checked.
import { createHmac, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { Webhooks } from "@octokit/webhooks";
import pino from "pino";
import { InProcessLater } from "../../src/app/later.js";
import { QueueUnavailable, type Job } from "../../src/app/ports.js";
import { webhookServer, type Delivery } from "../../src/app/webhook-server.js";
import { eventually } from "../support/redis.js";

const SECRET = "webhook-secret";
const log = pino({ level: "silent" });

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

interface Running {
  url: string;
  later: InProcessLater;
  ran: Job[];
  /** What onRejected was told: the event name, the payload's action when it was read, and why. */
  rejected: [string, unknown, string][];
  release: () => void;
  drain: () => void;
  close: () => Promise<void>;
}

/** The server over an in-process queue whose jobs wait until released; the handler queues one job per delivery. */
async function serve(options: { maxWaiting?: number } = {}): Promise<Running> {
  const later = new InProcessLater({ clock: Date.now, log, slots: { interactive: 1, bulk: 1 }, ...(options.maxWaiting !== undefined ? { maxWaiting: options.maxWaiting } : {}) });
  const ran: Job[] = [];
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  later.handle("evaluate", {
    run: async (job) => {
      await held;
      ran.push(job);
    },
  });
  const webhooks = new Webhooks({ secret: SECRET });
  const rejected: [string, unknown, string][] = [];
  const { server, drain } = webhookServer({
    log,
    onRejected: ({ name, payload }, reason) => void rejected.push([name, (payload as { action?: unknown } | undefined)?.action, reason]),
    target: {
      verify: (body, signature) => webhooks.verify(body, signature),
      receive: async (delivery: Delivery) => {
        const number = (delivery.payload as { number?: number }).number ?? 0;
        await later.enqueue({ kind: "evaluate", key: `acme/gitops#${number}`, payload: { delivery: delivery.id } });
      },
      ready: async () => ({ queue: await later.ready(), credentials: true }),
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    later,
    ran,
    rejected,
    release,
    drain,
    close: async () => {
      release();
      await later.close(1_000);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function deliver(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${url}/api/github/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(body), ...headers },
    body,
  });
  return { status: response.status, body: await response.text(), retryAfter: response.headers.get("retry-after") };
}

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

test("a signed delivery is answered 202 once its job is queued, before the job has run", async () => {
  running = await serve();
  const answered = await deliver(running.url, { action: "opened", number: 1 });
  expect(answered.status).toBe(202);
  // The job waits (held); the answer did not.
  expect(running.ran).toEqual([]);
  expect((await running.later.stats()).active).toBe(1);
  running.release();
  await running.later.idle();
  expect(running.ran).toHaveLength(1);
});

test.each<[string, (headers: Record<string, string>, body: string) => void, number]>([
  ["a wrong signature", (headers) => void (headers["x-hub-signature-256"] = sign("{}", "not-the-secret")), 401],
  ["a signature of another body", (headers, body) => void (headers["x-hub-signature-256"] = sign(`${body} `)), 401],
  ["no signature", (headers) => delete headers["x-hub-signature-256"], 400],
  ["no event name", (headers) => delete headers["x-github-event"], 400],
])("%s is refused and queues nothing", async (_what, spoil, status) => {
  running = await serve();
  const body = JSON.stringify({ number: 1 });
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(body) };
  spoil(headers, body);
  const response = await fetch(`${running.url}/api/github/webhooks`, { method: "POST", headers, body });
  await response.text();
  expect(response.status).toBe(status);
  const stats = await running.later.stats();
  expect(stats.waiting + stats.active).toBe(0);
  // A bad signature is counted (its body unread, its event unnamed); a delivery without the headers is not GitHub's at all.
  expect(running.rejected).toEqual(status === 401 ? [["unverified", undefined, "signature"]] : []);
});

test("badly signed deliveries under invented event names are all reported as one: the sender cannot mint metric series", async () => {
  running = await serve();
  for (let i = 0; i < 20; i += 1) {
    const body = JSON.stringify({ number: i });
    const event = `invented_${"abcdefghijklmnopqrst"[i]}`;
    const response = await fetch(`${running.url}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(body, "not-the-secret") },
      body,
    });
    await response.text();
    expect(response.status).toBe(401);
  }
  expect(running.rejected).toHaveLength(20);
  expect(new Set(running.rejected.map(([name]) => name))).toEqual(new Set(["unverified"]));
});

test("a signed body that is not JSON is refused with 400", async () => {
  running = await serve();
  const body = "{not json";
  const response = await fetch(`${running.url}/api/github/webhooks`, {
    method: "POST",
    headers: { "x-github-event": "pull_request", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(body) },
    body,
  });
  await response.text();
  expect(response.status).toBe(400);
});

test("when the queue cannot take a delivery: 503 with retry-after, /readyz false; once it can, 202 and ready again", async () => {
  running = await serve({ maxWaiting: 2 });
  expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
  // PR #1 runs (held); #2 and #3 wait: the queue is full.
  for (const number of [1, 2, 3]) expect((await deliver(running.url, { number })).status).toBe(202);
  const refused = await deliver(running.url, { action: "synchronize", number: 4 });
  expect(refused.status).toBe(503);
  expect(refused.retryAfter).toBe("30");
  expect(running.rejected).toEqual([["pull_request", "synchronize", "queue"]]);
  const readyz = await fetch(`${running.url}/readyz`);
  expect([readyz.status, await readyz.json()]).toEqual([503, { ready: false, queue: false, credentials: true }]);
  // A delivery for a PR that already waits folds into its job: still taken.
  expect((await deliver(running.url, { number: 2 })).status).toBe(202);
  expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  running.release();
  await running.later.idle();
  expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
  expect((await deliver(running.url, { number: 4 })).status).toBe(202);
});

test("a handler error that is not the queue's is a 500, logged; the server goes on", async () => {
  const webhooks = new Webhooks({ secret: SECRET });
  let fail: unknown = new Error("boom");
  const { server } = webhookServer({
    log,
    target: {
      verify: (body, signature) => webhooks.verify(body, signature),
      receive: async () => {
        if (fail !== undefined) throw fail;
      },
      ready: async () => ({ queue: true, credentials: true }),
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  expect((await deliver(url, { number: 1 })).status).toBe(500);
  // Probot gathers the handlers' errors: one of them the queue's is a 503.
  fail = new AggregateError([new Error("other"), new QueueUnavailable("Redis is unreachable")]);
  expect((await deliver(url, { number: 1 })).status).toBe(503);
  fail = undefined;
  expect((await deliver(url, { number: 1 })).status).toBe(202);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("shutting down: /readyz answers 503 while deliveries in flight are still answered; other paths 404, other methods 405", async () => {
  running = await serve();
  running.drain();
  const readyz = await fetch(`${running.url}/readyz`);
  expect([readyz.status, await readyz.json()]).toEqual([503, { ready: false, queue: true, credentials: true, shutting_down: true }]);
  expect((await fetch(`${running.url}/nothing`)).status).toBe(404);
  expect((await fetch(`${running.url}/api/github/webhooks`)).status).toBe(405);
});

test("a client that sends a delivery's headers and then drips (slowloris) is cut off with 408, and nothing is queued", async () => {
  const later = new InProcessLater({ clock: Date.now, log, slots: { interactive: 1, bulk: 1 } });
  const { server } = webhookServer({
    log,
    requestTimeoutMs: 300,
    target: {
      verify: async () => true,
      receive: async (delivery) => later.enqueue({ kind: "evaluate", key: delivery.id, payload: {} }),
      ready: async () => ({ queue: true, credentials: true }),
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write("POST /api/github/webhooks HTTP/1.1\r\nhost: app\r\nx-github-event: pull_request\r\nx-github-delivery: d1\r\n");
    socket.write("x-hub-signature-256: sha256=00\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{");
    // …and never the rest: the server closes the connection, not the client.
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((await later.stats()).waiting + (await later.stats()).active).toBe(0);
    // The server goes on.
    expect((await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`)).status).toBe(200);
  } finally {
    await later.close(0);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/**
 * A delivery over a raw socket, its body sent when and as the test says (fetch sends a body whole;
 * and a node:http request may be wrapped by nock, loaded by other test files, whose destroy does not
 * reach the socket). Chunked when the headers say so.
 */
function rawDelivery(url: string, headers: Record<string, string | number>): { write: (data: string) => void; end: (data: string) => void; destroy: () => void; answered: Promise<{ status: number; retryAfter: string | undefined }> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const all: Record<string, string | number> = { host: "app", "x-github-event": "pull_request", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign("{}", "not-the-secret"), ...headers };
  socket.write(`POST /api/github/webhooks HTTP/1.1\r\n${Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`);
  const chunked = all["transfer-encoding"] === "chunked";
  const frame = (data: string): string => (chunked ? `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n` : data);
  const answered = new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const head = text.split("\r\n\r\n", 1)[0] as string;
      if (head.length === text.length) return;
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), retryAfter: /^retry-after: (.*)$/im.exec(head)?.[1] });
    });
    socket.on("close", () => reject(new Error("closed without an answer")));
    // Once answered, an error is the server closing a connection whose body it refused: nothing to say.
    socket.on("error", () => undefined);
  });
  return {
    write: (data) => void socket.write(frame(data)),
    end: (data) => void socket.write(frame(data) + (chunked ? "0\r\n\r\n" : "")),
    destroy: () => void socket.destroy(),
    answered,
  };
}

// Real sockets, written to and dropped part-way: 15 s each, for a loaded CI machine (each takes well under a second).
describe("bodies are bounded before their signature can be checked", () => {
  const limits = { maxBody: 1_000, inFlight: 3_000, small: 100, reserved: 500 };
  let server: Server | undefined;
  let inFlight: () => number = () => 0;
  let queued: string[] = [];

  async function start(): Promise<string> {
    const webhooks = new Webhooks({ secret: SECRET });
    queued = [];
    const made = webhookServer({
      log,
      bodyLimits: limits,
      target: {
        verify: (body, signature) => webhooks.verify(body, signature),
        receive: async (delivery) => void queued.push(delivery.id),
        ready: async () => ({ queue: true, credentials: true }),
      },
    });
    server = made.server;
    inFlight = made.bodyBytesInFlight;
    await new Promise<void>((resolve) => made.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(made.server.address() as AddressInfo).port}`;
  }
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    server = undefined;
  });

  test("a content-length over the limit is answered 413 at once, before a byte of the body is read", async () => {
    const url = await start();
    const upload = rawDelivery(url, { "content-length": limits.maxBody + 1 });
    // No body is ever sent: the answer does not wait for it.
    expect(await upload.answered).toEqual({ status: 413, retryAfter: undefined });
    upload.destroy();
    expect(inFlight()).toBe(0);
  }, 15_000);

  test("past the budget of body bytes in flight a delivery is answered 503 with retry-after; small ones keep a reserve; a body answered frees its bytes", async () => {
    const url = await start();
    // Two large unsigned uploads, each 900 of its 1,000 bytes sent and then held: 1,800 bytes in flight.
    const held = [rawDelivery(url, { "content-length": 1_000 }), rawDelivery(url, { "content-length": 1_000 })];
    for (const upload of held) upload.write("x".repeat(900));
    await eventually("both bodies being read", () => (inFlight() === 1_800 ? true : undefined));
    // A third large one does not fit (large ones share 3,000 − 500): refused unread.
    const third = rawDelivery(url, { "content-length": 1_000 });
    expect(await third.answered).toEqual({ status: 503, retryAfter: "30" });
    third.destroy();
    // One without a content-length is refused once what it sent makes it large and over the budget.
    const chunked = rawDelivery(url, { "transfer-encoding": "chunked" });
    chunked.write("x".repeat(800));
    expect(await chunked.answered).toEqual({ status: 503, retryAfter: "30" });
    chunked.destroy();
    // A signed delivery of GitHub's usual size is still taken: the reserve is for it.
    expect((await deliver(url, { action: "opened", number: 9 })).status).toBe(202);
    expect(queued).toHaveLength(1);
    // The held uploads end (wrongly signed: 401): their bytes are free again, and a large signed one fits.
    for (const upload of held) upload.end("x".repeat(100));
    expect((await Promise.all(held.map((h) => h.answered))).map((a) => a.status)).toEqual([401, 401]);
    await eventually("the budget freed", () => (inFlight() === 0 ? true : undefined));
    expect((await deliver(url, { action: "opened", number: 10, padding: "y".repeat(600) })).status).toBe(202);
    expect(inFlight()).toBe(0);
  }, 15_000);

  test("a client that goes away mid-body frees what it held", async () => {
    const url = await start();
    const upload = rawDelivery(url, { "content-length": 1_000 });
    void upload.answered.catch(() => undefined);
    upload.write("x".repeat(500));
    await eventually("the body being read", () => (inFlight() === 500 ? true : undefined));
    upload.destroy();
    await eventually("the budget freed", () => (inFlight() === 0 ? true : undefined));
  }, 15_000);
});

test("bad signatures are logged at most once per 30 s, with how many were left unlogged since", async () => {
  const lines: { msg: string; suppressed?: number }[] = [];
  const capture = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string; suppressed?: number }) });
  let now = 1_000_000;
  const webhooks = new Webhooks({ secret: SECRET });
  const { server } = webhookServer({
    log: capture,
    clock: () => now,
    target: { verify: (body, signature) => webhooks.verify(body, signature), receive: async () => undefined, ready: async () => ({ queue: true, credentials: true }) },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const badly = async (): Promise<number> => (await deliver(url, { number: 1 }, { "x-hub-signature-256": sign("{}", "not-the-secret") })).status;
    for (let i = 0; i < 20; i += 1) expect(await badly()).toBe(401);
    now += 29_000;
    expect(await badly()).toBe(401);
    expect(lines.map((l) => l.suppressed)).toEqual([0]);
    now += 1_000;
    expect(await badly()).toBe(401);
    expect(lines.map((l) => l.suppressed)).toEqual([0, 20]);
    expect(lines[0]?.msg).toMatch(/signature does not match/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("a connection is kept alive for 65 s, past the 60 s of the proxies in front, 4,096 at most; the debug line of a connection's first delivery says how long after the accept its request came", async () => {
  const lines: { msg: string; answer_ms?: number; connection_wait_ms?: number }[] = [];
  const capture = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
  const webhooks = new Webhooks({ secret: SECRET });
  const { server, drain } = webhookServer({
    log: capture,
    target: { verify: (body, signature) => webhooks.verify(body, signature), receive: async () => undefined, ready: async () => ({ queue: true, credentials: true }) },
  });
  expect(server.maxConnections).toBe(4_096);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const socket = connect(port, "127.0.0.1");
  try {
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    // The connection open, its request sent only 300 ms later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const body = JSON.stringify({ action: "opened", number: 1 });
    const send = (): Promise<string> => {
      const answered = new Promise<string>((resolve) => socket.once("data", (data) => resolve(data.toString())));
      socket.write(
        `POST /api/github/webhooks HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `x-github-event: pull_request\r\nx-github-delivery: ${randomUUID()}\r\nx-hub-signature-256: ${sign(body)}\r\n\r\n${body}`,
      );
      return answered;
    };
    const head = await send();
    expect(head).toMatch(/^HTTP\/1.1 202/);
    expect(head).toMatch(/\r\nkeep-alive: timeout=65\r\n/i);
    // The second delivery on the connection says nothing of it: only a first request waited for the accept.
    expect(await send()).toMatch(/^HTTP\/1.1 202/);
    const accepted = lines.filter((l) => l.msg === "delivery accepted");
    expect(accepted).toHaveLength(2);
    expect(accepted[0]?.connection_wait_ms).toBeGreaterThanOrEqual(250);
    expect(accepted[1]?.connection_wait_ms).toBeUndefined();
    // Shutting down, an answer closes its connection: a proxy sends nothing more on it.
    drain();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const last = await send();
    expect(last).toMatch(/^HTTP\/1.1 202/);
    expect(last).toMatch(/\r\nconnection: close\r\n/i);
    await closed;
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
