// Later in Redis (REDIS_URL), shared by every replica: jobs survive a crash or a deploy, one run per
// key runs at a time across all replicas, retries and timers fire once, on one replica.
//
// Per key (a PR's evaluations), two lists: `pending` (queued) and `running` (taken by the run under
// way, or left by one that died), and a lease. Each enqueue pushes the job on `pending` (noting its
// ticket as owed: a janitor adds the tickets of puts that died before adding them, owed-tickets.ts),
// then adds a BullMQ ticket ("run") naming the key. A ticket's worker takes a place among its
// installation's runs (GroupShares on this replica, RunPlaces on all: shared-runs.ts), then the key's
// lease, and runs batches (takes `running` + `pending`, folds them into one job, runs it, drops
// `running`) up to OWN_BATCHES; then lets go. A ticket finding the lease held comes back while the
// key has work (redis-scripts.ts WAIT), so a job queued during a run always has a ticket to run it.
// A replica killed mid-run leaves its ticket active in BullMQ: once its lock expires, BullMQ hands
// the ticket to another worker, which takes the lease over (same ticket) and runs what was left in
// `running`; each run of a ticket holds the lease under a nonce of its own, so an earlier run that
// was only stalled finds the lease no longer its own and writes nothing more; a run that never
// settles is abandoned past its deadline (its lease let go, its writes refused). Retries, timers and
// waits are delayed jobs ("fire") named by an entry of one hash (delayed-entries.ts): each fires
// once. Writes a run makes to Redis are awaited before its ticket completes: if they fail, the
// ticket fails and runs again. Redis losing what it held is found by store-loss.ts (one sweep).
import { randomUUID } from "node:crypto";
import { DelayedError, Queue, Worker, type Job as BullJob } from "bullmq";
import { Redis } from "ioredis";
import { LruCache } from "../../github/lru-cache.js";
import { LuaScript } from "../../github/lua-script.js";
import { QueueUnavailable, type Job, type JobPriority } from "../ports.js";
import { RETRY_DELAYS_MS } from "../retries.js";
import { JobTable, LeaseLost, priorityOf, RUN_DEADLINE_MS, UnknownKind, withinDeadline, type AppLater, type JobHandler, type Lease, type QueueObserver, type QueueStats } from "./jobs.js";
import { ACQUIRE, FINISH, PUT, RELEASE, RENEW, TAKE, WAIT, WORK } from "./redis-scripts.js";
import { groupOf } from "./fair-line.js";
import { closeAll, TICKETED_MS, RedisWarnings, untilIdle, within, HAND_BACK_MS, OWN_BATCHES, waitingTickets, type RedisLaterOptions, type Ticket } from "./redis-options.js";
import { DelayedEntries, type Fire } from "./delayed-entries.js";
import { RAN_MS, StoreLoss } from "./store-loss.js";
import { FRESH_SET_MS, FreshKeys, MAX_FRESH } from "./fresh-keys.js";
import { RunOutcomes } from "./run-outcome.js";
import { MAX_OWED, OwedTickets } from "./owed-tickets.js";
import { QueueWrites } from "./queue-writes.js";
import { RunPlaces } from "./shared-runs.js";
export type { RedisLaterOptions } from "./redis-options.js";

/** Later over BullMQ and Redis. */
export class RedisLater implements AppLater {
  private readonly table = new JobTable();
  private readonly redis: Redis;
  private readonly queues: Record<JobPriority, Queue>;
  /** Until when a ticket this replica sent back is away (idle() waits for it). */
  private bouncedUntil = 0;
  private readonly delayed: DelayedEntries;
  private readonly outcomes: RunOutcomes;
  /** The tickets puts owe until they are added: a put that died between its two calls is made good (owed-tickets.ts). */
  private readonly owed: OwedTickets;
  /** Finds Redis having lost what it held, and queues the sweep then. */
  private readonly loss: StoreLoss;
  /** The keys a person's event came for lately, run ahead of the tickets' order (interactive line). */
  private readonly fresh: FreshKeys;
  /** Where a ticket takes a place among its installation's runs (on this replica, and on all). */
  private readonly places: RunPlaces;
  private readonly workers: Worker[] = [];
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly clock: () => number;
  /** Writes to Redis nobody waits for at once: a run's, a delivery's, and loose ones (queue-writes.ts). */
  private readonly writes: QueueWrites;
  /** The retries this replica set: pendingRetry's hint. */
  private readonly retriesSet = new LruCache<string, number>({ maxEntries: 10_000 });
  private active = 0;
  private readonly warnings: RedisWarnings;
  private closed = false;
  private observer: QueueObserver | undefined;

