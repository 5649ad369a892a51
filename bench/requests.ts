// GitHub requests per event (issue 3, "Economy"): the app as built in lib/ runs in-process as npm
// start builds it (its handlers on app/deliveries.ts, Probot for the jobs' clients), receives real webhook payloads (@octokit/webhooks-examples, adjusted), and talks to the
// loopback stand-in for GitHub's REST API of the end-to-end test. Requests are counted at that
// server, by the status it answered: nothing here is computed from what the app says it did.
// Prints a table and the evaluations per hour one installation's 5,000 requests allow; exits 1
// when the fake could not answer a request or the app reported a problem (the figures would be wrong).
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { startFakeGitHub, type AnsweredRequest, type FakeFile, type FakeGitHub, type FakePullData, type FakeState } from "../test/fakes/github-server.js";

const BUDGET = 5000;
const APP_ID = 1;
const INSTALLATION = 4242;
const OWNER = "acme";
const REPO = "gitops";
const NUMBER = 7;
/** Files of the measured PR, all under clusters/production/: the target's "at most 100 files, one environment". */
const FILES = 100;
/** Open PRs into main when policies/ changes. */
const OPEN_PULLS = 3;
const TARGET_READS = 4;
const EVENT_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 120_000;

const sha = (c: string): string => c.repeat(40);
const H1 = sha("1");
const H2 = sha("2");
const TIP = sha("b");
const NEW_TIP = sha("c");
const MERGE_GROUP_SHA = sha("9");

