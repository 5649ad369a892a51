// The pacer: GitHub's secondary limits per installation (points, write spacing, content budget,
// requests in flight), the pauses GitHub asks for, and what a request that meets one throws.
import fc from "fast-check";
import { GitHubError, GitHubSession, isRateLimited, rateLimitOf, type GitHubClient, type GitHubResponse } from "../../src/github/client.js";
import { budgetsOf, DEFAULT_PACING, Pacer, type GitHubObserver, type PacingLimits } from "../../src/github/pacing.js";
import { MemoryPacingStore, reserveAt, type PacingStore } from "../../src/github/pacing-store.js";
import { guardingWrites, WriteRefused } from "../../src/github/write-guard.js";

/** Virtual time: sleeping moves the clock, nothing waits. */
class VirtualTime {
  now = Date.parse("2026-11-30T10:00:00Z");
  readonly clock = (): number => this.now;
  readonly sleeper = { sleep: (ms: number): Promise<void> => ((this.now += ms), Promise.resolve()) };
}

/** A client that answers 200 (or what `answer` says) and notes when each request was sent. */
class Recorder implements GitHubClient {
  readonly sent: { route: string; at: number; parameters: Record<string, unknown> }[] = [];
  answer: (route: string, n: number) => GitHubResponse | Promise<GitHubResponse> = () => ({ status: 200, headers: {}, data: {} });

  constructor(private readonly time: VirtualTime) {}

  request = async (route: string, parameters: Record<string, unknown> = {}): Promise<GitHubResponse> => {
    this.sent.push({ route, at: this.time.now, parameters });
    return this.answer(route, this.sent.length);
  };
}

/** An Octokit RequestError's shape: status, message, and GitHub's answer. */
function requestError(status: number, message: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { status, response: { status, headers, data: { message } } });
}

function observer(): GitHubObserver & { statuses: (number | undefined)[]; limits: string[]; remaining: number[] } {
  const seen = { statuses: [] as (number | undefined)[], limits: [] as string[], remaining: [] as number[] };
  return {
    ...seen,
    answered: (r) => void seen.statuses.push(r.status),
    rateLimit: (_i, remaining) => void seen.remaining.push(remaining),
    limited: (_i, limit) => void seen.limits.push(`${limit.kind}:${limit.retryAfterMs}`),
  };
}

function setup(limits: Partial<PacingLimits> = {}, store?: PacingStore) {
  const time = new VirtualTime();
  const seen = observer();
  const pacer = new Pacer({ store: store ?? new MemoryPacingStore(time.clock), limits, sleeper: time.sleeper, observer: seen, clock: time.clock });
  const inner = new Recorder(time);
  return { time, pacer, inner, seen, session: (installation = 1) => new GitHubSession(pacer.client(installation, inner)) };
}

const CHECK = "POST /repos/{owner}/{repo}/check-runs";
const PULL = "GET /repos/{owner}/{repo}/pulls/{pull_number}";
const params = { owner: "acme", repo: "gitops" };

