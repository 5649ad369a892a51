// The app's HTTP server: webhook deliveries are verified, handed to the handlers (which only queue
// jobs) and answered in milliseconds — 503 when the queue cannot take them, so that GitHub records
// the delivery as failed and it can be redelivered — plus /healthz, /readyz and room for more routes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "probot";
import { QueueUnavailable } from "./ports.js";
import { BodyBudget, DEFAULT_BODY_LIMITS, rateLimitedWarn, readBody, type BodyBudgetLimits } from "./webhook-body.js";

export { MAX_BODY_BYTES } from "./webhook-body.js";

/**
 * How long a request's headers, and the whole request, may take to arrive. GitHub sends a delivery
 * at once and gives up on it after 10 s; a client dripping bytes (slowloris) holds a connection and
 * its buffered body no longer than this, not Node's default 5 minutes.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * How long a kept-alive connection may sit idle between requests: longer than the proxies that keep
 * a pool of connections to the app (ingress-nginx and AWS ALB: 60 s; a proxy keeping them longer
 * should be set below this, README "Running in production"). Node's default, 5 s, closes a
 * connection the proxy still counts on, and a delivery it sends as the app closes it fails (a 502
 * for a POST, which the proxy does not retry and GitHub does not redeliver). Node closes one 1 s
 * after this. An idle connection holds about 13 KB (MAX_CONNECTIONS bounds them); the time to send
 * a request's headers stays HEADERS_TIMEOUT_MS from its first byte.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Connections open at once, at most (Node drops those past it at once): idle kept-alive ones cost
 * about 13 KB each, so 4,096 hold some 50 MB at worst, inside the container's memory limit, where a
 * client holding connections open with a small request a minute could otherwise exhaust it.
 */
export const MAX_CONNECTIONS = 4_096;

/**
 * The event name a delivery with a bad signature is reported under: its x-github-event header is
 * the sender's to choose, and as a metric label every invented name would be a series of its own.
 */
export const UNVERIFIED_EVENT = "unverified";

/** A delivery as the handlers receive it. */
export interface Delivery {
  id: string;
  name: string;
  payload: unknown;
}

/** What the server needs of the app. */
export interface WebhookTarget {
  /** Whether `signature` (x-hub-signature-256) is the HMAC of `body` with the webhook secret. */
  verify(body: string, signature: string): Promise<boolean>;
  /** Hands a delivery to the handlers; resolves once they queued their jobs. */
  receive(delivery: Delivery): Promise<void>;
  /** Whether the queue can take work and the credentials are usable, and whether the warm-up is still under way (/readyz). */
  ready(): Promise<{ queue: boolean; credentials: boolean; warmingUp?: boolean }>;
}

/** A route besides the webhook path: answers and returns true, or returns false to pass. */
export type Route = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

export interface WebhookServerOptions {
  target: WebhookTarget;
  log: Logger;
  /** Default /api/github/webhooks. */
  webhookPath?: string;
  /** More routes (/metrics), tried before "not found". */
  routes?: Route[];
  /** Default REQUEST_TIMEOUT_MS (tests: shorter). */
  requestTimeoutMs?: number;
  /** The bounds on bodies (webhook-body.ts); default DEFAULT_BODY_LIMITS (tests: smaller). */
  bodyLimits?: BodyBudgetLimits;
  /** Epoch milliseconds, for the spacing of warnings. Default Date.now. */
  clock?: () => number;
  /**
   * A delivery refused: its signature did not match (401; named UNVERIFIED_EVENT, as nothing it says
   * is trusted), the queue could not take it (503), its body was too large (413) or did not fit the
   * bodies already held (503, "busy"); the last two unread, so UNVERIFIED_EVENT too.
   */
  onRejected?: (delivery: { id: string; name: string; payload: unknown }, reason: RejectReason) => void;
  /**
   * Servers to make, each for a listening socket of its own on the same port (listeners.ts);
   * default 1. MAX_CONNECTIONS is shared among them.
   */
  listeners?: number;
}