// Stops by itself whatever happens.
setTimeout(() => {
  console.error(`bench/requests: did not finish within ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS).unref();

/** The package root: this file runs from bench/ (typechecking) or lib-bench/bench/ (built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "compliance-gate") return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find compliance-gate's package.json above bench/requests");
}

const ROOT = packageRoot();

/**
 * The example policies of policies/ (governance, production, staging), with their freeze windows
 * taken out so that the figures do not depend on the day the benchmark runs.
 */
function examplePolicies(): Record<string, string> {
  const dir = join(ROOT, "policies");
  const policies: Record<string, string> = {};
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const kept: string[] = [];
    let inFreeze = false;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (/^freeze:/.test(line)) inFreeze = true;
      else if (/^[^\s#]/.test(line)) inFreeze = false;
      if (!inFreeze) kept.push(line);
    }
    policies[name] = kept.join("\n");
  }
  return policies;
}

/** Every team the example policies name, with members; alice and bob are SRE. */
const TEAMS: Record<string, string[]> = {
  sre: ["alice", "bob"],
  "sre-leads": ["alice"],
  security: ["sam"],
  "app-owners": ["olivia"],
  "incident-commanders": ["ian"],
  platform: ["pat"],
};

const productionFiles = (count: number, prefix = "api"): FakeFile[] =>
  Array.from({ length: count }, (_, i) => ({ filename: `clusters/production/${prefix}/manifest-${String(i).padStart(3, "0")}.yaml`, status: "modified" }));

// ---------------------------------------------------------------------------------------------
// Payloads: GitHub's examples moved to acme/gitops, installation INSTALLATION

// Webhook example JSON is edited in place; typing every payload shape here would add nothing.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEFINITIONS = createRequire(import.meta.url)("@octokit/webhooks-examples") as { name: string; examples: Json[] }[];

function example(name: string, pick: (e: Json) => boolean): Json {
  const found = DEFINITIONS.find((d) => d.name === name)?.examples.find(pick);
  if (!found) throw new Error(`no example of ${name}`);
  return structuredClone(found);
}

function inOurRepository(payload: Json): Json {
  const repository = payload["repository"] as Json;
  repository["name"] = REPO;
  repository["full_name"] = `${OWNER}/${REPO}`;
  repository["owner"] = { ...repository["owner"], login: OWNER, type: "Organization" };
  repository["html_url"] = `https://github.com/${OWNER}/${REPO}`;
  repository["default_branch"] = "main";
  payload["installation"] = { id: INSTALLATION, node_id: "inst" };
  return payload;
}

function pullOf(payload: Json, number: number, head: string, labels: string[] = []): void {
  const pull = payload["pull_request"] as Json;
  pull["number"] = number;
  pull["state"] = "open";
  pull["draft"] = false;
  pull["user"] = { ...pull["user"], login: "carol" };
  pull["head"] = { ...pull["head"], sha: head };
  pull["base"] = { ...pull["base"], ref: "main", sha: TIP, repo: { ...pull["base"]["repo"], name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: "main" } };
  pull["labels"] = labels.map((name, i) => ({ id: i + 1, name, color: "ededed" }));
}

function pullRequestEvent(action: string, number: number, head: string, labels: string[] = []): Json {
  const payload = example("pull_request", (e) => e["action"] === action);
  payload["number"] = number;
  pullOf(payload, number, head, labels);
  if (action === "labeled") payload["label"] = { id: 1, name: labels.at(-1), color: "ededed" };
  return inOurRepository(payload);
}

function reviewEvent(number: number, head: string, reviewer: string): Json {
  const payload = example("pull_request_review", (e) => e["action"] === "submitted");
  pullOf(payload, number, head);
  delete payload["pull_request"]["changed_files"];
  delete payload["pull_request"]["commits"];
  payload["review"] = { ...payload["review"], user: { ...payload["review"]["user"], login: reviewer }, state: "approved", commit_id: head };
  return inOurRepository(payload);
}

function checkRunEvent(number: number, head: string): Json {
  const payload = example("check_run", (e) => e["action"] === "rerequested");
  const pulls = [{ url: "", id: number, number, head: { ref: `feature-${number}`, sha: head, repo: { id: 1, url: "", name: REPO } }, base: { ref: "main", sha: TIP, repo: { id: 1, url: "", name: REPO } } }];
  payload["check_run"] = {
    ...payload["check_run"],
    name: "compliance/production",
    head_sha: head,
    external_id: `pull:${number}`,
    app: { ...payload["check_run"]["app"], id: APP_ID },
    pull_requests: pulls,
    check_suite: { ...payload["check_run"]["check_suite"], head_branch: `feature-${number}`, head_sha: head, pull_requests: pulls },
  };
  return inOurRepository(payload);
}

/** The merge_group event of PR `number`'s queue entry at `head`, stacked on `base` (the first entry of a queue sits on the tip). */
function mergeGroupEvent(number: number, head = MERGE_GROUP_SHA, base = TIP): Json {
  const payload = example("merge_group", () => true);
  payload["merge_group"] = {
    ...payload["merge_group"],
    head_sha: head,
    head_ref: `refs/heads/gh-readonly-queue/main/pr-${number}-${base}`,
    base_ref: "refs/heads/main",
    base_sha: base,
  };
  return inOurRepository(payload);
}

function pushEvent(before: string, after: string, modified: string[]): Json {
  const payload = example("push", (e) => e["ref"] === "refs/heads/master" && e["commits"].length > 0);
  const commit = payload["commits"][0] as Json;
  payload["ref"] = "refs/heads/main";
  payload["before"] = before;
  payload["after"] = after;
  payload["created"] = false;
  payload["deleted"] = false;
  payload["forced"] = false;
  payload["commits"] = [{ ...commit, id: after, added: [], removed: [], modified }];
  payload["head_commit"] = payload["commits"][0];
  return inOurRepository(payload);
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Measured {
  label: string;
  /** Evaluations the event caused (a policy push evaluates every open PR). */
  evaluations: number;
  reads: number;
  free: number;
  writes: number;
  /** Check run POSTs among the writes. */
  checkPosts: number;
  tokens: number;
  which: string;
  /** Whether the target applies: a warm evaluation of the 100-file PR. */
  warm: boolean;
  /** The requests counted (the installation token left out). */
  api: AnsweredRequest[];
}

const problems: string[] = [];
const appLog: string[] = [];

const isToken = (a: AnsweredRequest): boolean => a.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(a.path);

/** A pino line in short: level, message, and what went wrong. */
function logLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; error?: string; err?: { message?: string } };
    const what = entry.error ?? entry.err?.message;
    return `${entry.level === 40 ? "warning" : "error"} "${entry.msg ?? ""}"${what ? `: ${what}` : ""}`.slice(0, 300);
  } catch {
    return line.trim().slice(0, 300);
  }
}

