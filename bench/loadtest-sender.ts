// The loadtest's sender, in a thread of its own: it POSTs the deliveries and times their answers.
// The main thread also serves the app's GitHub requests (the stand-in); timed there, an answer
// would include the time it waited for that thread, not only the app's. Messages in: a Send (sent at
// once), { load: Send[], batch } (kept: the burst's deliveries, built and signed before it starts;
// answered { loaded: batch }) or { go: id } (one kept, sent now); out: a Sent per delivery (status
// 0: no answer in 30 s), or { id, unknown: true } when no delivery of that id was loaded.
import { Agent, request } from "node:http";
import { randomUUID } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

export interface Send {
  id: number;
  url: string;
  name: string;
  body: string;
  signature: string;
}

export interface Sent {
  id: number;
  status: number;
  ms: number;
  /** When it was sent, epoch ms (performance.timeOrigin + now, in this thread). */
  at: number;
  /** Whether it went on a connection kept alive from an earlier delivery. */
  reused: boolean;
  /** On a new connection, ms from sending to the connection being made. */
  connectMs?: number;
  /** Ms from sending to the request written whole (headers and body). */
  writtenMs?: number;
  /** Its x-github-delivery, as the app logs it. */
  delivery: string;
}

export type SenderMessage = Send | { load: Send[]; batch: number } | { go: number };

const port = parentPort;
if (port !== null) {
  const agents = new Map<string, Agent>();
  const kept = new Map<number, Send>();
  const maxSockets = (workerData as { concurrency: number }).concurrency;
  port.on("message", (received: SenderMessage) => {
    if ("load" in received) {
      for (const send of received.load) kept.set(send.id, send);
      port.postMessage({ loaded: received.batch });
      return;
    }
    const message = "go" in received ? kept.get(received.go) : received;
    if (message === undefined) {
      // The loadtest's own mistake, not the app's: said as such, not counted as an answer.
      port.postMessage({ id: (received as { go: number }).go, unknown: true });
      return;
    }
    kept.delete(message.id);
    let agent = agents.get(message.url);
    if (agent === undefined) {
      agent = new Agent({ keepAlive: true, maxSockets });
      agents.set(message.url, agent);
    }
    const delivery = randomUUID();
    const started = performance.now();
    let [reused, connectMs, writtenMs] = [false, undefined as number | undefined, undefined as number | undefined];
    const done = (status: number): void =>
      port.postMessage({
        id: message.id,
        status,
        ms: performance.now() - started,
        at: performance.timeOrigin + started,
        reused,
        delivery,
        ...(connectMs !== undefined ? { connectMs } : {}),
        ...(writtenMs !== undefined ? { writtenMs } : {}),
      } satisfies Sent);
    const req = request(
      `${message.url}/api/github/webhooks`,
      {
        method: "POST",
        agent,
        timeout: 30_000,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(message.body), "x-github-event": message.name, "x-github-delivery": delivery, "x-hub-signature-256": message.signature, "user-agent": "GitHub-Hookshot/loadtest" },
      },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? 0));
      },
    );
    req.on("socket", (socket) => {
      reused = req.reusedSocket;
      if (!reused) socket.once("connect", () => (connectMs = performance.now() - started));
    });
    req.on("finish", () => (writtenMs = performance.now() - started));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => done(0));
    req.end(message.body);
  });
  port.on("close", () => {
    for (const agent of agents.values()) agent.destroy();
  });
}