describe("budgets (GitHub's secondary limits)", () => {
  test("a read costs 1 point, a write 5 and a place in the write spacing; comments and issues draw on the content budget too", () => {
    expect(budgetsOf("GET", "/repos/{owner}/{repo}/pulls", DEFAULT_PACING).budgets.map((b) => [b.name, b.cost])).toEqual([["points", 1]]);
    expect(budgetsOf("POST", "/graphql", DEFAULT_PACING).write).toBe(false);
    expect(budgetsOf("POST", "/repos/{owner}/{repo}/check-runs", DEFAULT_PACING).budgets.map((b) => [b.name, b.cost])).toEqual([
      ["points", 5],
      ["writes", 1],
    ]);
    expect(budgetsOf("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", DEFAULT_PACING).budgets.map((b) => b.name)).toEqual(["points", "writes", "content"]);
    expect(budgetsOf("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", DEFAULT_PACING).budgets.map((b) => b.name)).toEqual(["points", "writes"]);
  });

  test("the defaults stay inside GitHub's documented numbers: 100 in flight, 900 points a minute, 80 content writes a minute and 500 an hour", () => {
    const { concurrency, pointsPerMinute, pointsBurst, writeSpacingMs, contentPerHour, contentBurst } = DEFAULT_PACING;
    expect(concurrency).toBeLessThanOrEqual(100);
    expect(pointsPerMinute + pointsBurst).toBeLessThanOrEqual(900);
    expect((60_000 / writeSpacingMs) * 5).toBeLessThanOrEqual(pointsPerMinute);
    expect(contentBurst + contentPerHour / 60).toBeLessThanOrEqual(80);
    expect(contentBurst + contentPerHour).toBeLessThanOrEqual(500);
  });

  test("property: whatever arrives when, no window of W ms sends more than capacity + W / interval units, and sends keep their order", () => {
    fc.assert(
      fc.property(
        fc.record({ capacity: fc.integer({ min: 1, max: 20 }), intervalMs: fc.integer({ min: 1, max: 1000 }) }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 2000 }), cost: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 5000 }),
        ({ capacity, intervalMs }, arrivals, window) => {
          let now = 0;
          let tat = 0;
          const sends: { at: number; cost: number }[] = [];
          for (const { gap, cost } of arrivals) {
            now += gap;
            const reserved = reserveAt(now, [{ name: "b", capacity: Math.max(capacity, cost), intervalMs, cost }], [tat]);
            tat = reserved.tats[0] as number;
            sends.push({ at: reserved.sendAt, cost });
          }
          for (let i = 1; i < sends.length; i += 1) expect((sends[i] as { at: number }).at).toBeGreaterThanOrEqual((sends[i - 1] as { at: number }).at);
          const cap = Math.max(capacity, 5);
          for (const start of sends) {
            const inWindow = sends.filter((s) => s.at >= start.at && s.at < start.at + window).reduce((sum, s) => sum + s.cost, 0);
            expect(inWindow).toBeLessThanOrEqual(cap + Math.ceil(window / intervalMs));
          }
        },
      ),
    );
  });
});

