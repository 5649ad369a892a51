// A replica warms its own delivery path before /readyz says it is ready. A process just started
// runs its code unoptimized: its first deliveries take a millisecond or more each, and the burst
// that meets a fresh replica (the first after a rollout: every replica is new) queues on its event
// loop — measured, answers past 100 ms. So the server sends itself signed deliveries (warm-up-
// payloads.ts), through the same socket, server, body reading, signature check, parsing, dispatch
// and handlers as GitHub's, on as many connections as a burst opens; their jobs are not queued
// (Rehearsals: the handlers' queue drops a job whose delivery id is one of these), they count in
// no metric, write nothing. Bounded: COMPLIANCE_WARM_UP_DELIVERIES (≤ 1,000) of about 25 KB, at
// most WARM_UP_CONCURRENCY at once, within WARM_UP_DEADLINE_MS; whatever happens the replica is
// ready after it (a warm-up that failed is logged, not a reason to stay out of service).
import { randomUUID } from "node:crypto";
import { connect, type AddressInfo } from "node:net";
import type { Logger } from "probot";
import type { Job, Later } from "./ports.js";
import { rehearsal } from "./warm-up-payloads.js";

/** Connections the warm-up opens at once: a burst's (the loadtest's concurrency). */
export const WARM_UP_CONCURRENCY = 50;

/** The warm-up stops by then, done or not. */
export const WARM_UP_DEADLINE_MS = 30_000;

/**
 * The delivery ids of the process's rehearsals: only this process knows them (random UUIDs, sent
 * on loopback). Kept for the process's life, never forgotten: a delivery the warm-up gave up on (its
 * deadline, a shutdown) may still be handled by the server after, and its jobs must still be
 * dropped. At most COMPLIANCE_WARM_UP_DELIVERIES (≤ 1,000) ids of 45 characters.
 */
export class Rehearsals {
  private readonly ids = new Set<string>();

  /** A new rehearsal delivery id. */
  mint(): string {
    const id = `warm-up-${randomUUID()}`;
    this.ids.add(id);
    return id;
  }

  has(id: unknown): boolean {
    return typeof id === "string" && this.ids.has(id);
  }

  /** Ids minted (tests). */
  get size(): number {
    return this.ids.size;
  }
}

/** Whether `job` was asked for by a rehearsal's delivery (its log names the delivery). */
export function rehearsed(job: Job, rehearsals: Rehearsals): boolean {
  return rehearsals.has(job.log?.["id"]);
}

/**
 * The queue as the delivery handlers see it: the same queue, except that a job a rehearsal asked
 * for is dropped (answered as if taken), and so is a timer or a retry one would set.
 */
export function skippingRehearsals(later: Later, rehearsals: Rehearsals): Later {
  return {
    enqueue: (job) => (rehearsed(job, rehearsals) ? Promise.resolve() : later.enqueue(job)),
    retry: (key, job, attempt) => (rehearsed(job, rehearsals) ? false : later.retry(key, job, attempt)),
    cancelRetry: (key) => later.cancelRetry(key),
    pendingRetry: (key) => later.pendingRetry(key),
    at: (key, job, at) => (rehearsed(job, rehearsals) ? false : later.at(key, job, at)),
    cancelTimer: (key, under) => later.cancelTimer(key, under),
    idle: () => later.idle(),
    ...(later.coveredSinceStart ? { coveredSinceStart: later.coveredSinceStart.bind(later) } : {}),
    ...(later.hasWork ? { hasWork: later.hasWork.bind(later) } : {}),
  };
}

export interface WarmUpOptions {
  /** Where the server listens (server.address()). */
  address: AddressInfo;
  webhookPath: string;
  /** Signs a body with the webhook secret, as GitHub does (x-hub-signature-256). */
  sign: (body: string) => Promise<string>;
  rehearsals: Rehearsals;
  /** How many deliveries; 0: none. */
  deliveries: number;
  log: Logger;
  /** Default WARM_UP_CONCURRENCY. */
  concurrency?: number;
  /** Default WARM_UP_DEADLINE_MS. */
  deadlineMs?: number;
  /** Aborted (the server is stopping): the warm-up stops at once. */
  signal?: AbortSignal;
}

/** What a warm-up did. */
export interface WarmedUp {
  /** Deliveries answered 202. */
  accepted: number;
  /** Deliveries answered otherwise, or not answered. */
  failed: number;
  ms: number;
  /** The first failure's reason, if any. */
  firstFailure?: string;
}

