// What the queue in Redis is given (RedisLaterOptions) and what its tickets carry.
import type { Logger } from "probot";
import type { KeepTrying, Slots } from "./jobs.js";

export interface RedisLaterOptions {
  url: string;
  log: Logger;
  slots: Slots;
  /** Names every key this queue writes (several apps can share a Redis). Default "compliance-gate". */
  prefix?: string;
  /** How long a run holds its key without renewing it, and BullMQ's lock on a ticket. Default 30 s. */
  leaseMs?: number;
  /** How often BullMQ looks for tickets whose worker died. Default 30 s. */
  stalledIntervalMs?: number;
  /** How long an enqueue may take before the delivery is refused. Default 2 s. */
  enqueueTimeoutMs?: number;
  retryDelaysMs?: readonly number[];
  /** Backoff of a job that threw. Default FAILURE_DELAYS_MS. */
  failureDelaysMs?: readonly number[];
  /** Backoff after those, of kinds that keep trying. Default KEEP_TRYING. */
  keepTrying?: KeepTrying;
  /** New retries and timers kept at most. Default MAX_DELAYED (tests: fewer). */
  maxDelayed?: number;
  clock?: () => number;
}

/** A run's ticket: the key to run, and its installation's group (whose count of waiting tickets it is in). */
export type Ticket = { key: string; group?: string };

/** BullMQ's lowest priority (its highest number). */
export const LAST_TURN = 2_097_151;
/** How long an installation's count of waiting tickets outlives its last change (a count a crash left off heals). */
export const TURNS_TTL_MS = 600_000;
