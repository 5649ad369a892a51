// Faults at the HTTP boundary (issue 10): the app, in-process, talks over real HTTP to the loopback
// GitHub stand-in through a proxy that answers some requests with a 502, a secondary rate limit
// (403 with retry-after), a slow answer, or a dropped connection. Whatever happens, every PR ends
// with a check that is right or failing — never silence, never a wrong pass.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { DEFAULT_CONFIG } from "../../src/app/config.js";
import { Deliveries } from "../../src/app/deliveries.js";
import { complianceGate, type ComplianceGate } from "../../src/app/gate.js";
import type { TimerApi } from "../../src/app/freeze-timers.js";
import type { InProcessLater } from "../../src/app/later.js";
import { DEFAULT_PACING } from "../../src/github/pacing.js";
import { RUN_DEADLINE_MS } from "../../src/app/queue/jobs.js";
import { example, inOurRepository, pullRequest } from "../app/helpers.js";
import { startFakeGitHub, type FakeGitHub, type FakePullData, type FakeState, type PostedCheck } from "../fakes/github-server.js";

const TIMEOUT = 60_000;
const OWNER = "acme";
const REPO = "gitops";
const INSTALLATION = 77;
const POLICY = `version: 1
environment: production
scope:
  branches: [main]
  paths: [clusters/production/**]
rules:
  - name: production approvers
    paths: [clusters/production/**]
    approvals: 1
    approvers: { users: [alice] }
`;
const head = (n: number): string => n.toString(16).padStart(2, "0").repeat(20);

type Fault = "502" | "secondary" | "slow" | "drop-before" | "drop-after";
const FAULTS: Fault[] = ["502", "secondary", "slow", "drop-before", "drop-after"];
/** The order faults come in: a secondary limit pauses the whole installation for a second, so it comes less often. */
const CYCLE: Fault[] = ["502", "slow", "drop-before", "secondary", "drop-after", "502", "slow", "drop-after"];

/** A proxy in front of the stand-in that injects faults into a share of the requests, deterministically. */
class FaultyGitHub {
  private server: Server | undefined;
  url = "";
  on = true;
  /** A test's own choice of fault, before the cycle's. */
  plan: ((method: string, path: string) => Fault | undefined) | undefined;
  readonly injected: Record<Fault, number> = { "502": 0, secondary: 0, slow: 0, "drop-before": 0, "drop-after": 0 };
  private n = 0;

  constructor(private readonly upstream: string) {}