describe("the pacer", () => {
  test("writes of one installation go writeSpacingMs apart; another installation's do not wait on them", async () => {
    const { time, inner, session } = setup({ writeSpacingMs: 500 });
    const start = time.now;
    for (let i = 0; i < 4; i += 1) await session(1).request(CHECK, params, "posting");
    await session(2).request(CHECK, params, "posting");
    expect(inner.sent.map((s) => s.at - start)).toEqual([0, 500, 1000, 1500, 1500]);
  });

  test("points: a burst goes at once, then the steady rate (720 a minute: one read every 83 ms)", async () => {
    const { time, inner, session } = setup({ pointsPerMinute: 720, pointsBurst: 10 });
    const start = time.now;
    for (let i = 0; i < 13; i += 1) await session().request(PULL, params, "reading");
    const offsets = inner.sent.map((s) => Math.round(s.at - start));
    expect(offsets.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(offsets.slice(10)).toEqual([83, 167, 250]);
  });

  test("at most `concurrency` requests of an installation are in flight at once", async () => {
    const time = new VirtualTime();
    const pacer = new Pacer({ store: new MemoryPacingStore(time.clock), limits: { concurrency: 2 }, sleeper: { sleep: () => new Promise((r) => setImmediate(r)) } });
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const inner: GitHubClient = {
      request: async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight -= 1;
        return { status: 200, headers: {}, data: {} };
      },
    };
    const client = pacer.client(1, inner);
    const all = Promise.all(Array.from({ length: 5 }, () => client.request(PULL, params)));
    for (let answered = 0; answered < 5; ) {
      await new Promise((r) => setImmediate(r));
      const next = releases.shift();
      if (next) {
        next();
        answered += 1;
      }
    }
    await all;
    expect(most).toBe(2);
  });

  test("a secondary limit with a short retry-after: the installation waits it out and the request goes once more", async () => {
    const { time, inner, session, seen } = setup();
    inner.answer = (_route, n) => {
      if (n === 1) throw requestError(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", { "retry-after": "3" });
      return { status: 201, headers: {}, data: { id: 1 } };
    };
    const start = time.now;
    await expect(session().request(CHECK, params, "posting compliance/production")).resolves.toMatchObject({ status: 201 });
    expect(inner.sent.map((s) => s.at - start)).toEqual([0, 3000]);
    expect(seen.limits).toEqual(["secondary:3000"]);
    expect(seen.statuses).toEqual([403, 201]);
  });

  test("a long retry-after: the request fails at once with the wait, and nothing of the installation is sent until it is over", async () => {
    const { time, inner, session } = setup();
    inner.answer = (_route, n) => {
      if (n === 1) throw requestError(403, "You have exceeded a secondary rate limit", { "retry-after": "120" });
      return { status: 200, headers: {}, data: {} };
    };
    const first = await session().request(PULL, params, "reading the pull request").catch((e: unknown) => e);
    expect(isRateLimited(first)).toBe(true);
    expect(first).toMatchObject({ status: 403, rateLimit: { kind: "secondary", retryAfterMs: 120_000 } });
    expect((first as GitHubError).message).toBe("GitHub asked to wait 120 s (secondary rate limit) while reading the pull request");

    // Another request of the installation is held without being sent, saying how long is left.
    time.now += 20_000;
    const held = await session().request(CHECK, params, "posting compliance/production").catch((e: unknown) => e);
    expect(held).toMatchObject({ rateLimit: { retryAfterMs: 100_000 } });
    expect((held as GitHubError).status).toBeUndefined();
    expect(inner.sent).toHaveLength(1);
    // Another installation is not held; this one goes again once the pause is over.
    await session(2).request(PULL, params, "reading");
    time.now += 100_000;
    await session().request(PULL, params, "reading");
    expect(inner.sent).toHaveLength(3);
  });

  test("GitHub's answers that mean 'wait': retry-after, a 429 without it (a minute), a spent primary limit (until its reset)", () => {
    const now = Date.parse("2026-11-30T10:00:00Z");
    expect(rateLimitOf(403, { "retry-after": "30" }, "You have exceeded a secondary rate limit", now)).toEqual({ kind: "secondary", retryAfterMs: 30_000 });
    expect(rateLimitOf(403, {}, "You have exceeded a secondary rate limit. Please wait a few minutes", now)).toEqual({ kind: "secondary", retryAfterMs: 60_000 });
    expect(rateLimitOf(429, {}, "Too Many Requests", now)).toEqual({ kind: "secondary", retryAfterMs: 60_000 });
    expect(rateLimitOf(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 600) }, "API rate limit exceeded for installation ID 77.", now)).toEqual({
      kind: "primary",
      retryAfterMs: 601_000,
    });
    expect(rateLimitOf(403, { "x-ratelimit-remaining": "4000" }, "Resource not accessible by integration", now)).toBeUndefined();
    expect(rateLimitOf(502, { "retry-after": "5" }, "Bad Gateway", now)).toBeUndefined();
  });

  test("an answer that spends the primary limit holds the installation until the reset; the remaining count is reported", async () => {
    const { time, inner, session, seen } = setup();
    inner.answer = () => ({ status: 200, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": String(Math.floor(time.now / 1000) + 300) }, data: {} });
    await session().request(PULL, params, "reading");
    expect(seen.remaining).toEqual([0]);
    await expect(session().request(PULL, params, "reading again")).rejects.toMatchObject({ rateLimit: { retryAfterMs: 301_000 } });
    expect(inner.sent).toHaveLength(1);
  });

  test("a request GitHub does not answer in time is abandoned: a GitHubError without a status (the timeout's signal reaches the client)", async () => {
    const pacer = new Pacer({ store: new MemoryPacingStore(), limits: { timeoutMs: 20 } });
    const hanging: GitHubClient = {
      request: (_route, parameters) =>
        new Promise((_, reject) => {
          const signal = (parameters?.["request"] as { signal: AbortSignal }).signal;
          signal.addEventListener("abort", () => reject(Object.assign(new Error("This operation was aborted"), { status: 500 })));
        }),
    };
    const error = await new GitHubSession(pacer.client(1, hanging)).request(PULL, params, "reading the pull request").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ status: undefined, message: "GitHub request failed while reading the pull request: This operation was aborted" });
    expect(isRateLimited(error)).toBe(false);
  });

  test("a shared store that fails hands over to this process's own: requests go on, paced, and the failure is told", async () => {
    const time = new VirtualTime();
    const broken: PacingStore = {
      reserve: () => Promise.reject(new Error("Connection is closed.")),
      acquire: () => Promise.reject(new Error("Connection is closed.")),
      release: () => Promise.reject(new Error("Connection is closed.")),
      pause: () => Promise.reject(new Error("Connection is closed.")),
    };
    const told: unknown[] = [];
    const pacer = new Pacer({ store: broken, fallback: new MemoryPacingStore(time.clock), sleeper: time.sleeper, limits: { writeSpacingMs: 500 }, onStoreError: (e) => told.push(e) });
    const inner = new Recorder(time);
    const start = time.now;
    await pacer.client(1, inner).request(CHECK, params);
    await pacer.client(1, inner).request(CHECK, params);
    expect(inner.sent.map((s) => s.at - start)).toEqual([0, 500]);
    expect(told.length).toBeGreaterThan(0);
  });

  test("the paced client keeps the wrapped client's endpoint (GitHub Enterprise's GraphQL address is read from it)", () => {
    const request = Object.assign(async () => ({ status: 200, headers: {}, data: {} }), { endpoint: { DEFAULTS: { baseUrl: "https://ghe.example.com/api/v3" } } });
    const paced = new Pacer({ store: new MemoryPacingStore() }).client(1, { request });
    expect(new GitHubSession(paced).graphqlBaseUrl()).toBe("https://ghe.example.com/api");
  });
});

