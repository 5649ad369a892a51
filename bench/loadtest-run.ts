// One run of the loadtest: the stand-in GitHub, the app's replicas (and Redis), the pull requests
// outside the burst set up first, the burst sent at its concurrency, a review on each outside pull
// request while the burst drains, then every pull request's checks against the oracle once the
// app has gone quiet (or the run's deadline has passed).
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FakePullData } from "../test/fakes/github-model.js";
import { burst, expected, interleave, pullEvents, pullOf, repositoryState, shows, PRODUCTION, type Delivery, type PullEvent, type Shown } from "./loadtest-burst.js";
import { startSender, type Answered, type Built } from "./loadtest-send.js";
import { untilQuiet, untilShown, warmDeliveryPath, warmEvaluations } from "./loadtest-warm.js";
import { appOverrides, configuredWriteSpacing, costOf, readinessPath, startRedis, startReplica, waitReady, type Redis, type Replica } from "./loadtest-app.js";
import { showing, startStandIn, type CheckWrite, type StandIn, type Logged } from "./loadtest-github.js";

export interface RunOptions {
  replicas: number;
  redis: string | undefined;
  pulls: number;
  concurrency: number;
  deadlineMs: number;
  root: string;
  /** Deliveries each replica takes before the burst to warm its delivery path (WARM_DELIVERIES). */
  warmDeliveries: number;
}

export type { Answered } from "./loadtest-send.js";

export interface Probe {
  label: string;
  /** Milliseconds from sending the review to the write that showed it; undefined if none did in time. */
  ms: number | undefined;
  /** Burst PRs not yet showing their final checks when the review was sent. */
  unconvergedAtSend: number;
}

export interface RunResult {
  label: string;
  deliveries: number;
  answers: Answered[];
  /** From the first delivery sent to the last answered, ms. */
  sendingMs: number;
  /** From the first delivery sent to the write after which every PR showed its final checks; undefined if never. */
  convergedMs: number | undefined;
  minimumWrites: number;
  /** Check runs written for the burst's pull requests. */
  checkWrites: number;
  /** Check runs written for the burst's pull requests that showed what the same check on that commit already showed. */
  unchangedWrites: number;
  /** Distinct contents an app writing each change as it happened would have written. */
  everyChangeWrites: number;
  /** Median gap between consecutive writes of the burst's installation while it converged, ms. */
  writeGapMs: number | undefined;
  /** The write spacing the app's configuration declares, ms, if it declares one. */
  configuredSpacingMs: number | undefined;
  requests: { total: number; reads: number; notModified: number; writes: number; failed: number };
  /** Requests of the run by route (numbers and shas left out), most asked first. */
  routes: [string, number][];
  probes: Probe[];
  replicas: { name: string; url: string; peakMiB: number; rssMiB: number; cpuS: number; stopMs: number; warnings: number; errors: number; problems: string[] }[];
  wrong: string[];
  failOpen: number;
  unexpected: string[];
  ready: string;
  /** Evaluations each replica had run before the burst (the warm-up), those that had run none, and the answers to the warm-up's deliveries. */
  warm: { evaluations: number[]; cold: string[]; answers: Answered[] };
}

const BURST = { installation: 4242, owner: "acme", repo: "gitops" };
const OTHER = { installation: 4343, owner: "globex", repo: "gitops" };
const SECRET = "loadtest-webhook-secret";
const productionOf = (data: FakePullData, owner: string): Shown => expected(data, owner).get(PRODUCTION) as Shown;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function startReplicas(options: RunOptions, standIn: StandIn, redis: Redis | undefined): Promise<{ replicas: Replica[]; ready: string; spacing: number | undefined }> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const env: Record<string, string> = {
    APP_ID: "1",
    PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: standIn.host,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: "info",
    // One JSON line per record, as the container and the manifests set it: the loadtest reads levels from it.
    LOG_FORMAT: "json",
    ...(redis ? { REDIS_URL: redis.url } : {}),
    // LOADTEST_APP_<NAME>=<value>: <NAME> set for the replicas too, for looking into a run (the header says so).
    ...appOverrides(process.env),
  };
  const replicas: Replica[] = [];
  for (let i = 1; i <= options.replicas; i += 1) replicas.push(await startReplica(options.root, `replica ${i}`, env));
  const path = readinessPath(options.root);
  const states = await Promise.all(replicas.map((r) => waitReady(r, path, 60_000)));
  const spacing = await configuredWriteSpacing(options.root, env);
  return { replicas, ready: states.includes("no readiness path") ? `up (no ${path}: answered 404)` : `ready (${path})`, spacing };
}

