// Two app processes (`npm start`) sharing a real Redis, against a GitHub stand-in that answers slowly
// (so that evaluations overlap as they do against GitHub): an approval on one replica and its
// dismissal on the other never end in a success; a burst split across both ends right; a replica
// SIGKILLed mid-burst loses nothing; Redis stopped means 503 and not ready, never a crash, and
// work resumes when it is back; SIGTERM finishes the runs under way before exiting.
import { HAND_BACK_MS } from "../../src/app/queue/redis-options.js";
import { startFakeGitHub, type FakeGitHub, type FakePullData, type FakeState } from "../fakes/github-server.js";
import { RedisServer } from "../support/redis.js";
import { AppProcess, deliver, eventually, latest, payload, slowProxy } from "./harness.js";

const TIMEOUT = 60_000;
const H = (n: number, v = 1): string => `${n}${v}`.padEnd(40, "a");
const CHECK = "compliance/production";

const POLICY = `version: 1
environment: production
scope:
  branches: [main]
  paths: [clusters/production/**]
rules:
  - name: SRE approves cluster changes
    paths: [clusters/production/**]
    approvals: 1
    approvers: { teams: [sre] }
`;

function pullData(number: number): FakePullData {
  return {
    pull: { number, author: "carol", head: H(number), base: "main", labels: [], state: "open", updatedAt: "2026-11-27T09:00:00Z" },
    files: [{ filename: `clusters/production/app${number}.yaml`, status: "modified" }],
    reviews: [],
    commits: [H(number)],
  };
}

function state(numbers: number[]): FakeState {
  const [first, ...rest] = numbers.map(pullData);
  const main = first as FakePullData;
  return {
    owner: "acme",
    repo: "gitops",
    defaultBranch: "main",
    baseTip: "b".repeat(40),
    policies: { "production.yml": POLICY },
    pull: main.pull,
    files: main.files,
    reviews: main.reviews,
    commits: main.commits,
    otherPulls: rest,
    teams: { sre: ["alice", "bob"] },
  };
}

/** A PR's data in the fake (the main one or another). */
function dataOf(github: FakeGitHub, number: number): FakePullData {
  const s = github.state;
  if (s.pull.number === number) return { pull: s.pull, files: s.files, reviews: s.reviews, commits: s.commits };
  const found = s.otherPulls?.find((p) => p.pull.number === number);
  if (!found) throw new Error(`no PR ${number}`);
  return found;
}

let clock = Date.parse("2026-11-27T09:00:00Z");
/** GitHub moves a PR's updated_at (and ETag) with every change. */
function touch(github: FakeGitHub, number: number): void {
  clock += 1000;
  dataOf(github, number).pull.updatedAt = new Date(clock).toISOString();
}

function approve(github: FakeGitHub, number: number, id: number): void {
  const data = dataOf(github, number);
  data.reviews.push({ id, user: "alice", state: "APPROVED", commit_id: data.pull.head, submitted_at: new Date(clock).toISOString() });
  touch(github, number);
}

function reviewEvent(number: number, head: string, action: "submitted" | "dismissed", id: number): Record<string, unknown> {
  return payload("pull_request_review", "submitted", number, head, (p) => {
    p.action = action;
    p.review.id = id;
    p.review.user.login = "alice";
    p.review.state = action === "dismissed" ? "dismissed" : "approved";
    p.review.commit_id = head;
  });
}

/** Write spacing of the replicas here (COMPLIANCE_GITHUB_WRITE_SPACING_MS): short, so that a burst drains in seconds. */
const WRITE_SPACING_MS = 100;

/**
 * Until GitHub has been asked nothing for 1 s: every replica is done (a run asks every 25 ms; the
 * pacer spaces writes WRITE_SPACING_MS apart, and the slowest proxy holds a write 500 ms).
 */
async function settled(github: FakeGitHub): Promise<void> {
  let seen = -1;
  for (;;) {
    const now = github.requests.length;
    if (now === seen) return;
    seen = now;
    // Longer than a ticket sent back past its installation's share stays away (up to 2 x HAND_BACK_MS).
    await new Promise((resolve) => setTimeout(resolve, 2 * HAND_BACK_MS + 500));
  }
}