describe("the guard of writes (write-guard.ts)", () => {
  test("asked once a write is admitted, after its wait: refused, nothing is sent, the slot is let go and the refusal is no GitHubError; reads are not asked", async () => {
    const { time, inner, session } = setup({ writeSpacingMs: 1_000, concurrency: 1 });
    let allowed = true;
    const guard = async (): Promise<void> => {
      if (!allowed) throw new Error("the run lost its key");
    };
    await guardingWrites(guard, () => session().request(CHECK, params, "posting"));
    // The next write waits a second for its turn; the guard stops allowing meanwhile.
    const sleep = time.sleeper.sleep;
    time.sleeper.sleep = (ms) => ((allowed = false), sleep(ms));
    const asked = time.now;
    const error = await guardingWrites(guard, () => session().request(CHECK, params, "posting")).catch((error: unknown) => error);
    time.sleeper.sleep = sleep;
    expect(error).toBeInstanceOf(WriteRefused);
    expect(error).not.toBeInstanceOf(GitHubError);
    expect((error as WriteRefused).reason).toEqual(new Error("the run lost its key"));
    expect(time.now - asked).toBe(1_000);
    expect(inner.sent.map((s) => s.route)).toEqual([CHECK]);
    // One slot: a request after it goes at once, so the refused write let its slot go; a read is not asked.
    const before = time.now;
    await guardingWrites(guard, () => session().request(PULL, { ...params, pull_number: 1 }, "reading"));
    expect(time.now).toBe(before);
    expect(inner.sent.map((s) => s.route)).toEqual([CHECK, PULL]);
    // Outside any guard, writes go as before.
    await session().request(CHECK, params, "posting");
    expect(inner.sent).toHaveLength(3);
  });
});

describe("spentAhead: what the queues start no second run on", () => {
  test("true while the installation's last request waits on its budget or a pause, for that installation only", async () => {
    let now = Date.parse("2026-11-30T10:00:00Z");
    // Sleeping does not move this clock: the test moves it.
    const pacer = new Pacer({ store: new MemoryPacingStore(() => now), limits: { pointsPerMinute: 60, pointsBurst: 2, writeSpacingMs: 0 }, sleeper: { sleep: () => Promise.resolve() }, clock: () => now });
    const read = async (installation: string): Promise<void> => (await pacer.admit(installation, "GET", "/repos/{owner}/{repo}/pulls")).release();
    await read("1");
    await read("1");
    expect(pacer.spentAhead("1")).toBe(false); // within its burst: nothing waited
    await read("1"); // the third point comes back a second from now
    expect(pacer.spentAhead("1")).toBe(true);
    expect(pacer.spentAhead("2")).toBe(false);
    now += 1001;
    expect(pacer.spentAhead("1")).toBe(false);
    await pacer.limited("2", { kind: "secondary", retryAfterMs: 60_000 });
    await expect(read("2")).rejects.toThrow();
    expect(pacer.spentAhead("2")).toBe(true);
    now += 60_001;
    expect(pacer.spentAhead("2")).toBe(false);
  });
});