/** The host a client reaches a server listening on `address` at: loopback for a wildcard address. */
export function loopbackOf(address: AddressInfo): string {
  if (address.address === "0.0.0.0" || address.address === "") return "127.0.0.1";
  if (address.address === "::") return "::1";
  return address.address;
}

/** Sends the rehearsal's deliveries to the server; never rejects. */
export async function warmUp(options: WarmUpOptions): Promise<WarmedUp> {
  const started = performance.now();
  const concurrency = Math.max(1, Math.min(options.concurrency ?? WARM_UP_CONCURRENCY, options.deliveries));
  const deadline = started + (options.deadlineMs ?? WARM_UP_DEADLINE_MS);
  const host = loopbackOf(options.address);
  const result: WarmedUp = { accepted: 0, failed: 0, ms: 0 };
  const fail = (why: string): void => {
    result.failed += 1;
    result.firstFailure ??= why;
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < options.deliveries && !options.signal?.aborted && performance.now() < deadline) {
      const { name, payload } = rehearsal(next);
      next += 1;
      const id = options.rehearsals.mint();
      try {
        const body = JSON.stringify(payload);
        const signature = await options.sign(body);
        const timeoutMs = Math.max(1, Math.round(deadline - performance.now()));
        const status = await post({ host, port: options.address.port, path: options.webhookPath, body, timeoutMs, headers: { "x-github-event": name, "x-github-delivery": id, "x-hub-signature-256": signature }, ...(options.signal ? { signal: options.signal } : {}) });
        if (status === 202) result.accepted += 1;
        else fail(`answered ${status}`);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  result.ms = Math.round(performance.now() - started);
  const unsent = options.deliveries - result.accepted - result.failed;
  if (result.failed > 0 || unsent > 0) {
    options.log.warn({ accepted: result.accepted, failed: result.failed, unsent, first_failure: result.firstFailure, ms: result.ms }, "the warm-up did not go through: ready anyway, the first deliveries may be answered slowly");
  } else {
    options.log.info({ deliveries: result.accepted, ms: result.ms }, "warmed up: the delivery path ran its rehearsal, nothing was queued");
  }
  return result;
}

/** An answer's head, at most: the app's answers to a delivery are a few hundred bytes. */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * POSTs `body` on a connection of its own, closed once answered: a cold replica is slowest at a
 * burst's new connections (accepting each, a parser for it), so every rehearsal delivery opens one.
 * It asks to be kept alive, as GitHub's and a proxy's do, and the server answers as it does them.
 * Written on a plain socket, not node:http's client: one request to the app's own server, whose
 * answer's status is all it reads (its head; a body, if the head declares a length) — and the
 * client of node:http is what the tests' doubles of GitHub patch. Aborted (shutdown): closed at once.
 */
function post(options: { host: string; port: number; path: string; body: string; timeoutMs: number; headers: Record<string, string>; signal?: AbortSignal }): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port });
    const headers = { host: `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`, ...options.headers, connection: "keep-alive", "content-type": "application/json", "content-length": String(Buffer.byteLength(options.body)), "user-agent": "compliance-gate-warm-up" };
    const head = [`POST ${options.path} HTTP/1.1`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), "", ""].join("\r\n");
    let answer = "";
    let expected: number | undefined;
    const done = (error: Error | undefined, status?: number): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(status ?? 0);
    };
    socket.setTimeout(options.timeoutMs, () => done(new Error(`no answer within ${options.timeoutMs} ms`)));
    const aborted = (): void => done(new Error("the server is stopping"));
    options.signal?.addEventListener("abort", aborted, { once: true });
    socket.once("close", () => options.signal?.removeEventListener("abort", aborted));
    socket.on("error", (error) => done(error));
    socket.on("close", () => done(new Error("the connection closed before the answer")));
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      const end = answer.indexOf("\r\n\r\n");
      if (end < 0) {
        if (answer.length > MAX_ANSWER_BYTES) done(new Error("an answer without an end to its head"));
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(answer);
      if (!status) return done(new Error(`not an HTTP answer: ${JSON.stringify(answer.slice(0, 40))}`));
      // Its body read too when the head gives its length (the app's answers are chunked: head only).
      expected ??= end + 4 + Number(/\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, end))?.[1] ?? 0);
      if (answer.length >= expected) done(undefined, Number(status[1]));
    });
    // Not ended: the connection stays open for another request until the answer is read, as a kept-alive one does.
    socket.write(head + options.body);
  });
}
