// The fence on a run's check writes: asked before the post, and again once the pacer admits the
// write, just before it is sent — a lease lost while the write waited in the pacer (the
// installation's budget spent) sends nothing to GitHub, and the run ends as a lost lease does.
import { Octokit } from "@octokit/rest";
import nock from "nock";
import pino from "pino";
import { Redis } from "ioredis";
import { GitHubPorts } from "../../src/app/github-ports.js";
import { fencedPorts } from "../../src/app/queue/fence.js";
import { LeaseLost, type Lease } from "../../src/app/queue/jobs.js";
import { RedisLater } from "../../src/app/queue/redis-later.js";
import { MemoryPacingStore, type Budget, type PacingStore, type Reservation } from "../../src/github/pacing-store.js";
import { Pacer, type Sleeper } from "../../src/github/pacing.js";
import type { PlannedCheck } from "../../src/render/check-run.js";
import { eventually, sharedRedis, uniquePrefix } from "../support/redis.js";

const API = "https://api.github.com";
const SHA = "c".repeat(40);
const target = { sha: SHA, externalId: "pull:42" };
const check: PlannedCheck = { name: "compliance/production", verdict: "success", output: { title: "Approved", summary: "s" } };
const log = pino({ level: "silent" });

/** The pacer's store, in this process, but a write's reservation waits `writeWaitMs` (the installation's budget spent); it notes the slots held and let go. */
class SpentStore implements PacingStore {
  private readonly inner = new MemoryPacingStore();
  readonly held = new Set<string>();
  acquired = 0;

  constructor(public writeWaitMs: number) {}

  async reserve(installation: string, budgets: readonly Budget[]): Promise<Reservation> {
    const reservation = await this.inner.reserve(installation, budgets);
    return budgets.some((budget) => budget.name === "writes") ? { waitMs: this.writeWaitMs } : reservation;
  }

  async acquire(installation: string, id: string, limit: number, leaseMs: number): Promise<boolean> {
    const taken = await this.inner.acquire(installation, id, limit, leaseMs);
    if (taken) {
      this.acquired += 1;
      this.held.add(id);
    }
    return taken;
  }

  async release(installation: string, id: string): Promise<void> {
    this.held.delete(id);
    return this.inner.release(installation, id);
  }

  pause(installation: string, ms: number): Promise<void> {
    return this.inner.pause(installation, ms);
  }
}

/** A check-run POST GitHub answers, counted. */
function githubTakingChecks(): { posted: unknown[] } {
  const seen = { posted: [] as unknown[] };
  nock(API)
    .persist()
    .post("/repos/acme/gitops/check-runs")
    .reply(201, (_uri, body) => {
      seen.posted.push(body);
      return { id: seen.posted.length, app: { id: 1 } };
    });
  return seen;
}

function portsThrough(store: PacingStore, sleeper: Sleeper) {
  const pacer = new Pacer({ store, sleeper });
  return new GitHubPorts({ appId: 1 }).for(pacer.client(77, new Octokit({ auth: "installation-token" }) as never), "acme", "gitops");
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("a check write waiting in the pacer", () => {
  test("its lease lost while it waits: nothing reaches GitHub, the post throws LeaseLost, and the pacer's slot is let go", async () => {
    const github = githubTakingChecks();
    let held = true;
    const lease: Lease = { assertHeld: () => (held ? Promise.resolve() : Promise.reject(new LeaseLost("another run holds the key"))) };
    // The lease is taken over while the write waits for its turn: it was held when the post was asked for.
    const store = new SpentStore(5_000);
    const ports = fencedPorts(portsThrough(store, { sleep: async () => void (held = false) }), lease);
    const outcome = await ports.checks.post(target, check).then(() => "posted", (error: unknown) => error);
    expect(outcome).toBeInstanceOf(LeaseLost);
    expect(github.posted).toEqual([]);
    expect(store.acquired).toBe(1);
    expect(store.held.size).toBe(0);
  });

  test("held all along: the same write waits its turn and goes", async () => {
    const github = githubTakingChecks();
    const store = new SpentStore(5_000);
    let waited = 0;
    const ports = fencedPorts(portsThrough(store, { sleep: async (ms) => void (waited += ms) }), { assertHeld: () => Promise.resolve() });
    expect(await ports.checks.post(target, check)).toBe("posted");
    expect(waited).toBe(5_000);
    expect(github.posted).toHaveLength(1);
    expect(store.held.size).toBe(0);
  });

  test("with Redis: a run whose lease another run took while its write waited writes nothing, and its ticket runs it again once the key is free", async () => {
    const redis = await sharedRedis();
    const prefix = uniquePrefix();
    const admin = new Redis(redis.url);
    const github = githubTakingChecks();
    const key = "acme/gitops#42";
    let steal = true;
    // The first write's wait is where another replica takes the key over (for a second and a half).
    const sleeper: Sleeper = {
      sleep: async (ms) => {
        if (steal) {
          steal = false;
          await admin.set(`${prefix}:lease:${key}`, "ticket:elsewhere#1", "PX", 1_500);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50)));
      },
    };
    const store = new SpentStore(1_000);
    const ports = portsThrough(store, sleeper);
    const outcomes: unknown[] = [];
    const later = new RedisLater({ url: redis.url, log, slots: { interactive: 2, bulk: 1 }, prefix, leaseMs: 1_000, stalledIntervalMs: 300, failureDelaysMs: [100] });
    later.handle("work", {
      run: async (_job, lease) => {
        try {
          outcomes.push(await fencedPorts(ports, lease).checks.post(target, check, { force: true }));
        } catch (error) {
          outcomes.push(error);
          throw error;
        }
      },
    });
    try {
      await later.start();
      await later.enqueue({ kind: "work", key, installationId: 77, payload: {} });
      await eventually("the run that writes", () => (outcomes.includes("posted") ? true : undefined), 20_000);
      await later.idle();
      expect(outcomes[0]).toBeInstanceOf(LeaseLost);
      expect(outcomes.slice(1)).toEqual(["posted"]);
      expect(github.posted).toHaveLength(1);
      expect(store.held.size).toBe(0);
    } finally {
      await later.close(0);
      admin.disconnect();
      await redis.close();
    }
  }, 30_000);
});