/** Why a delivery was refused (a metric's label). */
export type RejectReason = "signature" | "queue" | "too_large" | "busy";

/** How long GitHub (or whoever redelivers) is asked to wait after a 503. */
const RETRY_AFTER_S = "30";

/** Why a delivery was not taken, in a short line (its message for the log). */
function queueFailure(error: unknown): QueueUnavailable | undefined {
  if (error instanceof QueueUnavailable) return error;
  const inner = error instanceof AggregateError ? error.errors : (error as { errors?: unknown[] } | undefined)?.errors;
  return Array.isArray(inner) ? (inner.find((e): e is QueueUnavailable => e instanceof QueueUnavailable) ?? undefined) : undefined;
}

function answer(response: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

/** The server, not yet listening; `drain()` makes /readyz answer 503 while it shuts down. */
export function webhookServer(options: WebhookServerOptions): { server: Server; servers: Server[]; drain: () => void; bodyBytesInFlight: () => number } {
  const { target, log } = options;
  const webhookPath = options.webhookPath ?? "/api/github/webhooks";
  let draining = false;
  const budget = new BodyBudget(options.bodyLimits ?? DEFAULT_BODY_LIMITS);
  const clock = options.clock ?? Date.now;
  // Unauthenticated causes of warnings: a line per 30 s at most, saying how many went unlogged.
  const warnSignature = rateLimitedWarn(clock);
  const warnBusy = rateLimitedWarn(clock);

  /** Refuses a body unread: 413 past the size, 503 past the budget (GitHub records the failure, to redeliver). */
  const refuse = (response: ServerResponse, why: "too_large" | "busy", id: string): void => {
    // Unread, so nothing of it (not its event's name) is trusted.
    options.onRejected?.({ id, name: UNVERIFIED_EVENT, payload: undefined }, why);
    if (why === "too_large") {
      answer(response, 413, { error: "payload too large" }, { connection: "close" });
      return;
    }
    warnBusy(({ suppressed }) => log.warn({ delivery: id, body_bytes_in_flight: budget.inFlight, suppressed }, "bodies being read fill the budget of body bytes: a delivery answered 503"));
    answer(response, 503, { error: "too many deliveries are being read now" }, { connection: "close", "retry-after": RETRY_AFTER_S });
  };

  /** When each connection was accepted, until its first request starts. */
  const acceptedAt = new WeakMap<Socket, bigint>();
  const deliver = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    // The first request of a connection: how long after the accept it was read (a replica busy with
    // the deliveries before it reads a new connection's request late; its debug line says so).
    const accepted = acceptedAt.get(request.socket);
    acceptedAt.delete(request.socket);
    const waitedMs = accepted === undefined ? undefined : Number(started - accepted) / 1e6;
    const name = request.headers["x-github-event"];
    const id = request.headers["x-github-delivery"];
    const signature = request.headers["x-hub-signature-256"];
    if (typeof name !== "string" || typeof id !== "string" || typeof signature !== "string") {
      answer(response, 400, { error: "a GitHub delivery has x-github-event, x-github-delivery and x-hub-signature-256 headers" });
      return;
    }
    // What the body declares is refused before a byte of it is read: too large, or not fitting now.
    const declared = Number(request.headers["content-length"] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > budget.limits.maxBody) return refuse(response, "too_large", id);
    if (Number.isFinite(declared) && !budget.fits(declared)) return refuse(response, "busy", id);
    const read = await readBody(request, budget);
    try {
      if ("refused" in read) {
        if (read.refused !== "aborted") refuse(response, read.refused, id);
        return;
      }
      await handle(read.body, { id, name, signature, waitedMs }, response, started);
    } finally {
      budget.release(read.charged);
    }
  };

  /** A body read whole: verified, parsed, handed to the handlers, answered. */
  const handle = async (body: string, { id, name, signature, waitedMs }: { id: string; name: string; signature: string; waitedMs: number | undefined }, response: ServerResponse, started: bigint): Promise<void> => {
    if (!(await target.verify(body, signature).catch(() => false))) {
      warnSignature(({ suppressed }) => log.warn({ delivery: id, event: name, suppressed }, "a delivery whose signature does not match the webhook secret: refused (suppressed: those refused since the last such line)"));
      // Nothing an unsigned delivery says is trusted: not its payload, not even its event's name.
      options.onRejected?.({ id, name: UNVERIFIED_EVENT, payload: undefined }, "signature");
      answer(response, 401, { error: "signature does not match" });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      answer(response, 400, { error: "the payload is not JSON" });
      return;
    }
    try {
      await target.receive({ id, name, payload });
    } catch (error) {
      const refused = queueFailure(error);
      if (refused !== undefined) {
        // GitHub records the failure; the delivery can be redelivered once the queue is back.
        log.error({ delivery: id, event: name, error: refused.message }, "the queue cannot take a delivery: answered 503");
        options.onRejected?.({ id, name, payload }, "queue");
        answer(response, 503, { error: "the queue cannot take the delivery now" }, { "retry-after": RETRY_AFTER_S });
        return;
      }
      log.error({ err: error, delivery: id, event: name }, "a delivery could not be handled");
      answer(response, 500, { error: "the delivery could not be handled" });
      return;
    }
    answer(response, 202, { accepted: id });
    log.debug({ delivery: id, event: name, answer_ms: Number(process.hrtime.bigint() - started) / 1e6, ...(waitedMs !== undefined ? { connection_wait_ms: waitedMs } : {}) }, "delivery accepted");
  };

  const routes: Route[] = [
    async (request, response) => {
      if (request.url === undefined || new URL(request.url, "http://app").pathname !== webhookPath) return false;
      if (request.method !== "POST") {
        answer(response, 405, { error: "deliveries are POSTed" }, { allow: "POST" });
        return true;
      }
      await deliver(request, response);
      return true;
    },
    async (request, response) => {
      const path = request.url === undefined ? "" : new URL(request.url, "http://app").pathname;
      if (request.method !== "GET" && request.method !== "HEAD") return false;
      if (path === "/healthz" || path === "/ping") {
        // Alive: the event loop answers. (/ping is Probot's, kept for those who probe it.)
        answer(response, 200, { status: "ok" });
        return true;
      }
      if (path === "/readyz") {
        const { queue, credentials, warmingUp = false } = await target.ready().catch(() => ({ queue: false, credentials: false, warmingUp: false }));
        const ready = !draining && queue && credentials && !warmingUp;
        answer(response, ready ? 200 : 503, { ready, queue, credentials, ...(warmingUp ? { warming_up: true } : {}), ...(draining ? { shutting_down: true } : {}) });
        return true;
      }
      return false;
    },
    ...(options.routes ?? []),
  ];

  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const timeouts = {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    // How often Node looks for requests past their time (its default, 30 s, would add as much again).
    connectionsCheckingInterval: Math.min(5_000, Math.max(50, Math.floor(requestTimeout / 4))),
  };
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    // Shutting down: each answer closes its connection, so that a proxy sends nothing more on it.
    if (draining) response.shouldKeepAlive = false;
    void (async () => {
      try {
        for (const route of routes) if (await route(request, response)) return;
        answer(response, 404, { error: "not found" });
      } catch (error) {
        log.error({ err: error, url: request.url }, "request failed");
        if (!response.headersSent) answer(response, 500, { error: "internal error" });
        else response.end();
      }
    })();
  };
  // One server per listening socket (listeners.ts), sharing everything else: routes, budget, draining.
  const count = Math.max(1, options.listeners ?? 1);
  const servers = Array.from({ length: count }, () => {
    const server = createServer(timeouts, onRequest);
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.maxConnections = Math.ceil(MAX_CONNECTIONS / count);
    server.on("connection", (socket: Socket) => void acceptedAt.set(socket, process.hrtime.bigint()));
    return server;
  });
  return { server: servers[0] as Server, servers, drain: () => void (draining = true), bodyBytesInFlight: () => budget.inFlight };
}