/** `GET /pulls/7/files 200`, repository prefix and shas shortened. */
function describe(a: AnsweredRequest): string {
  const path = a.path.replace(`/repos/${OWNER}/${REPO}`, "").replace(/[0-9a-f]{40}/g, "{sha}");
  return `${a.method} ${path} ${a.status}`;
}

function summarise(answered: AnsweredRequest[]): string {
  const counts = new Map<string, number>();
  for (const a of answered) counts.set(describe(a), (counts.get(describe(a)) ?? 0) + 1);
  return [...counts].map(([what, n]) => (n > 1 ? `${what} x${n}` : what)).join(", ");
}

/** Where deliveries go: the app's dispatch (app/deliveries.ts), as the server hands them to it. */
interface Receiver {
  receive(delivery: { id: string; name: string; payload: unknown }): Promise<void>;
}

/** Resolves once the app's queue has run what the last delivery queued (set when the app loads). */
let queueIdle = (): Promise<void> => Promise.resolve();

async function measure(
  fake: FakeGitHub,
  deliveries: Receiver,
  label: string,
  event: { name: string; payload: Json },
  options: { evaluations?: number; warm?: boolean } = {},
): Promise<Measured> {
  const from = fake.answered.length;
  const unexpectedFrom = fake.unexpected.length;
  const checksFrom = fake.checks.length;
  const logFrom = appLog.length;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    deliveries.receive({ id: randomUUID(), name: event.name, payload: event.payload }).then(() => queueIdle()),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: not handled within ${EVENT_TIMEOUT_MS / 1000} s`)), EVENT_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));

  const answered = fake.answered.slice(from);
  for (const what of fake.unexpected.slice(unexpectedFrom)) problems.push(`${label}: the fake GitHub has no answer for ${what}`);
  // A 404 for a branch's classic protection is GitHub saying "not protected": an answer, not a failure.
  const answer = (a: AnsweredRequest): boolean => a.status === 404 && a.method === "GET" && /\/branches\/[^/]+\/protection$/.test(a.path);
  for (const a of answered) if (a.status >= 400 && !answer(a)) problems.push(`${label}: ${describe(a)}`);
  for (const line of appLog.slice(logFrom)) problems.push(`${label}: the app logged ${line}`);
  for (const check of fake.checks.slice(checksFrom)) {
    if (check.conclusion === "failure") problems.push(`${label}: ${check.name} failed: ${check.title ?? ""}`);
  }
  const api = answered.filter((a) => !isToken(a));
  const reads = api.filter((a) => a.method === "GET" && a.status !== 304);
  const free = api.filter((a) => a.method === "GET" && a.status === 304);
  const writes = api.filter((a) => a.method !== "GET");
  return {
    label,
    evaluations: options.evaluations ?? 1,
    reads: reads.length,
    free: free.length,
    writes: writes.length,
    checkPosts: writes.filter((a) => a.method === "POST" && a.path.endsWith("/check-runs")).length,
    tokens: answered.length - api.length,
    which: summarise(api),
    warm: options.warm ?? false,
    api,
  };
}

/** Delivers an event whose requests are not reported (the other open PRs' first evaluations). */
async function setUp(fake: FakeGitHub, deliveries: Receiver, label: string, event: { name: string; payload: Json }): Promise<void> {
  await measure(fake, deliveries, label, event);
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  // The app's configuration as `probot run` would read it: defaults, this app's id.
  for (const name of Object.keys(process.env)) if (name.startsWith("COMPLIANCE_")) delete process.env[name];
  process.env["APP_ID"] = String(APP_ID);
  const appPath = join(ROOT, "lib", "index.js");
  if (!existsSync(appPath)) throw new Error(`${appPath} is missing: run npm run build first`);
  const { startGate } = (await import(pathToFileURL(appPath).href)) as { startGate: (app: unknown, config: unknown) => { later: { idle(): Promise<void> } } };
  const { Deliveries } = (await import(pathToFileURL(join(ROOT, "lib", "app", "deliveries.js")).href)) as {
    Deliveries: new (log: unknown) => Receiver & { appOf: (probot: Probot) => unknown };
  };
  const { loadConfig } = (await import(pathToFileURL(join(ROOT, "lib", "app", "config.js")).href)) as { loadConfig: (env: NodeJS.ProcessEnv) => unknown };

  const policies = examplePolicies();
  const other = (number: number, head: string): FakePullData => ({
    pull: { number, author: "dave", head, base: "main", labels: [], state: "open" },
    files: productionFiles(10, `app-${number}`),
    reviews: [],
    commits: [head],
  });
  const state: FakeState = {
    owner: OWNER,
    repo: REPO,
    defaultBranch: "main",
    baseTip: TIP,
    policies,
    pull: { number: NUMBER, author: "carol", head: H1, base: "main", labels: [], state: "open", updatedAt: "2026-11-27T10:00:00Z" },
    files: productionFiles(FILES),
    reviews: [],
    commits: [H1],
    teams: TEAMS,
    otherPulls: Array.from({ length: OPEN_PULLS - 1 }, (_, i) => other(NUMBER + 1 + i, sha(String.fromCharCode(100 + i)))),
    appId: APP_ID,
  };
  const fake = await startFakeGitHub(state);
  const touch = (minute: number): void => void (state.pull.updatedAt = `2026-11-27T10:${String(minute).padStart(2, "0")}:00Z`);

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const probot = new Probot({
    appId: APP_ID,
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    secret: "bench-webhook-secret",
    baseUrl: `${fake.url}/api/v3`,
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    // Warnings and errors are collected: any of them means the figures are not those of a normal run.
    log: pino({ level: "warn" }, { write: (line: string) => void appLog.push(logLine(line)) }),
  });
  // As npm start builds it (src/server.ts): the handlers on a Deliveries, Probot for the jobs' clients.
  const deliveries = new Deliveries(probot.log);
  const gate = startGate(deliveries.appOf(probot), loadConfig(process.env));
  // Handlers only queue jobs: an event is handled once the queue is idle again.
  queueIdle = () => gate.later.idle();

  const rows: Measured[] = [];
  try {
    rows.push(await measure(fake, deliveries, "PR opened (cold: first event, nothing cached)", { name: "pull_request", payload: pullRequestEvent("opened", NUMBER, H1) }));

    state.pull.head = H2;
    state.commits.push(H2);
    touch(1);
    rows.push(await measure(fake, deliveries, "PR synchronize (warm)", { name: "pull_request", payload: pullRequestEvent("synchronize", NUMBER, H2) }, { warm: true }));

    state.reviews.push({ id: 1, user: "alice", state: "APPROVED", commit_id: H2, submitted_at: "2026-11-27T10:02:00Z" });
    touch(2);
    rows.push(await measure(fake, deliveries, "review submitted (warm)", { name: "pull_request_review", payload: reviewEvent(NUMBER, H2, "alice") }, { warm: true }));

    state.pull.labels.push("documentation");
    touch(3);
    rows.push(await measure(fake, deliveries, "labeled (warm, nothing changed)", { name: "pull_request", payload: pullRequestEvent("labeled", NUMBER, H2, ["documentation"]) }, { warm: true }));

    rows.push(await measure(fake, deliveries, "warm evaluation, base branch and PR unchanged (redelivery)", { name: "pull_request", payload: pullRequestEvent("synchronize", NUMBER, H2) }, { warm: true }));

    rows.push(await measure(fake, deliveries, "check_run rerequested", { name: "check_run", payload: checkRunEvent(NUMBER, H2) }, { warm: true }));

    // A PR is queued once approved: bob's approval, evaluated before, completes production's two.
    state.reviews.push({ id: 2, user: "bob", state: "APPROVED", commit_id: H2, submitted_at: "2026-11-27T10:04:00Z" });
    touch(4);
    await setUp(fake, deliveries, "setup: second approval", { name: "pull_request_review", payload: reviewEvent(NUMBER, H2, "bob") });
    // A group of one PR stacked on the base branch's tip: its merge_group event says which PR it holds.
    rows.push(await measure(fake, deliveries, "merge_group checks_requested", { name: "merge_group", payload: mergeGroupEvent(NUMBER) }, { warm: true }));

    // The other open PRs were evaluated before the push, as they would have been when opened.
    for (const data of state.otherPulls ?? []) {
      await setUp(fake, deliveries, `setup: PR #${data.pull.number} opened`, { name: "pull_request", payload: pullRequestEvent("opened", data.pull.number, data.pull.head) });
    }
    // The policy change lands as GitHub's squash merge of a policy PR: the push audit finds the
    // PR of its commit (one request) and leaves the record to the PR (SPEC §4.3).
    state.otherPulls = [
      ...(state.otherPulls ?? []),
      {
        pull: { number: 20, author: "dave", head: sha("f"), base: "main", labels: [], state: "closed", mergedAt: "2026-11-27T10:30:00Z", mergeCommit: NEW_TIP },
        files: [{ filename: "policies/production.yml", status: "modified" }],
        reviews: [],
        commits: [sha("f")],
      },
    ];
    state.baseTip = NEW_TIP;
    state.policies = { ...policies, "production.yml": (policies["production.yml"] ?? "").replace(/^description: .*$/m, "description: EU production cluster, policy revised") };
    rows.push(
      await measure(
        fake,
        deliveries,
        `push changing policies/ (${OPEN_PULLS} open PRs)`,
        { name: "push", payload: pushEvent(TIP, NEW_TIP, ["policies/production.yml"]) },
        { evaluations: OPEN_PULLS },
      ),
    );

    // The other two PRs, approved, queued ahead of #7: #7's group holds all three. This process saw
    // no event of the first two entries, so it finds them from the queue's refs, and each proves
    // itself by the files its squash commit changes (SPEC §3.1, src/app/merge-group.ts).
    const [q1, q2, q3] = [sha("a"), sha("d"), sha("e")].map((c) => `${c.slice(0, 39)}1`) as [string, string, string];
    const queued = (state.otherPulls ?? []).filter((d) => d.pull.state === "open");
    for (const data of queued) {
      data.reviews.push(
        { id: 10 * data.pull.number, user: "alice", state: "APPROVED", commit_id: data.pull.head, submitted_at: "2026-11-27T10:40:00Z" },
        { id: 10 * data.pull.number + 1, user: "bob", state: "APPROVED", commit_id: data.pull.head, submitted_at: "2026-11-27T10:41:00Z" },
      );
    }
    state.queue = [
      { number: queued[0]?.pull.number ?? 0, sha: q1, parent: NEW_TIP },
      { number: queued[1]?.pull.number ?? 0, sha: q2, parent: q1 },
      { number: NUMBER, sha: q3, parent: q2 },
    ];
    rows.push(
      await measure(fake, deliveries, "merge_group of 3 PRs, 2 found from the queue's refs", { name: "merge_group", payload: mergeGroupEvent(NUMBER, q3, q2) }, { evaluations: 3 }),
    );
  } finally {
    await fake.close();
  }
  report(rows, state);
}

