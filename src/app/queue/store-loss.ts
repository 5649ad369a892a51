// Redis losing what it held loses jobs the app already answered 2xx for: a restart without
// persistence loses everything, a restart with `appendfsync everysec` or a failover the last writes.
// Nothing else would find them again, so the queue looks for the signs and then runs the start-up
// sweep once (startup-sweep.ts), from one replica:
// - a marker key, set the first time a replica finds it missing: missing again means Redis was
//   emptied (or this is the first start on this Redis, when a sweep is harmless);
// - Redis's run_id (INFO server), which changes with every restart and failover: a replica that saw
//   another before its connection dropped knows the last writes may be gone, marker or not.
// A plain reconnect (a network blip) keeps the run_id and the marker, and sweeps nothing.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "probot";
import { LuaScript } from "../../github/lua-script.js";
import type { Job } from "../ports.js";

/**
 * How long the claim of one sweep is kept once the sweep is queued: replicas that come back within
 * it do not sweep again. Until then, a minute: a replica that died before queueing it leaves a claim
 * that expires, and the marker still missing, for the next look (its restart) to find.
 */
const CLAIM_MS = 86_400_000;
const CLAIMING_MS = 60_000;

/** How long the note of a key's last run is kept (TAKE): a day, as long as the sweep's claim. */
export const RAN_MS = CLAIM_MS;
/**
 * A run counts as after the loss only from this long after it was found. Both times are Redis's
 * own (TIME), not the replicas'; the margin covers a failover's new primary whose clock differs a
 * little from the old one's.
 */
const CLOCK_MARGIN_MS = 5_000;

/** Notes when the loss was found, by Redis's clock (KEYS[1], for ARGV[1] ms). */
const NOTE_LOSS = new LuaScript(
  `
local now = redis.call("TIME")
redis.call("SET", KEYS[1], tostring(tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)), "PX", ARGV[1])
return 1`,
  1,
);

export interface StoreLossOptions {
  /** Names the keys (the queue's prefix). */
  prefix: string;
  log: Logger;
  /** Queues the sweep (as a delayed job of the queue, so that it outlives this replica). */
  queue: (job: Job) => Promise<void>;
}

export class StoreLoss {
  private readonly replica = randomUUID();
  /** Redis's run_id as last seen by this replica. */
  private runId: string | undefined;
  private job: Job | undefined;
  private checking: Promise<void> | undefined;
  private watching = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: StoreLossOptions,
  ) {}

  /** The job that recovers what a loss lost (the start-up sweep); without one, nothing is looked for. */
  recoverWith(job: Job): void {
    this.job = job;
  }

  /** Looks now (when connected), and again each time the connection is ready after a drop. */
  async watch(): Promise<void> {
    if (!this.watching) {
      this.watching = true;
      this.redis.on("ready", () => void this.check());
    }
    if (this.redis.status === "ready") await this.check();
  }

  /** One look at a time; a failure is logged, and the next reconnect looks again. */
  check(): Promise<void> {
    this.checking ??= this.look()
      .catch((error: unknown) => this.options.log.warn({ err: error }, "Redis: could not tell whether it lost the queue's jobs; looking again when it reconnects"))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async look(): Promise<void> {
    const job = this.job;
    if (job === undefined) return;
    const { prefix, log } = this.options;
    const marker = `${prefix}:marker`;
    const runId = await this.serverRunId();
    const restarted = runId !== undefined && this.runId !== undefined && runId !== this.runId;
    if (runId !== undefined) this.runId = runId;
    const emptied = (await this.redis.exists(marker)) === 0;
    if (!emptied && !restarted) return;
    // One sweep per Redis run (or per emptied Redis, where INFO is not allowed), from one replica.
    const claim = `${prefix}:store-sweep:${runId ?? "unknown"}`;
    if ((await this.redis.set(claim, this.replica, "PX", CLAIMING_MS, "NX")) !== "OK") return;
    log.warn({ emptied, restarted, run_id: runId }, emptied ? "Redis holds no marker of this queue (it lost its data, or this is its first start): sweeping the open pull requests once" : "Redis restarted or failed over (its run_id changed): its last writes may be lost, so the open pull requests are swept once");
    // When it was found, for `covered`; then the sweep, then the marker: a replica dying in between
    // leaves the marker missing, found again.
    await NOTE_LOSS.run(this.redis, [`${prefix}:lost-at`], [CLAIM_MS]);
    await this.options.queue(job);
    await this.redis.pexpire(claim, CLAIM_MS);
    await this.redis.set(marker, new Date().toISOString());
  }

  /**
   * Whether the sweep may leave a key: its run began (a take that found jobs, noted by TAKE while
   * `lost-at` is set) after the loss was found. A job merely waiting does not count — a failover may
   * have kept it and lost its ticket — nor does a run under way since before the loss: what it read
   * may predate a job Redis lost.
   */
  async covered(ran: string): Promise<boolean> {
    const [began, lostAt] = await this.redis.mget(ran, `${this.options.prefix}:lost-at`);
    return began != null && lostAt != null && Number(began) >= Number(lostAt) + CLOCK_MARGIN_MS;
  }

  /** Redis's run_id, or undefined where INFO is not allowed (some managed Redis): the marker alone tells then. */
  private async serverRunId(): Promise<string | undefined> {
    try {
      return /^run_id:(\w+)/m.exec(await this.redis.info("server"))?.[1];
    } catch {
      return undefined;
    }
  }
}