  /** Every fourth request but the installation token's gets the next fault of CYCLE. */
  private next(req: IncomingMessage): Fault | undefined {
    if (!this.on || /access_tokens$/.test(req.url ?? "")) return undefined;
    if (this.plan) return this.plan(req.method ?? "GET", req.url ?? "/");
    this.n += 1;
    return this.n % 4 === 0 ? CYCLE[(this.n / 4) % CYCLE.length] : undefined;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = this.next(req);
    if (fault) this.injected[fault] += 1;
    if (fault === "502") return void res.writeHead(502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    if (fault === "secondary") {
      res.writeHead(403, { "content-type": "application/json", "retry-after": "1" });
      return void res.end(JSON.stringify({ message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }));
    }
    // Dropped before GitHub saw it: nothing happened.
    if (fault === "drop-before") return void req.socket.destroy();
    // GitHub did the work (a check posted lands); its answer is lost, or comes after the app gave up.
    const answer = await fetch(`${this.upstream}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)) as [string, string][]),
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    if (fault === "drop-after") return void req.socket.destroy();
    // Longer than the app waits (its timeout is 400 ms here).
    if (fault === "slow") await new Promise((r) => setTimeout(r, 600));
    if (res.destroyed) return;
    res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !["content-length", "content-encoding", "transfer-encoding", "connection"].includes(k))));
    res.end(body);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

/**
 * Later's retry delays (10 s, 1 min, 5 min) a thousand times shorter — but not a run's deadline
 * (10 minutes): 600 ms would abandon a run waiting out a secondary limit's retry-after in place.
 */
const FAST_TIMERS: TimerApi = {
  set: (callback, ms) => setTimeout(callback, ms === RUN_DEADLINE_MS ? ms : ms / 1000).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Time a thousand times faster than the wall clock, as FAST_TIMERS's delays are shorter. */
const STARTED = Date.now();
const FAST_CLOCK = (): number => STARTED + (Date.now() - STARTED) * 1000;

/**
 * GitHub's limits as this test's stand-in has none: the pacer's budgets (720 points a minute would
 * hold these 40 evaluations for half a minute) are not what is tested here; its pauses and
 * timeouts are (400 ms for an answer).
 */
const UNPACED = { ...DEFAULT_PACING, pointsPerMinute: 600_000, pointsBurst: 10_000, writeSpacingMs: 0, timeoutMs: 400 };

let github: FakeGitHub;
let proxy: FaultyGitHub;
let gate: ComplianceGate;
let deliveries: Deliveries;

/** PRs 1–8 into main, each changing clusters/production; none approved yet. */
function pulls(): FakePullData[] {
  return Array.from({ length: 8 }, (_, i) => ({
    pull: { number: i + 1, author: "carol", head: head(i + 1), base: "main", labels: [], state: "open" as const },
    files: [{ filename: `clusters/production/app-${i + 1}.yaml`, status: "modified" }],
    reviews: [],
    commits: [head(i + 1)],
  }));
}

beforeAll(async () => {
  const [first, ...others] = pulls();
  const state: FakeState = {
    owner: OWNER,
    repo: REPO,
    defaultBranch: "main",
    baseTip: "b".repeat(40),
    policies: { "production.yml": POLICY },
    pull: first?.pull as FakeState["pull"],
    files: first?.files ?? [],
    reviews: [],
    commits: first?.commits ?? [],
    otherPulls: others,
    teams: {},
  };
  github = await startFakeGitHub(state);
  proxy = new FaultyGitHub(github.url);
  await proxy.start();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const probot = new Probot({
    appId: 1,
    privateKey,
    baseUrl: `${proxy.url}/api/v3`,
    // What the app's entry builds (github/octokit.ts), minus Probot's retries: every fault reaches the app.
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    log: pino({ level: "silent" }),
  });
  // As npm start builds it (src/server.ts): the handlers on a Deliveries, Probot for the jobs' clients.
  deliveries = new Deliveries(probot.log);
  gate = complianceGate(
    deliveries.appOf(probot),
    { ...DEFAULT_CONFIG, appId: 1, enforceSweepIntervalMs: 0, freezeTimers: false, pacing: UNPACED },
    // A clock as fast as the timers: a timer checks the clock when it fires (a refused check's retries
    // every 30 minutes would otherwise wait 30 real minutes, and the test with them).
    { timers: FAST_TIMERS, clock: FAST_CLOCK, reconcileOnFirstEvent: false, enforceOnEvents: false },
  );
}, TIMEOUT);

afterAll(async () => {
  (gate?.later as InProcessLater | undefined)?.clear();
  await proxy?.close();
  await github?.close();
});

/** The state a PR's data says it should show: approved by alice on its head, or waiting. */
function deserved(data: FakePullData): "success" | "in_progress" {
  const approved = data.reviews.some((r) => r.user === "alice" && r.state === "APPROVED" && r.commit_id === data.pull.head);
  return approved ? "success" : "in_progress";
}

function dataOf(number: number): FakePullData {
  const state = github.state;
  if (state.pull.number === number) return { pull: state.pull, files: state.files, reviews: state.reviews, commits: state.commits };
  const found = state.otherPulls?.find((d) => d.pull.number === number);
  if (!found) throw new Error(`no PR ${number}`);
  return found;
}

async function deliver(name: string, payload: Record<string, unknown>): Promise<void> {
  await deliveries.receive({ id: randomUUID(), name, payload }).catch(() => undefined);
}

function opened(number: number): Record<string, unknown> {
  const payload = example("pull_request", "opened");
  payload["number"] = number;
  payload["pull_request"] = pullRequest({ number, head: head(number) });
  return inOurRepository(payload);
}

function reviewed(number: number, action: "submitted" | "dismissed"): Record<string, unknown> {
  const payload = example("pull_request_review", action);
  const pull = pullRequest({ number, head: head(number) });
  delete pull["changed_files"];
  delete pull["commits"];
  payload["pull_request"] = pull;
  payload["review"] = { ...payload["review"], user: { ...payload["review"]["user"], login: "alice" }, state: action === "dismissed" ? "dismissed" : "approved", commit_id: head(number) };
  const moved = inOurRepository(payload);
  moved["installation"] = { id: INSTALLATION, node_id: "inst" };
  return moved;
}

/**
 * Until no evaluation runs and none waits: for a retry (a check GitHub refused is evaluated again
 * later) or out a wait GitHub asked for (a secondary limit's retry-after).
 */
async function settled(): Promise<void> {
  for (;;) {
    await gate.later.idle();
    if ((await gate.later.stats()).delayed === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const latest = (number: number, name = "compliance/production"): PostedCheck | undefined => github.checks.filter((c) => c.name === name && c.head_sha === head(number)).at(-1);
/**
 * What stands on a PR: its production check or, when a fault kept its first evaluation from reading
 * the policies (so that its environments are unknown), the failing compliance/policy check that says
 * why — the required production check then never appears, which blocks the merge too.
 */
const standing = (number: number): PostedCheck | undefined => latest(number) ?? (latest(number, "compliance/policy")?.conclusion === "failure" ? latest(number, "compliance/policy") : undefined);
const shows = (check: PostedCheck | undefined): string => (check === undefined ? "nothing" : check.status === "completed" ? (check.conclusion ?? "?") : check.status);

test(
  "502s, secondary limits with retry-after, slow answers and dropped connections: every PR ends right or failing, never wrongly passing",
  async () => {
    // Each PR: opened; PRs 1–4 approved by alice; PRs 1 and 2 then dismissed — concurrently across PRs.
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const number = i + 1;
        await deliver("pull_request", { ...opened(number), installation: { id: INSTALLATION, node_id: "inst" } });
        if (number > 4) return;
        dataOf(number).reviews.push({ id: number * 10, user: "alice", state: "APPROVED", commit_id: head(number), submitted_at: "2026-11-30T10:00:00Z" });
        dataOf(number).pull.updatedAt = "2026-11-30T10:00:00Z";
        await deliver("pull_request_review", reviewed(number, "submitted"));
        if (number > 2) return;
        (dataOf(number).reviews[0] as { state: string }).state = "DISMISSED";
        dataOf(number).pull.updatedAt = "2026-11-30T10:05:00Z";
        await deliver("pull_request_review", reviewed(number, "dismissed"));
      }),
    );
    await settled();
    for (const fault of FAULTS) expect(proxy.injected[fault]).toBeGreaterThan(0);

    // Whatever showed along the way, no PR that was never approved — or whose approval was dismissed — shows a pass now.
    const outcomes = Array.from({ length: 8 }, (_, i) => {
      const number = i + 1;
      const now = shows(standing(number));
      return { number, deserved: deserved(dataOf(number)), shows: now };
    });
    for (const outcome of outcomes) {
      expect(outcome.shows).not.toBe("nothing");
      if (outcome.deserved !== "success") expect(outcome.shows).not.toBe("success");
      expect([outcome.deserved, "failure"]).toContain(outcome.shows);
    }

    // GitHub answers again: the next event on each PR shows what it deserves. Nothing the app
    // remembers (what each check shows, a pause) keeps a failure from a fault in place.
    proxy.on = false;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const payload = { ...opened(i + 1), action: "labeled", label: { id: 1, name: "x", color: "ededed" }, installation: { id: INSTALLATION, node_id: "inst" } };
        await deliver("pull_request", payload);
      }),
    );
    await settled();
    expect(Array.from({ length: 8 }, (_, i) => shows(latest(i + 1)))).toEqual(Array.from({ length: 8 }, (_, i) => deserved(dataOf(i + 1))));
  },
  TIMEOUT,
);

test(
  "a secondary limit on a check's write is waited out and the check written after it: no failure is posted for it",
  async () => {
    proxy.on = true;
    let refused = 0;
    proxy.plan = (method, path) => (method === "POST" && path.endsWith("/check-runs") && refused++ === 0 ? "secondary" : undefined);
    const from = github.checks.length;
    const number = 5;
    dataOf(number).reviews.push({ id: 500, user: "alice", state: "APPROVED", commit_id: head(number), submitted_at: "2026-11-30T11:00:00Z" });
    dataOf(number).pull.updatedAt = "2026-11-30T11:00:00Z";
    await deliver("pull_request_review", reviewed(number, "submitted"));
    await settled();
    proxy.plan = undefined;
    proxy.on = false;
    expect(refused).toBeGreaterThan(1);
    // One write, after the wait: the approval's success, and nothing failing in between.
    expect(github.checks.slice(from).map((c) => [c.name, shows(c)])).toEqual([["compliance/production", "success"]]);
  },
  TIMEOUT,
);