  constructor(private readonly options: RedisLaterOptions) {
    this.prefix = options.prefix ?? "compliance-gate";
    this.leaseMs = options.leaseMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
    // Fail fast while Redis is away: a delivery is answered 503 at once rather than held. (BullMQ's
    // queues need an offline queue to start; enqueue asks this client first, and bounds its wait.)
    // Auto-pipelined: the commands of one turn of the event loop go in one write (sent at setImmediate),
    // so a burst's puts share a write and a read on each side. Its scripts defined first (LuaScript).
    this.redis = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, enableAutoPipelining: true });
    LuaScript.defineAll(this.redis);
    this.warnings = new RedisWarnings(options.log);
    this.writes = new QueueWrites(this.redis, options.log, () => this.closed);
    this.redis.on("error", (error: Error) => this.warnings.warn("connection", error));
    this.redis.on("ready", () => this.warnings.connected());
    const defaults = { removeOnComplete: true, removeOnFail: 1000 };
    this.queues = {
      interactive: new Queue("interactive", { connection: { url: options.url, maxRetriesPerRequest: 1 }, prefix: this.prefix, defaultJobOptions: defaults, skipWaitingForReady: true }),
      bulk: new Queue("bulk", { connection: { url: options.url, maxRetriesPerRequest: 1 }, prefix: this.prefix, defaultJobOptions: defaults, skipWaitingForReady: true }),
    };
    for (const [line, queue] of Object.entries(this.queues)) queue.on("error", (error: Error) => this.warnings.warn(`queue ${line}`, error));
    this.delayed = new DelayedEntries(this.redis, this.queues, this.keyOf("delayed"), this.clock, options.log, (what) => this.observer?.refused(what), options.maxDelayed);
    const { failureDelaysMs, keepTrying } = options;
    this.outcomes = new RunOutcomes({ redis: this.redis, delayed: this.delayed, table: this.table, failures: this.keyOf("failures"), clock: this.clock, log: options.log, observer: () => this.observer, ...(failureDelaysMs ? { failureDelaysMs } : {}), ...(keepTrying ? { keepTrying } : {}) });
    const queue = (job: Job): Promise<void> => this.delayed.schedule(`at|${job.key}`, job, this.clock() + (options.recoveryAfterMs ?? 30_000));
    this.loss = new StoreLoss(this.redis, { prefix: this.prefix, log: options.log, queue });
    const workOf = (key: string): [string, string] => [this.keyOf("pending", key), this.keyOf("running", key)];
    const owedTiming = { ...(options.owedAfterMs !== undefined ? { afterMs: options.owedAfterMs } : {}), ...(options.owedEveryMs !== undefined ? { everyMs: options.owedEveryMs } : {}) };
    this.owed = new OwedTickets({ redis: this.redis, set: this.keyOf("owed"), clock: this.clock, workOf, addTicket: (line, ticket) => this.addTicket(line, ticket), warn: (error) => this.warnings.warn("owed tickets", error), ...owedTiming });
    this.fresh = new FreshKeys(this.redis, (group) => `${this.prefix}:fresh:${group}`, this.clock);
    this.places = new RunPlaces(this.redis, options.slots, (line, group) => `${this.prefix}:runs:${line}:${group}`, this.leaseMs);
  }

  handle(kind: string, handler: JobHandler): void {
    this.table.handle(kind, handler);
  }

  paceWith(spentAhead: (installation: string) => boolean): void {
    this.places.paceWith(spentAhead);
  }

  observe(observer: QueueObserver): void {
    this.observer = observer;
  }

  recoverWith(job: Job): void {
    this.loss.recoverWith(job);
  }

  async start(): Promise<void> {
    // Up to 10 s for Redis to answer; past that the app starts anyway, not ready (/readyz), answering 503.
    await within(
      Promise.all([
        this.redis.status === "ready" ? Promise.resolve() : new Promise<void>((resolve) => this.redis.once("ready", () => resolve())),
        ...Object.values(this.queues).map((queue) => queue.waitUntilReady().catch(() => undefined)),
      ]),
      10_000,
    );
    await this.loss.watch();
    this.owed.start();
    const stalledInterval = this.options.stalledIntervalMs ?? 30_000;
    for (const line of ["interactive", "bulk"] as const) {
      const worker = new Worker(line, (job: BullJob, token?: string) => this.process(job, token), {
        // BullMQ's workers block on Redis: a connection of their own, which waits for Redis to come back.
        connection: { url: this.options.url, maxRetriesPerRequest: null },
        prefix: this.prefix,
        concurrency: this.options.slots[line],
        lockDuration: this.leaseMs,
        stalledInterval,
        // A ticket whose worker dies is handed on, however often: its key's jobs are in `running`.
        maxStalledCount: 1000,
      });
      worker.on("error", (error: Error) => this.warnings.warn(`worker ${line}`, error));
      this.workers.push(worker);
    }
  }

  enqueue(job: Job): Promise<void> {
    return this.put(job, priorityOf(job) === "interactive");
  }

  /** Queues `job`; `person`: a person's event (not a retry or timer come due), which makes its key fresh. */
  private async put(job: Job, person: boolean): Promise<void> {
    if (this.closed) throw new QueueUnavailable("the app is shutting down");
    if (this.redis.status !== "ready") throw new QueueUnavailable(`the queue's Redis is unreachable (${this.redis.status})`);
    const timeoutMs = this.options.enqueueTimeoutMs ?? 2_000;
    try {
      const taken = await within(
        (async () => {
          // The job first, then its ticket: a ticket never runs before its job is there to take.
          // Tickets wait in arrival order (no priorities: a rank fixed at arrival can starve a job).
          const ticket: Ticket = { key: job.key, group: groupOf(job.installationId) };
          // One command (PUT): the job, its key made fresh by a person's event, and whether it needs a
          // ticket — none while one of its line is on its way (the mark). A ticket needed is noted as
          // owed with the job: a process dying before the ticket is added, or a Redis failing then,
          // leaves the note, and a janitor adds the ticket (owed-tickets.ts).
          const line = priorityOf(job);
          const note = this.owed.note(line, ticket);
          const fresh = this.fresh.setOf(ticket.group as string);
          const keys = [this.keyOf("ticketed", `${line}:${job.key}`), this.keyOf("pending", job.key), note.set, fresh];
          const needed = await PUT.run(this.redis, keys, [JSON.stringify(job), TICKETED_MS, note.member, note.at, MAX_OWED, person ? "1" : "0", job.key, MAX_FRESH, FRESH_SET_MS]);
          if (needed !== 1) return true;
          await this.addTicket(line, ticket);
          // Not awaited: off the answer's path (a note left is only a ticket more, later).
          this.writes.hold(this.owed.settle(note.member));
          return true;
        })(),
        timeoutMs,
      );
      if (taken === undefined) throw new Error(`no answer in ${timeoutMs} ms`);
    } catch (error) {
      throw new QueueUnavailable(`the queue's Redis cannot take the job: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  retry(key: string, job: Job, attempt: number): boolean {
    const delay = (this.options.retryDelaysMs ?? RETRY_DELAYS_MS)[attempt - 1];
    if (delay === undefined) return false;
    this.retriesSet.set(key, attempt);
    const at = this.clock() + delay;
    this.writes.track(() => this.writes.serial(() => this.delayed.schedule(`retry|${key}`, job, at, attempt)));
    return true;
  }

  cancelRetry(key: string): void {
    this.retriesSet.delete(key);
    this.writes.track(() => this.writes.serial(() => this.delayed.cancel(`retry|${key}`)));
  }

  pendingRetry(key: string): number | undefined {
    return this.retriesSet.get(key);
  }

  at(key: string, job: Job, at: number): boolean {
    this.writes.track(() => this.writes.serial(() => this.delayed.schedule(`at|${key}`, job, at)));
    return true;
  }

  cancelTimer(key: string, under = false): void {
    this.writes.track(() =>
      this.writes.serial(async () => {
        await this.delayed.cancel(`at|${key}`);
        if (under) await this.delayed.cancelStartingWith(`at|${key}@`);
      }),
    );
  }

  /** Runs `deliver` (a delivery's handlers) and waits for the writes it started; QueueUnavailable when one failed. */
  async accepting<T>(deliver: () => Promise<T>): Promise<T> {
    const writes: Promise<void>[] = [];
    const result = await this.writes.unit(writes, deliver);
    try {
      // Bounded as a put is: a write queued behind a pipeline lost with its connection waits for ioredis to give it up.
      const timeoutMs = this.options.enqueueTimeoutMs ?? 2_000;
      if (writes.length > 0 && (await within(Promise.all(writes).then(() => true), timeoutMs)) === undefined) throw new Error(`no answer in ${timeoutMs} ms`);
    } catch (error) {
      throw new QueueUnavailable(`the queue's Redis cannot take the job: ${error instanceof Error ? error.message : String(error)}`);
    }
    return result;
  }

  idle(): Promise<void> {
    // A ticket sent back is delayed in BullMQ until bouncedUntil.
    return untilIdle(Object.values(this.queues), () => this.writes.pending(), () => this.active === 0 && Date.now() > this.bouncedUntil + 100);
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.redis.status !== "ready") return false;
    return (await within(this.redis.ping(), 1_000).catch(() => undefined)) === "PONG";
  }

  async stats(): Promise<QueueStats> {
    const { waiting, oldestWaitMs } = await waitingTickets(Object.values(this.queues), this.clock());
    return { waiting, active: this.active, delayed: await this.delayed.count(), oldestWaitMs };
  }

  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.owed.stop();
    await closeAll({ workers: this.workers, queues: Object.values(this.queues), loose: () => this.writes.pending(), redis: this.redis, running: this.active > 0 }, graceMs);
  }

  coveredSinceStart(key: string): Promise<boolean> {
    return this.loss.covered(this.keyOf("ran", key));
  }

  private keyOf(what: "pending" | "running" | "ticketed" | "lease" | "waiter" | "ran" | "lost-at" | "failures" | "delayed" | "owed", key?: string): string {
    return key === undefined ? `${this.prefix}:${what}` : `${this.prefix}:${what}:${key}`;
  }

  private addTicket(line: JobPriority, ticket: Ticket): Promise<unknown> {
    return this.queues[line].add("run", ticket, { attempts: 20, backoff: { type: "exponential", delay: 1_000 } });
  }

  private async process(ticket: BullJob, worker?: string): Promise<void> {
    if (ticket.name === "fire") return this.fire(ticket.data as Fire, ticket.id as string);
    if (ticket.name !== "run") return;
    const { key, group = "-" } = ticket.data as Ticket;
    // The token names the line too: both lines number their tickets from 1.
    const [token, interactive] = [`ticket:${ticket.queueName}:${ticket.id as string}`, ticket.queueName === "interactive"];
    // Its installation runs all it may on this replica: back at once, without asking Redis more (a
    // burst's tickets would each cost a round trip, beside the deliveries being answered).
    if (!this.places.mayEnter(ticket.queueName as JobPriority, group)) return this.handBack(ticket, worker);
    // Nothing waits and no run left anything (another run of the key took it): done, slot free.
    if ((await WORK.run(this.redis, [this.keyOf("pending", key), this.keyOf("running", key), this.keyOf("waiter", key)], [token])) === 0) return;
    // A place among its installation's runs, on this replica and on all (RunPlaces), or the ticket goes
    // back for a second and the slot takes the next: another installation's ticket behind finds a slot.
    const place = await this.places.enter(ticket.queueName as JobPriority, group);
    if (place === undefined) return this.handBack(ticket, worker);
    let ran = false;
    try {
      // First its installation's freshest key, if one is due (FreshKeys): one batch of it, as its own
      // tickets would run it (one of them waits while it has work: a replica dying here loses nothing).
      const fresh = interactive ? await this.fresh.take(group) : undefined;
      if (fresh !== undefined && fresh !== key) ran = (await this.runBatch(fresh, token)) === "ran";
      const at = this.clock();
      const own = await this.runBatch(key, token, OWN_BATCHES);
      ran ||= own === "ran";
      if (interactive && own !== "held") await this.fresh.served(group, key, at);
      // Held by another run, while the key has work: one ticket of the key waits for it, back every
      // 250 ms; the others come back every 2 to 4 s (never end: a waiter may die).
      const wait = own === "held" ? await WAIT.run(this.redis, [this.keyOf("pending", key), this.keyOf("running", key), this.keyOf("waiter", key)], [token, 2 * HAND_BACK_MS]) : 0;
      if (wait !== 0) return await this.handBack(ticket, worker, wait === 1 ? HAND_BACK_MS / 4 : HAND_BACK_MS * (2 + 2 * Math.random()));
    } finally {
      await place.leave(ran);
    }
  }

  async hasWork(key: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf("pending", key), this.keyOf("running", key))) > 0;
  }

  /** Sends the ticket back for `ms`, by default HAND_BACK_MS to 2x (spread: a burst's tickets do not all come back at once). */
  private async handBack(ticket: BullJob, worker?: string, ms = HAND_BACK_MS * (1 + Math.random())): Promise<never> {
    const until = Date.now() + ms;
    this.bouncedUntil = Math.max(this.bouncedUntil, until);
    await ticket.moveToDelayed(until, worker);
    throw new DelayedError();
  }

  /**
   * Batches of a key under its lease: what waits (and what a dead run left) folded into one job and
   * run, again for what arrived meanwhile (a dismissal during an approval's run) up to `batches`: a
   * flooded key does not hold a slot; its tickets run what is left. "held": another run holds it.
   */
  private async runBatch(key: string, ticket: string, batches = 1): Promise<"ran" | "none" | "held"> {
    const lease = this.keyOf("lease", key);
    const token = `${ticket}#${randomUUID()}`;
    if ((await ACQUIRE.run(this.redis, [lease, this.keyOf("waiter", key)], [token, this.leaseMs, ticket])) !== 1) return "held";
    let [lost, abandoned] = [false, false];
    // Redis away: assertHeld asks again before any write.
    const renew = setInterval(() => void RENEW.run(this.redis, [lease], [token, this.leaseMs]).then((held) => (lost ||= held !== 1), () => undefined), Math.max(100, Math.floor(this.leaseMs / 3)));
    // Past its deadline the run is abandoned: its lease is no longer renewed, and goes once its failure is scheduled.
    const abandon = (): void => void ((abandoned = true), clearInterval(renew));
    const held: Lease = {
      assertHeld: async () => {
        if (!abandoned && !lost && (await this.redis.get(lease)) === token && !abandoned) return;
        // An abandoned run is refused too, but has not lost the key: what it took is done (its failure scheduled).
        lost ||= !abandoned;
        throw new LeaseLost(abandoned ? `the run of ${key} was abandoned past its deadline: it writes nothing more` : `the run of ${key} no longer holds its key: it writes nothing more`);
      },
    };
    // Lost the key: the ticket fails and runs again. Another run holding the key takes what this one
    // left in `running`; a lease that merely expired has nobody else to: a ticket of the key does.
    const letGo = (): LeaseLost => new LeaseLost(`the run of ${key} lost its key: its ticket runs again, for what it left`);
    try {
      for (let batch = 0; batch < batches; batch += 1) {
        const marks = [this.keyOf("ticketed", `interactive:${key}`), this.keyOf("ticketed", `bulk:${key}`)];
        const raw = (await TAKE.run(this.redis, [this.keyOf("pending", key), this.keyOf("running", key), lease, this.keyOf("ran", key), this.keyOf("lost-at"), ...marks], [token, RAN_MS])) as string[] | null;
        if (raw === null) throw letGo();
        if (raw.length === 0) return batch > 0 ? "ran" : "none";
        // A kind this version does not know fails apart (it comes back for a newer replica); the rest runs.
        const { job, unknown } = this.table.fold(raw.map((text) => JSON.parse(text) as Job));
        for (const stranger of unknown) await this.outcomes.settle(stranger, new UnknownKind(stranger.kind));
        if (job !== undefined) await this.runOne(job, held, abandon);
        const finished = await FINISH.run(this.redis, [this.keyOf("running", key), lease], [token]);
        if (lost || finished !== 1) throw letGo();
        if (abandoned) return "ran"; // the key goes now, to the run after it
      }
      return "ran";
    } finally {
      clearInterval(renew);
      await RELEASE.run(this.redis, [lease], [token]).catch(() => undefined);
    }
  }

  /** Runs one job; a throw is a wait or a failure, scheduled here. Rejects only when Redis fails (the ticket runs again). */
  private async runOne(job: Job, lease: Lease, abandon: () => void): Promise<void> {
    const writes: Promise<void>[] = [];
    this.active += 1;
    let failure: unknown;
    try {
      // A run that never settles is abandoned (RunAbandoned, a failure): its slot is free again.
      await withinDeadline(() => this.writes.unit(writes, () => this.table.of(job.kind).run(job, lease)), this.table.deadlineOf(job.kind) ?? this.options.runDeadlineMs ?? RUN_DEADLINE_MS, abandon);
    } catch (error) {
      failure = error ?? new Error("a job failed");
    } finally {
      this.active -= 1;
    }
    // Its writes fail: the ticket fails before `running` is dropped, and the run is made again.
    await Promise.all(writes);
    await this.outcomes.settle(job, failure);
  }

  /** A retry, timer or wait is due: its job is queued, once, if the entry is still its own. */
  private async fire(fire: Fire, id: string): Promise<void> {
    if (!(await this.delayed.isCurrent(fire, id))) return;
    // Queued before the entry goes: a replica dying in between fires it again, and the two fold into one run.
    await this.put(fire.job, false);
    await this.delayed.forget(fire, id);
    if (fire.entry.startsWith("retry|")) this.retriesSet.delete(fire.entry.slice("retry|".length));
  }
}
