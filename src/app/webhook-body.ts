// Reading a delivery's body before its signature can be checked, within bounds: one body at most
// MAX_BODY_BYTES, and all bodies being read or handled at once at most a budget, so that parallel
// unsigned uploads cannot hold more memory than that (past it a delivery is answered 503).
import type { IncomingMessage } from "node:http";

/** GitHub caps a delivery's payload at 25 MB; a body past this is refused before it is read whole. */
export const MAX_BODY_BYTES = 26 * 1024 * 1024;

/**
 * The bytes of bodies held at once, across every request of the process: two of the largest.
 * Bodies over `small` bytes may together hold only the budget less `reserved`, so that while large
 * uploads (an attacker's, or GitHub's rare multi-megabyte pushes) fill it, the small deliveries that
 * are nearly all GitHub sends (a pull request's payload is tens of KB) are still read.
 */
export interface BodyBudgetLimits {
  /** One body at most; past it 413. Default MAX_BODY_BYTES. */
  maxBody: number;
  /** All bodies held at once. Default 2 × MAX_BODY_BYTES. */
  inFlight: number;
  /** A body up to this size is small. Default 1 MiB. */
  small: number;
  /** Bytes of `inFlight` only small bodies may hold. Default 8 MiB. */
  reserved: number;
}

export const DEFAULT_BODY_LIMITS: BodyBudgetLimits = { maxBody: MAX_BODY_BYTES, inFlight: 2 * MAX_BODY_BYTES, small: 1024 * 1024, reserved: 8 * 1024 * 1024 };

/**
 * The process's budget of body bytes. A body is charged as its bytes arrive — not as its
 * content-length declares, or a client declaring sizes and sending nothing would hold the budget
 * for free — and released once its delivery is answered (its text is held until then). Memory is
 * a small multiple of the budget: a body read whole is copied into one buffer and decoded to text.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limits: BodyBudgetLimits = DEFAULT_BODY_LIMITS) {}

  /** Bytes charged now (tests, logs). */
  get inFlight(): number {
    return this.held;
  }

  /** Whether a body of `size` bytes (declared, or read so far) may be held now, besides what is. */
  fits(size: number, extra = size): boolean {
    const limit = size > this.limits.small ? this.limits.inFlight - this.limits.reserved : this.limits.inFlight;
    return this.held + extra <= limit;
  }

  /** Charges `bytes` of a body now `size` bytes long; false (nothing charged) when they do not fit. */
  take(bytes: number, size: number): boolean {
    if (!this.fits(size, bytes)) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

/** A body read whole, or why not: too large (413), over the budget (503), or the client went away. */
export type BodyRead = { body: string; charged: number } | { refused: "too_large" | "busy" | "aborted"; charged: number };

/**
 * Reads a request's body, charging `budget` as it arrives; what was charged is the caller's to
 * release once the delivery is answered. On a refusal the rest of the body is not kept (the
 * caller answers with `connection: close`). 'data'/'end' listeners rather than the async iterator:
 * cheaper per delivery, which shows under a burst.
 */
export function readBody(request: IncomingMessage, budget: BodyBudget): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let charged = 0;
    let done = false;
    const finish = (read: BodyRead): void => {
      if (done) return;
      done = true;
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onGone);
      request.off("close", onGone);
      // Drained, not kept: the answer closes the connection.
      if (!("body" in read)) request.resume();
      resolve(read);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > budget.limits.maxBody) return finish({ refused: "too_large", charged });
      if (!budget.take(chunk.length, size)) return finish({ refused: "busy", charged });
      charged += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ body: Buffer.concat(chunks, size).toString("utf8"), charged });
    const onGone = (): void => finish({ refused: "aborted", charged });
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onGone);
    request.on("close", onGone);
  });
}

/**
 * A warning an outsider can cause (a bad signature, an upload past the budget), logged at most once
 * per `intervalMs` with the count of those left unlogged since: their log volume is bounded.
 */
export function rateLimitedWarn(clock: () => number, intervalMs = 30_000): (log: (fields: Record<string, unknown>) => void) => void {
  let loggedAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (log) => {
    const now = clock();
    if (now - loggedAt < intervalMs) {
      suppressed += 1;
      return;
    }
    log({ suppressed });
    loggedAt = now;
    suppressed = 0;
  };
}