/** Runs the burst once against `options.replicas` replicas; stops everything it started. */
export async function runOnce(label: string, options: RunOptions): Promise<RunResult> {
  const acme = repositoryState(BURST.owner, BURST.repo);
  const globex = repositoryState(OTHER.owner, OTHER.repo);
  const standIn = await startStandIn([
    { installation: BURST.installation, state: acme },
    { installation: OTHER.installation, state: globex },
  ]);
  let redis: Redis | undefined;
  let replicas: Replica[] = [];
  let sender: ReturnType<typeof startSender> | undefined;
  try {
    if (options.redis) redis = await startRedis(options.redis);
    const started = await startReplicas(options, standIn, redis);
    replicas = started.replicas;
    const live = startSender(options.concurrency, SECRET);
    sender = live;
    const { send: post } = live;
    const send = (i: number, delivery: Delivery): Promise<Answered> => post((replicas[i % replicas.length] as Replica).url, delivery);

    // Outside the burst: a PR of the same repository and one of another installation, each opened
    // and approved once before the burst; a second approval is sent while the burst drains.
    const outside = [
      { label: "another installation", state: globex, events: pullEvents(globex, OTHER.installation, 1, 0) },
      { label: "the same repository", state: acme, events: pullEvents(acme, BURST.installation, options.pulls + 1, 0) },
    ];
    for (const [i, o] of outside.entries()) {
      for (const step of [0, 2, 3, 4]) await send(i, (o.events[step] as PullEvent).happen()); // opened, approved, pushed, approved again
    }
    const setupDeadline = performance.now() + 120_000;
    for (const o of outside) {
      if (!(await untilShown(standIn, o.state, (o.events[0] as PullEvent).number, setupDeadline - performance.now()))) throw new Error(`the PR outside the burst (${o.label}) did not get its check within 120 s`);
    }
    // Each replica warm, as replicas up for a while are (loadtest-warm.ts): evaluations run on each.
    const warmed = await warmEvaluations(replicas, globex, OTHER.installation, standIn, (i, delivery) => send(i, delivery));
    const warmEvaluationCounts = replicas.map((r) => r.evaluations);

    // The burst, and the oracle kept up to date with every check written.
    const perPull = burst(acme, BURST.installation, options.pulls);
    const events = interleave(perPull);
    // Its deliveries built and signed ahead, from the same events on a copy of the repository (each
    // pull request's clock is its own: the same events give the same payloads), and kept in the
    // sender: building a payload (a webhook example copied and edited, serialized, signed) is work
    // GitHub does on machines of its own; here it would take the cores of the replicas measured.
    // During the burst each event only changes the stand-in's state, then its delivery goes, and
    // what the change made is checked against what was built (the same PR, the same updated_at).
    const copy = repositoryState(BURST.owner, BURST.repo);
    const built = interleave(burst(copy, BURST.installation, options.pulls)).map((event, i) => {
      event.change();
      const delivery = event.delivery();
      const data = pullOf(copy, event.number);
      return { url: (replicas[i % replicas.length] as Replica).url, name: delivery.name, body: JSON.stringify(delivery.payload), number: event.number, updatedAt: data.pull.updatedAt, head: data.pull.head };
    });
    const sendBuilt = await live.load(built satisfies Built[]);
    // Then each replica's delivery path warm, on as many connections as the burst uses, and quiet
    // (loadtest-warm.ts); built first, so that the burst follows at once (kept-alive connections
    // idle for 5 s are closed by the app's server).
    const warmAnswers = await warmDeliveryPath(replicas, globex, OTHER.installation, standIn, options.warmDeliveries, options.concurrency, (i, delivery) => send(i, delivery));
    await untilQuiet(standIn);

    const numbers = perPull.map((e) => (e[0] as PullEvent).number);
    const matched = new Set<number>();
    let sent = 0;
    let convergedAt: number | undefined;
    let everyChange = 0;
    const lastExpected = new Map<number, string>();
    const burstRepo = `${acme.owner}/${acme.repo}`;
    const matches = (n: number): boolean => {
      const data = acme.otherPulls?.find((d) => d.pull.number === n);
      if (!data) return false;
      const now = showing(standIn, burstRepo, data.pull.head);
      return [...expected(data, acme.owner)].every(([name, wanted]) => shows(now.get(name), wanted));
    };
    const probes: Probe[] = [];
    const waiting: { probe: Probe; repository: string; data: FakePullData; owner: string; sentAt: number }[] = [];
    standIn.onWrite = (write: CheckWrite) => {
      for (const w of waiting) {
        const head = w.data.pull.head;
        if (w.probe.ms === undefined && write.repository === w.repository && write.head === head && shows(showing(standIn, w.repository, head).get(PRODUCTION), productionOf(w.data, w.owner))) {
          w.probe.ms = write.at - w.sentAt;
        }
      }
      if (write.repository !== burstRepo) return;
      const number = acme.otherPulls?.find((d) => d.pull.head === write.head)?.pull.number;
      if (number === undefined || number > options.pulls) return;
      if (matches(number)) matched.add(number);
      else matched.delete(number);
      if (matched.size === numbers.length && sent === events.length) convergedAt ??= write.at;
      else convergedAt = undefined;
    };

    const answers: Answered[] = [];
    const burstStart = standIn.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < events.length) {
        const i = next++;
        const [event, ahead] = [events[i] as PullEvent, built[i] as (typeof built)[number]];
        event.change();
        const data = pullOf(acme, event.number);
        if (ahead.number !== event.number || ahead.updatedAt !== data.pull.updatedAt || ahead.head !== data.pull.head) throw new Error(`delivery ${i} built ahead is not its event's: #${ahead.number} at ${ahead.updatedAt}, where #${event.number} is at ${data.pull.updatedAt}`);
        for (const [name, shown] of expected(data, acme.owner)) {
          const key = `${data.pull.head} ${shown.status} ${shown.conclusion} ${shown.title}`;
          if (lastExpected.get(event.number * 10 + (name === PRODUCTION ? 0 : 1)) !== key) everyChange += 1;
          lastExpected.set(event.number * 10 + (name === PRODUCTION ? 0 : 1), key);
        }
        // The event may have moved the PR's head or what it must show: it is converged again only once written.
        if (matches(event.number)) matched.add(event.number);
        else matched.delete(event.number);
        sent += 1;
        if (matched.size < numbers.length) convergedAt = undefined;
        answers[i] = { ...(await sendBuilt(i)), url: ahead.url, name: ahead.name };
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const sendingMs = standIn.now() - burstStart;
    // What was sent is what happened: the copy's pull requests ended as the stand-in's.
    for (const n of numbers) {
      if (JSON.stringify(pullOf(copy, n)) !== JSON.stringify(pullOf(acme, n))) throw new Error(`the burst's deliveries built ahead do not match its events: #${n} differs`);
    }
    // LOADTEST_LOGS=<dir>: each answer (when sent, to which replica, what, how long), for looking into its tail.
    if (process.env.LOADTEST_LOGS) {
      const first = Math.min(...answers.map((a) => a.at));
      const lines = answers.map((a, i) =>
        JSON.stringify({ i, at_ms: Math.round(a.at - first), sent_at: Math.round(a.at), ms: Math.round(a.ms), status: a.status, replica: a.url, event: a.name, delivery: a.delivery, reused: a.reused, connect_ms: a.connectMs, written_ms: a.writtenMs }),
      );
      mkdirSync(process.env.LOADTEST_LOGS, { recursive: true });
      writeFileSync(join(process.env.LOADTEST_LOGS, `answers-${options.replicas}.jsonl`), lines.join("\n") + "\n");
    }
    if (matched.size === numbers.length) convergedAt ??= standIn.now();
    const deadline = burstStart + options.deadlineMs;

    // While the burst drains: the second approval of each outside PR.
    await sleep(1000);
    for (const [i, o] of outside.entries()) {
      const event = o.events[7] as PullEvent; // bob approves
      const data = pullOf(o.state, event.number);
      const probe: Probe = { label: o.label, ms: undefined, unconvergedAtSend: numbers.length - matched.size };
      probes.push(probe);
      const delivery = event.happen();
      waiting.push({ probe, repository: `${o.state.owner}/${o.state.repo}`, data, owner: o.state.owner, sentAt: standIn.now() });
      void send(i, delivery).catch(() => undefined); // its answer is not measured; the probe waits for the check
    }

    // Until every PR shows its final checks and the app has been quiet for 3 s, or the deadline.
    const quiet = (): boolean => (standIn.log.at(-1)?.at ?? 0) < standIn.now() - 3000;
    while (standIn.now() < deadline && !(convergedAt !== undefined && probes.every((p) => p.ms !== undefined) && quiet())) await sleep(200);

    const wrong: string[] = [];
    let failOpen = 0;
    for (const n of numbers) {
      const data = pullOf(acme, n);
      const now = showing(standIn, burstRepo, data.pull.head);
      for (const [name, wanted] of expected(data, acme.owner)) {
        const actual = now.get(name);
        if (shows(actual, wanted)) continue;
        wrong.push(`#${n} ${name}: shows ${actual ? `${actual.status}/${actual.conclusion ?? "-"} "${actual.title}"` : "nothing"}, expected ${wanted.status}/${wanted.conclusion ?? "-"} "${wanted.title}"`);
        if (actual?.conclusion === "success" && wanted.conclusion !== "success") failOpen += 1;
      }
    }
    const inRun = standIn.log.filter((l) => l.at >= burstStart);
    const burstWrites = standIn.writes.filter((w) => w.at >= burstStart && w.repository === burstRepo && numbers.includes(acme.otherPulls?.find((d) => d.commits.includes(w.head))?.pull.number ?? -1));
    const shownBefore = new Map<string, string>();
    let unchanged = 0;
    for (const w of burstWrites) {
      const key = `${w.head} ${w.name}`;
      const content = JSON.stringify([w.status, w.conclusion ?? null, w.title ?? null, w.summary ?? null]);
      if (shownBefore.get(key) === content) unchanged += 1;
      shownBefore.set(key, content);
    }
    const until = convergedAt ?? standIn.now();
    const installationWrites = inRun.filter((l) => l.method !== "GET" && l.repository === burstRepo && l.at <= until).map((l) => l.at);
    const gaps = installationWrites.slice(1).map((at, i) => at - (installationWrites[i] as number));
    const costs = replicas.map((r) => costOf(r.pid));
    const stops = await Promise.all(replicas.map((r) => r.stop()));
    return {
      label,
      deliveries: events.length,
      answers,
      sendingMs,
      convergedMs: convergedAt === undefined ? undefined : convergedAt - burstStart,
      minimumWrites: numbers.length * 2,
      checkWrites: burstWrites.length,
      unchangedWrites: unchanged,
      everyChangeWrites: everyChange,
      writeGapMs: median(gaps),
      configuredSpacingMs: started.spacing,
      requests: {
        total: inRun.length,
        reads: inRun.filter((l) => l.method === "GET" && l.status !== 304).length,
        notModified: inRun.filter((l) => l.status === 304).length,
        writes: inRun.filter((l) => l.method !== "GET").length,
        failed: inRun.filter((l) => l.status >= 400).length,
      },
      routes: routesOf(inRun),
      probes,
      replicas: replicas.map((r, i) => ({
        name: r.name,
        url: r.url,
        peakMiB: costs[i]?.peakMiB ?? NaN,
        rssMiB: costs[i]?.rssMiB ?? NaN,
        cpuS: costs[i]?.cpuS ?? NaN,
        stopMs: stops[i] ?? NaN,
        warnings: r.warnings,
        errors: r.errors,
        problems: r.problems,
      })),
      wrong,
      failOpen,
      unexpected: [...new Set(standIn.unexpected)],
      ready: started.ready,
      warm: { evaluations: warmEvaluationCounts, cold: warmed, answers: warmAnswers },
    };
  } finally {
    await sender?.stop();
    await Promise.all(replicas.map((r) => r.stop(2000)));
    await redis?.stop();
    await standIn.close();
  }
}

/** Requests by `METHOD route`, the route without its numbers, shas and refs, most asked first. */
function routesOf(log: Logged[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const l of log) {
    const route = `${l.method} ${l.path.split("?")[0]?.replace(/\/repos\/[^/]+\/[^/]+/, "/repos/:repo").replace(/\/[0-9a-f]{40}\b/g, "/:sha").replace(/\/\d+\b/g, "/:n").replace(/\/branches\/.*$/, "/branches/:ref") ?? l.path}${l.status === 304 ? " (304)" : ""}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}