describe("replicas sharing one Redis", () => {
  let redis: RedisServer;
  let github: FakeGitHub;
  let proxy: { host: string; close: () => Promise<void> };
  const apps: AppProcess[] = [];
  const context = (): string => `checks: ${JSON.stringify(github.checks.slice(-6))}; logs: ${apps.map((a) => a.log.slice(-1500)).join("\n---\n")}`;

  /** A replica's variables: the shared Redis, a short lease (a dead replica's runs are taken over in about 2 s). */
  const shared = (): Record<string, string> => ({ REDIS_URL: redis.url, COMPLIANCE_QUEUE_LEASE: "2", COMPLIANCE_GITHUB_WRITE_SPACING_MS: String(WRITE_SPACING_MS) });

  async function replicas(count: number, numbers: number[], extra: Record<string, string> = {}): Promise<AppProcess[]> {
    github = await startFakeGitHub(state(numbers));
    proxy = await slowProxy(github, 25);
    const started = await Promise.all(Array.from({ length: count }, () => AppProcess.start(proxy.host, { ...shared(), ...extra })));
    apps.push(...started);
    return started;
  }

  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.kill("SIGKILL")));
    await proxy?.close();
    await github?.close();
    await redis.close();
  });

  test("an approval delivered to one replica while its dismissal goes to the other: the check never ends in a success", async () => {
    // The replica given the approval writes slowly: without one lease per PR across replicas, the
    // other one's newer verdict lands first and the stale success on top of it (issue 10).
    const [b] = (await replicas(1, [7])) as [AppProcess];
    const slowWrites = await slowProxy(github, 10, 500);
    const a = await AppProcess.start(slowWrites.host, shared());
    apps.push(a);
    try {
      expect(await deliver(b.url, "pull_request", payload("pull_request", "opened", 7, H(7)))).toBe(202);
      await eventually("the first check", () => latest(github, CHECK, H(7)), context);
      await settled(github);
      {
        const id = 101;
        approve(github, 7, id);
        const before = github.requests.length;
        const approval = deliver(a.url, "pull_request_review", reviewEvent(7, H(7), "submitted", id));
        // The dismissal comes once the approval's evaluation has read the reviews, while it writes.
        await eventually("the approval read", () => (github.requests.slice(before).some((r) => r.includes("/reviews")) ? true : undefined), context);
        await new Promise((resolve) => setTimeout(resolve, 250));
        const review = dataOf(github, 7).reviews.find((r) => r.id === id);
        if (review) review.state = "DISMISSED";
        touch(github, 7);
        const dismissal = deliver(b.url, "pull_request_review", reviewEvent(7, H(7), "dismissed", id));
        expect(await Promise.all([approval, dismissal])).toEqual([202, 202]);
        await settled(github);
        expect(latest(github, CHECK, H(7))).toMatchObject({ status: "in_progress", title: "Waiting for 1 approval from @acme/sre" });
      }
      expect(github.unexpected).toEqual([]);
    } finally {
      await slowWrites.close();
    }
  }, TIMEOUT);

  test("a burst split across both replicas ends right: every PR's check says its latest state", async () => {
    const numbers = [7, 8, 9];
    const [a, b] = (await replicas(2, numbers)) as [AppProcess, AppProcess];
    const statuses: Promise<number>[] = [];
    let id = 200;
    for (const number of numbers) {
      const to = (i: number): string => ((number + i) % 2 === 0 ? a.url : b.url);
      statuses.push(deliver(to(0), "pull_request", payload("pull_request", "opened", number, H(number))));
      approve(github, number, ++id);
      statuses.push(deliver(to(1), "pull_request_review", reviewEvent(number, H(number), "submitted", id)));
      if (number % 2 === 0) {
        // Even PRs get a new commit: the approval was for the old head.
        const data = dataOf(github, number);
        data.pull.head = H(number, 2);
        data.commits.push(H(number, 2));
        touch(github, number);
        statuses.push(deliver(to(2), "pull_request", payload("pull_request", "synchronize", number, H(number, 2))));
      }
    }
    expect(new Set(await Promise.all(statuses))).toEqual(new Set([202]));
    const right = (number: number): boolean => {
      const check = latest(github, CHECK, number % 2 === 0 ? H(number, 2) : H(number));
      return number % 2 === 0 ? check?.status === "in_progress" : check?.conclusion === "success";
    };
    await eventually("every PR right", () => (numbers.every(right) ? true : undefined), context);
    // And nothing older lands on top afterwards.
    await settled(github);
    expect(numbers.filter((number) => !right(number))).toEqual([]);
    expect(github.unexpected).toEqual([]);
  }, TIMEOUT);

  test("a replica SIGKILLed right after accepting deliveries: restarted, it (or the other) runs them; nothing is lost", async () => {
    const [a, b] = (await replicas(2, [7, 8])) as [AppProcess, AppProcess];
    expect(await deliver(b.url, "pull_request", payload("pull_request", "opened", 7, H(7)))).toBe(202);
    await eventually("the first check", () => latest(github, CHECK, H(7)), context);
    await settled(github);
    approve(github, 7, 300);
    approve(github, 8, 301);
    const accepted = await Promise.all([
      deliver(a.url, "pull_request_review", reviewEvent(7, H(7), "submitted", 300)),
      deliver(a.url, "pull_request_review", reviewEvent(8, H(8), "submitted", 301)),
    ]);
    expect(accepted).toEqual([202, 202]);
    await a.kill("SIGKILL");
    // Killed before GitHub could answer its evaluations (each reads several times, each answer 25 ms late).
    expect(latest(github, CHECK, H(8))).toBeUndefined();
    await a.restart();
    await eventually("#7 approved", () => (latest(github, CHECK, H(7))?.conclusion === "success" ? true : undefined), context);
    await eventually("#8 approved", () => (latest(github, CHECK, H(8))?.conclusion === "success" ? true : undefined), context);
  }, TIMEOUT);

  test("Redis stopped: deliveries are answered 503 and /readyz is false, nothing crashes; back: accepted, ready, right", async () => {
    const [a, b] = (await replicas(2, [7])) as [AppProcess, AppProcess];
    expect(await deliver(a.url, "pull_request", payload("pull_request", "opened", 7, H(7)))).toBe(202);
    await eventually("the first check", () => latest(github, CHECK, H(7)), context);
    await settled(github);
    await redis.stop();
    approve(github, 7, 400);
    expect(await deliver(a.url, "pull_request_review", reviewEvent(7, H(7), "submitted", 400))).toBe(503);
    expect(await deliver(b.url, "pull_request_review", reviewEvent(7, H(7), "submitted", 400))).toBe(503);
    await eventually("not ready", async () => ((await a.readyz()) === 503 && (await b.readyz()) === 503 ? true : undefined), context);
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    await redis.start();
    await eventually("ready again", async () => ((await a.readyz()) === 200 && (await b.readyz()) === 200 ? true : undefined), context);
    // Each replica counted the delivery it refused (/metrics reads the queue, so it answers once Redis is back).
    for (const replica of [a, b]) {
      const { status, body } = await replica.metrics();
      expect(status).toBe(200);
      expect(body).toMatch(/^compliance_gate_deliveries_rejected_total\{event="pull_request_review\.submitted",reason="queue"\} 1$/m);
    }
    // GitHub redelivers the failed delivery.
    expect(await deliver(b.url, "pull_request_review", reviewEvent(7, H(7), "submitted", 400))).toBe(202);
    await eventually("approved", () => (latest(github, CHECK, H(7))?.conclusion === "success" ? true : undefined), context);
  }, TIMEOUT);

  test("SIGTERM: the replica stops taking work, finishes the run under way, and exits 0", async () => {
    const [a] = (await replicas(1, [7])) as [AppProcess];
    approve(github, 7, 500);
    expect(await deliver(a.url, "pull_request_review", reviewEvent(7, H(7), "submitted", 500))).toBe(202);
    expect(await a.kill("SIGTERM")).toBe(0);
    expect(latest(github, CHECK, H(7))).toMatchObject({ status: "completed", conclusion: "success" });
  }, TIMEOUT);
});
