// npm run loadtest (issue 10, "Proof"): the app started as in production (package.json's start
// script, built), against a loopback GitHub stand-in, takes a burst of signed deliveries — by
// default 1,000 over 100 pull requests at concurrency 50 — once with one replica and its
// in-process queue, once with two replicas sharing a Redis of the loadtest's own. Prints what the
// issue's targets are about, each against its target; exits 1 when a run could not be measured or
// a pull request ended showing the wrong checks. Loopback only; every run stops by its deadline.
//   npm run loadtest [-- --pulls 100 --concurrency 50 --deadline 600 --runs single,replicas --write-spacing-ms N --warm-deliveries 200]
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EVENTS_PER_PULL } from "./loadtest-burst.js";
import { appOverrides, redisServer, startScript } from "./loadtest-app.js";
import { runOnce, type RunOptions, type RunResult } from "./loadtest-run.js";
import { MAX_WARM_DELIVERIES, WARM_DELIVERIES } from "./loadtest-warm.js";
import { listenersHere } from "../src/app/listeners.js";

const TARGET_P99_MS = 100;
const TARGET_WRITES_RATIO = 1.1;
const TARGET_PROBE_MS = 5000;

interface Options {
  pulls: number;
  concurrency: number;
  deadlineS: number;
  runs: string[];
  writeSpacingMs: number | undefined;
  warmDeliveries: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { pulls: 100, concurrency: 50, deadlineS: 600, runs: ["single", "replicas"], writeSpacingMs: undefined, warmDeliveries: WARM_DELIVERIES };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = (argv[i] as string).split("=", 2);
    const value = inline ?? argv[++i] ?? "";
    const whole = (min: number, max: number): number => {
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
      return Number(value);
    };
    if (flag === "--pulls") options.pulls = whole(1, 1000);
    else if (flag === "--concurrency") options.concurrency = whole(1, 200);
    else if (flag === "--deadline") options.deadlineS = whole(10, 3600);
    else if (flag === "--write-spacing-ms") options.writeSpacingMs = whole(1, 60_000);
    else if (flag === "--warm-deliveries") options.warmDeliveries = whole(0, MAX_WARM_DELIVERIES);
    else if (flag === "--runs") options.runs = value.split(",").filter((r) => ["single", "replicas"].includes(r));
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

/** The package root: this file runs from bench/ (typechecking) or lib-bench/bench/ (built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "compliance-gate") return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find compliance-gate's package.json above bench/loadtest");
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const met = (ok: boolean): string => (ok ? "met" : "NOT met");

/** The figures of the README's table, by row, for one run. */
type Column = Record<string, string>;

/** The run's figures as lines, its column of the README's table, and whether they can be trusted. */
function report(result: RunResult, options: Options): { lines: string[]; column: Column; sound: boolean } {
  const lines: string[] = [];
  const accepted = result.answers.filter((a) => a.status >= 200 && a.status < 300);
  const refused = result.answers.filter((a) => a.status >= 300);
  const p50 = percentile(result.answers.map((a) => a.ms), 50);
  const p99 = percentile(result.answers.map((a) => a.ms), 99);
  const warmAnswers = result.warm.answers;
  // Each replica's warm-up answers, ms.
  const warmMs = result.replicas.map((replica) => warmAnswers.filter((a) => a.url === replica.url).map((a) => a.ms));
  const byReplica = result.replicas.map((replica, i) => {
    const ms = warmMs[i] as number[];
    return `${replica.name} p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, slowest ${Math.max(...ms).toFixed(0)} ms`;
  });
  lines.push(`${result.label}: ${result.replicas.length} replica(s), ${result.ready}; warm-up before the burst: evaluations run ${result.warm.evaluations.join(", ")}` +
    (result.warm.cold.length > 0 ? ` (${result.warm.cold.join(", ")} NOT warmed: its first evaluation falls in the burst)` : "") +
    (options.warmDeliveries > 0 ? `, then ${options.warmDeliveries} deliveries per replica at concurrency ${options.concurrency} (each replica's code compiled, connections kept alive for the burst)` : ", no more deliveries (--warm-deliveries 0: the burst meets replicas that took a few)"));
  if (warmAnswers.length > 0) lines.push(`  warm-up answers (the replicas' first deliveries past the setup, label changes of one PR): ${byReplica.join("; ")}`);
  lines.push(`  burst: ${result.deliveries} signed deliveries over ${result.deliveries / EVENTS_PER_PULL} PRs (opened, labeled, unlabeled, reviews, synchronize, a dismissal), concurrency ${options.concurrency}`);
  lines.push(`  answers: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (target p99 <= ${TARGET_P99_MS} ms: ${met(p99 <= TARGET_P99_MS)}); ` +
    `${accepted.length} accepted (2xx), ${refused.length} refused${refused.length ? ` (${[...new Set(refused.map((a) => a.status || "no answer"))].join(", ")})` : ""}; ` +
    `${(accepted.length / (result.sendingMs / 1000)).toFixed(0)} deliveries/s accepted (all sent in ${s(result.sendingMs)})`);
  const fresh = result.answers.filter((a) => !a.reused);
  lines.push(`  connections: ${fresh.length} of the answers came on a connection the burst opened` + (fresh.length > 0 ? ` (their p99 ${percentile(fresh.map((a) => a.ms), 99).toFixed(0)} ms, slowest ${Math.max(...fresh.map((a) => a.ms)).toFixed(0)} ms)` : "") + `, the others on one kept alive`);
  // The spacing the app keeps: given, else declared by its configuration, else as measured.
  const spacing = options.writeSpacingMs ?? result.configuredSpacingMs ?? result.writeGapMs;
  const bound = spacing === undefined ? undefined : 1.2 * result.minimumWrites * spacing + 10_000;
  const gap = `${((result.writeGapMs ?? NaN) / 1000).toFixed(2)} s`;
  const spacingSays =
    options.writeSpacingMs !== undefined
      ? `${(options.writeSpacingMs / 1000).toFixed(2)} s (given; median gap between writes ${gap})`
      : result.configuredSpacingMs !== undefined
        ? `${(result.configuredSpacingMs / 1000).toFixed(2)} s (the app's write spacing; median gap between writes ${gap})`
        : `${gap} (the median gap between the installation's writes)`;
  lines.push(`  convergence: ${result.convergedMs === undefined ? `NOT converged within the ${options.deadlineS} s deadline` : `${s(result.convergedMs)} after the first delivery`}; ` +
    `bound 1.2 x ${result.minimumWrites} writes x ${spacingSays} + 10 s = ${bound === undefined ? "?" : s(bound)}: ${met(result.convergedMs !== undefined && bound !== undefined && result.convergedMs <= bound)}`);
  const ratio = result.checkWrites / result.minimumWrites;
  lines.push(`  check runs written: ${result.checkWrites} for a minimum of ${result.minimumWrites} (each PR's final checks): ${ratio.toFixed(2)} x (target <= ${TARGET_WRITES_RATIO} x: ${met(ratio <= TARGET_WRITES_RATIO)}); ` +
    `${result.unchangedWrites} of them showed what their check already showed; writing every change as it happened would take ${result.everyChangeWrites}`);
  const r = result.requests;
  const sent = result.deliveries + result.probes.length;
  lines.push(`  GitHub requests: ${(r.total / sent).toFixed(1)} per delivery (${r.total}: ${r.reads} reads, ${r.notModified} answered 304, ${r.writes} writes, ${r.failed} answered >= 400)`);
  lines.push(`    by route: ${result.routes.slice(0, 12).map(([route, n]) => `${route} ${n}`).join("; ")}`);
  const probes = result.probes.map((p) => `${p.label} ${p.ms === undefined ? "never" : s(p.ms)}`).join(", ");
  const probeOk = result.probes.every((p) => p.ms !== undefined && p.ms <= TARGET_PROBE_MS);
  const underLoad = Math.min(...result.probes.map((p) => p.unconvergedAtSend));
  lines.push(`  a review on a PR outside the burst shows on its check: ${probes} (target <= ${TARGET_PROBE_MS / 1000} s: ${met(probeOk)}; sent while ${underLoad} PRs of the burst had not converged)`);
  for (const replica of result.replicas) {
    lines.push(`  ${replica.name}: peak RSS ${replica.peakMiB.toFixed(0)} MiB (${replica.rssMiB.toFixed(0)} MiB at the end), CPU ${replica.cpuS.toFixed(1)} s, exited ${s(replica.stopMs)} after SIGTERM; logged ${replica.warnings} warnings, ${replica.errors} errors`);
    for (const problem of replica.problems) lines.push(`    ${problem}`);
  }
  lines.push(`  wrong final states: ${result.wrong.length} of ${result.minimumWrites} checks (${result.failOpen} showing success wrongly)`);
  for (const wrong of result.wrong.slice(0, 10)) lines.push(`    ${wrong}`);
  if (result.wrong.length > 10) lines.push(`    … and ${result.wrong.length - 10} more`);
  for (const what of result.unexpected) lines.push(`  THE STAND-IN HAD NO ANSWER FOR ${what}: the figures are not those of GitHub`);
  const column: Column = {
    "webhook answer p50 / p99 (target p99 <= 100 ms)": `${p50.toFixed(0)} ms / ${p99.toFixed(0)} ms`,
    "of them on a connection the burst opened (their p99)": fresh.length === 0 ? "none" : `${fresh.length} (${percentile(fresh.map((a) => a.ms), 99).toFixed(0)} ms)`,
    "warm-up deliveries per replica (their answer p99)": warmAnswers.length === 0 ? "none" : `${options.warmDeliveries} (${warmMs.map((ms) => `${percentile(ms, 99).toFixed(0)} ms`).join(", ")})`,
    "deliveries accepted, per second": `${accepted.length} of ${result.deliveries}, ${(accepted.length / (result.sendingMs / 1000)).toFixed(0)}/s`,
    "convergence (bound: 1.2 x minimum writes x write spacing + 10 s)": `${result.convergedMs === undefined ? `not within ${options.deadlineS} s` : s(result.convergedMs)} (${bound === undefined ? "?" : s(bound)})`,
    "check runs written (minimum; target <= 1.1 x)": `${result.checkWrites} (${result.minimumWrites}): ${ratio.toFixed(2)} x`,
    "of them unchanged (showing what was already shown)": String(result.unchangedWrites),
    "GitHub requests per delivery": (r.total / sent).toFixed(1),
    "peak RSS per replica": result.replicas.map((x) => `${x.peakMiB.toFixed(0)} MiB`).join(", "),
    "review outside the burst on its check: other installation / same repository (target <= 5 s)": result.probes.map((p) => (p.ms === undefined ? "never" : s(p.ms))).join(" / "),
    "wrong final states": `${result.wrong.length} (${result.failOpen} passing wrongly)`,
  };
  return { lines, column, sound: result.unexpected.length === 0 && result.wrong.length === 0 };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = packageRoot();
  // Stops by itself whatever happens: each run's deadline plus time to start and stop.
  setTimeout(() => {
    console.error("loadtest: past its time limit, stopping");
    process.exit(1);
  }, options.runs.length * (options.deadlineS + 240) * 1000).unref();
  console.log(`loadtest: the app as \`npm start\` runs it (${startScript(root)}), against a loopback GitHub stand-in (test/fakes/github-model.ts);`);
  console.log(`  each PR needs two SRE approvals of its head (compliance/production) and gets compliance/policy; ${process.version}, ${(await import("node:os")).cpus().length} cores;`);
  console.log(`  each replica listens with ${listenersHere()} socket(s) on its port (src/app/listeners.ts: four where Node shares a port) and warms itself before it is ready (src/app/warm-up.ts)\n`);
  const overrides = Object.entries(appOverrides(process.env));
  if (overrides.length > 0) console.log(`  the replicas also get (LOADTEST_APP_*): ${overrides.map(([name, value]) => `${name}=${value}`).join(" ")}\n`);
  let sound = true;
  const columns: [string, Column][] = [];
  for (const run of options.runs) {
    const runOptions: RunOptions = { replicas: run === "replicas" ? 2 : 1, redis: undefined, pulls: options.pulls, concurrency: options.concurrency, deadlineMs: options.deadlineS * 1000, root, warmDeliveries: options.warmDeliveries };
    const label = run === "replicas" ? "two replicas + Redis (REDIS_URL set)" : "one replica, in-process queue (no REDIS_URL)";
    if (run === "replicas") {
      runOptions.redis = redisServer();
      if (!runOptions.redis) {
        console.log(`${label}: NOT RUN: no redis-server here (apt-get install -y redis-server)\n`);
        sound = false;
        continue;
      }
    }
    try {
      const result = await runOnce(label, runOptions);
      const { lines, column, sound: ok } = report(result, options);
      sound &&= ok;
      columns.push([label, column]);
      console.log(`${lines.join("\n")}\n`);
    } catch (error) {
      sound = false;
      console.log(`${label}: COULD NOT RUN: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  if (columns.length > 0) {
    console.log("For the README (Performance, \"Under load\"):\n");
    console.log(`| ${options.pulls * EVENTS_PER_PULL} deliveries, ${options.pulls} PRs, concurrency ${options.concurrency} | ${columns.map(([label]) => label).join(" | ")} |`);
    console.log(`| --- | ${columns.map(() => "---").join(" | ")} |`);
    for (const row of Object.keys(columns[0]?.[1] ?? {})) console.log(`| ${row} | ${columns.map(([, c]) => c[row] ?? "").join(" | ")} |`);
    console.log("");
  }
  if (!sound) {
    console.log("loadtest: some figures above could not be measured, or pull requests ended showing the wrong checks");
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error("loadtest failed:", error);
  process.exit(1);
});
