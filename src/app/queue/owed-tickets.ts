// The tickets the queue in Redis owes: a put pushes its job, then adds the job's ticket in a second
// call; a process that dies (or a Redis that fails) between the two leaves the job waiting with no
// ticket to run it — until its PR's next event, and its delivery was answered 503, which GitHub
// does not redeliver by itself. So a put that will add a ticket notes it as owed in the script that
// stores its job (PUT, redis-scripts.ts: a sorted set, one member per such put, scored by when); a
// put riding on a ticket already on its way writes none — that ticket is in BullMQ, or noted by the
// put that set the mark. The note goes once the ticket is added, and a janitor on every replica adds
// a ticket for each note left long enough, if its key still has work.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { JobPriority } from "../ports.js";
import type { Ticket } from "./redis-options.js";

/**
 * A note this old is left over: its put is over (an enqueue gives up after 2 s), so its ticket was
 * never added, or the note's removal failed (then the ticket is added twice: harmless, a ticket
 * finding no work ends). Replicas' clocks differing by less than this never ticket a put in flight.
 */
export const OWED_AFTER_MS = 30_000;
/** How often each replica's janitor looks. */
export const OWED_EVERY_MS = 15_000;
/** Notes one pass takes at most (a bounded pass: 100 tickets, one pipeline of EXISTS). */
export const OWED_PER_PASS = 100;
/**
 * Notes kept at most (about 150 bytes each: 1.5 MB): only puts that failed between their two calls
 * leave one past a moment, and every replica takes 100 every 15 s. Past it the oldest go: their
 * jobs wait for their PR's next event, as they did before this janitor.
 */
export const MAX_OWED = 10_000;

type Note = Ticket & { id: string; line: JobPriority };

export interface OwedTicketsOptions {
  redis: Redis;
  /** The sorted set of notes. */
  set: string;
  clock: () => number;
  /** The keys whose existence means `key` has work (its pending and running lists). */
  workOf: (key: string) => [string, string];
  addTicket: (line: JobPriority, ticket: Ticket) => Promise<unknown>;
  /** A pass that failed (Redis away): the next one tries again. */
  warn: (error: Error) => void;
  afterMs?: number;
  everyMs?: number;
}

export class OwedTickets {
  private timer: ReturnType<typeof setInterval> | undefined;
  private passing = false;

  constructor(private readonly options: OwedTicketsOptions) {}

  /** The note a put writes (PUT, redis-scripts.ts: in the sorted set `set`, scored by `at`) when `ticket` is owed; settle() takes it. */
  note(line: JobPriority, ticket: Ticket): { set: string; member: string; at: number } {
    return { set: this.options.set, member: JSON.stringify({ id: randomUUID(), line, ...ticket } satisfies Note), at: this.options.clock() };
  }

  /** The note's ticket was added: the note goes. Never rejects (a note left is the janitor's). */
  settle(note: string): Promise<void> {
    return this.options.redis.zrem(this.options.set, note).then(
      () => undefined,
      () => undefined,
    );
  }

  start(): void {
    this.timer ??= setInterval(() => void this.pass().catch((error: Error) => this.options.warn(error)), this.options.everyMs ?? OWED_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Adds a ticket for each note left over whose key has work, and drops the notes; how many tickets. */
  async pass(): Promise<number> {
    if (this.passing) return 0;
    this.passing = true;
    try {
      const { redis, set } = this.options;
      const due = await redis.zrangebyscore(set, "-inf", this.options.clock() - (this.options.afterMs ?? OWED_AFTER_MS), "LIMIT", 0, OWED_PER_PASS);
      if (due.length === 0) return 0;
      // A note this version cannot read (none it writes) is dropped with the others: never a pass stuck on it.
      const notes = due.flatMap((text) => {
        const note = readNote(text);
        return note === undefined ? [] : [note];
      });
      const working = redis.pipeline();
      for (const note of notes) working.exists(...this.options.workOf(note.key));
      const work = (await working.exec()) ?? [];
      const added = new Set<string>();
      for (const [i, note] of notes.entries()) {
        const [error, count] = work[i] ?? [new Error("no answer"), 0];
        if (error) throw error;
        // One ticket per key and line: the notes of several puts of a key are one run's work.
        if (count === 0 || added.has(`${note.line}|${note.key}`)) continue;
        await this.options.addTicket(note.line, { key: note.key, ...(note.group !== undefined ? { group: note.group } : {}) });
        added.add(`${note.line}|${note.key}`);
      }
      await redis.zrem(set, ...due);
      return added.size;
    } finally {
      this.passing = false;
    }
  }
}

/** A note as put wrote it, or undefined when it is not one (a line or key this version does not know). */
function readNote(text: string): Note | undefined {
  try {
    const note = JSON.parse(text) as Partial<Note> | null;
    return typeof note?.key === "string" && (note.line === "interactive" || note.line === "bulk") ? (note as Note) : undefined;
  } catch {
    return undefined;
  }
}