function report(rows: Measured[], state: FakeState): void {
  const teams = Object.keys(state.teams).length;
  if (problems.length > 0) console.error(`THE FIGURES BELOW ARE WRONG: the run had ${problems.length} problem(s), listed at the end\n`);
  console.log(`GitHub requests per event: the app (lib/) in-process as npm start builds it, against the loopback fake GitHub (test/fakes/github-model.ts, served by test/fakes/github-server.ts)`);
  console.log(`  repository: policies/ examples (${Object.keys(state.policies).sort().join(", ")}; freeze windows removed), ${teams} teams;`);
  console.log(`  PR #${NUMBER}: ${FILES} changed files under clusters/production/ (one environment), 1-2 commits. A PR's ETag changes`);
  console.log(`  with the PR: the fake moves updated_at on a new commit, review or label, as GitHub does, and base.sha with the base branch`);
  console.log(`  counted at the server: reads = GET answered 200, free = conditional GET answered 304 (not charged by GitHub),`);
  console.log(`  writes = POST/PATCH/PUT/DELETE; charged = reads + writes. The installation-token POST is left out`);
  console.log(`  (one per installation per hour, here: ${rows.reduce((n, r) => n + r.tokens, 0)}, on the first event).`);
  console.log("");
  const width = Math.max(...rows.map((r) => r.label.length));
  const num = (n: number | string, w = 6): string => String(n).padStart(w);
  console.log(`  ${"event".padEnd(width)} ${num("reads")} ${num("free")} ${num("writes")} ${num("charged", 8)}  ${"checks posted"}`);
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(width)} ${num(r.reads)} ${num(r.free)} ${num(r.writes)} ${num(r.reads + r.writes, 8)}  ${num(r.checkPosts, 13)}`);
  }
  console.log("");
  console.log("  which requests:");
  for (const r of rows) console.log(`    ${r.label}: ${r.which || "none"}`);
  const push = rows.find((r) => r.evaluations > 1);
  if (push) {
    const read = (pattern: RegExp): AnsweredRequest[] => push.api.filter((a) => a.method === "GET" && a.status === 200 && pattern.test(a.path));
    const readsOf = (pattern: RegExp): number => read(pattern).length;
    const distinct = (pattern: RegExp): number => new Set(read(pattern).map((a) => a.path)).size;
    console.log(
      `    (push: ${push.evaluations} evaluations, ${((push.reads - 1) / push.evaluations).toFixed(1)} reads each after listing the open PRs; ` +
        `the moved base branch was read ${readsOf(/\/git\/ref\//)} times, the policy folder ${readsOf(/\/contents\//)} times, ` +
        `the ${distinct(/\/git\/blobs\//)} changed policy file(s) ${readsOf(/\/git\/blobs\//)} times)`,
    );
  }
  console.log("");

  const review = rows.find((r) => r.label.startsWith("review submitted"));
  if (review) {
    const charged = review.reads + review.writes;
    console.log(`evaluations per hour within ${BUDGET.toLocaleString("en-US")} requests: ${Math.floor(BUDGET / charged)} (warm review event: ${charged} charged requests each)`);
    const cold = rows[0];
    const teamReads = cold ? cold.api.filter((a) => a.method === "GET" && /^\/orgs\/[^/]+\/teams\//.test(a.path)).length : 0;
    console.log(
      `  (team memberships are cached for 5 minutes: refreshing the ${teamReads} teams the cold event read costs up to ${teamReads * 12} reads an hour ` +
        `per installation on top, ${Math.floor((BUDGET - teamReads * 12) / charged)} evaluations an hour with it)`,
    );
  }
  const warm = rows.filter((r) => r.warm);
  const misses = warm.filter((r) => r.reads > TARGET_READS || r.writes > r.checkPosts);
  console.log(
    `target (PR of <= 100 files, one environment, warm): <= ${TARGET_READS} charged reads per evaluation + 1 write per check posted: ` +
      (misses.length === 0
        ? `met (warm events: ${Math.min(...warm.map((r) => r.reads))}-${Math.max(...warm.map((r) => r.reads))} reads, writes = checks posted)`
        : `NOT met by ${misses.map((r) => `${r.label} (${r.reads} reads, ${r.writes} writes for ${r.checkPosts} checks)`).join("; ")}`),
  );
  console.log("");

  if (problems.length > 0) {
    console.error("");
    console.error(`THE FIGURES ABOVE ARE WRONG: ${problems.length} problem(s) during the run`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error("bench/requests failed:", error);
  process.exit(1);
});
