// What pacing GitHub's documented secondary limits allow (issue 10): the app's pacer, in virtual
// time, sends the requests of a burst of evaluations as fast as it lets them go, and the sends are
// checked against the limits themselves — 900 points in any 60 s (a read 1, a write 5), 100
// requests in flight, 80 content-creating writes a minute. Run for several write spacings and
// points budgets, it prints the throughput each allows and whether any limit would be crossed.
// Asserts nothing; the README records the figures.
import { budgetsOf, DEFAULT_PACING, type PacingLimits } from "../src/github/pacing.js";
import { MemoryPacingStore } from "../src/github/pacing-store.js";

/** One evaluation of the burst, as bench/requests.ts counts a warm one: reads (304s included: GitHub may charge them points) and check writes. */
interface Evaluation {
  reads: number;
  writes: number;
}

/**
 * The burst of issue 10 as the app meets it after coalescing: 100 PRs, each opened (5 reads with
 * the cold ones shared, 3 checks), pushed to (6 reads: 4 charged and 2 free 304s, the base tip
 * read once and the PR re-read; 3 checks), reviewed three times (6 reads, 1 check each: one
 * environment's title or state moves) and labeled twice (6 reads, nothing changes: 0 writes).
 * 700 evaluations, 900 writes.
 */
function burst(): Evaluation[] {
  const one: Evaluation[] = [
    { reads: 5, writes: 3 },
    { reads: 6, writes: 3 },
    { reads: 6, writes: 1 },
    { reads: 6, writes: 1 },
    { reads: 6, writes: 1 },
    { reads: 6, writes: 0 },
    { reads: 6, writes: 0 },
  ];
  return Array.from({ length: 100 }, () => one).flat();
}

/** Evaluations run at once (the queue's workers). */
const WORKERS = 16;
/** GitHub's answer times: reads and writes. */
const READ_MS = 120;
const WRITE_MS = 350;

interface Send {
  at: number;
  points: number;
  write: boolean;
}

/** The burst through a pacer with `limits`, in virtual time: when each request went. */
async function simulate(limits: PacingLimits, evaluations: Evaluation[]): Promise<{ sends: Send[]; endMs: number; maxInFlight: number }> {
  let now = 0;
  const store = new MemoryPacingStore(() => now);
  const sends: Send[] = [];
  const inFlight: { from: number; to: number }[] = [];
  // Each worker: its clock and what it has left to send; the earliest worker goes next, so
  // reservations are made in time order as they are in the app.
  const queue = [...evaluations];
  const workers = Array.from({ length: WORKERS }, () => ({ at: 0, left: [] as boolean[] }));
  for (;;) {
    for (const worker of workers) {
      if (worker.left.length === 0) {
        const next = queue.shift();
        if (next) worker.left = [...Array<boolean>(next.reads).fill(false), ...Array<boolean>(next.writes).fill(true)];
      }
    }
    const ready = workers.filter((w) => w.left.length > 0).sort((a, b) => a.at - b.at)[0];
    if (!ready) break;
    now = ready.at;
    const write = ready.left.shift() as boolean;
    const { budgets } = budgetsOf(write ? "POST" : "GET", write ? "/repos/{owner}/{repo}/check-runs" : "/repos/{owner}/{repo}/pulls/{pull_number}", limits);
    const reserved = await store.reserve("1", budgets);
    const at = now + ("waitMs" in reserved ? reserved.waitMs : 0);
    const took = write ? WRITE_MS : READ_MS;
    sends.push({ at, points: write ? 5 : 1, write });
    inFlight.push({ from: at, to: at + took });
    ready.at = at + took;
  }
  const endMs = Math.max(...workers.map((w) => w.at));
  let maxInFlight = 0;
  for (const { from } of inFlight) maxInFlight = Math.max(maxInFlight, inFlight.filter((r) => r.from <= from && r.to > from).length);
  return { sends, endMs, maxInFlight };
}

/** The most points any 60 s window holds, and the most writes any 60 s window holds. */
function worstMinute(sends: Send[]): { points: number; writes: number } {
  const sorted = [...sends].sort((a, b) => a.at - b.at);
  let points = 0;
  let writes = 0;
  let windowPoints = 0;
  let windowWrites = 0;
  let start = 0;
  for (const send of sorted) {
    windowPoints += send.points;
    windowWrites += send.write ? 1 : 0;
    while ((sorted[start] as Send).at <= send.at - 60_000) {
      windowPoints -= (sorted[start] as Send).points;
      windowWrites -= (sorted[start] as Send).write ? 1 : 0;
      start += 1;
    }
    points = Math.max(points, windowPoints);
    writes = Math.max(writes, windowWrites);
  }
  return { points, writes };
}

/** A policy push re-evaluating 300 open PRs: the new policies read once, then each PR's lists, and all three checks of each written. */
function policyPush(): Evaluation[] {
  return Array.from({ length: 300 }, () => ({ reads: 5, writes: 3 }));
}

const ROWS: { spacing: number; points: number; burstPoints: number }[] = [
  { spacing: 1000, points: 780, burstPoints: 60 },
  { spacing: 750, points: 780, burstPoints: 60 },
  { spacing: 500, points: 780, burstPoints: 60 },
  { spacing: 333, points: 780, burstPoints: 60 },
  { spacing: 250, points: 780, burstPoints: 60 },
  { spacing: 500, points: 720, burstPoints: 120 },
  { spacing: 500, points: 840, burstPoints: 60 },
  { spacing: 250, points: 100_000, burstPoints: 100_000 },
  { spacing: 0, points: 100_000, burstPoints: 100_000 },
];

console.log(`pacing: ${WORKERS} evaluations at once; GitHub answers reads in ${READ_MS} ms, writes in ${WRITE_MS} ms`);
console.log("GitHub's limits: 900 points in any 60 s (read 1, write 5), 100 in flight");
for (const [label, evaluations] of [
  ["the burst of issue 10 (100 PRs, coalesced)", burst()],
  ["a policy push re-evaluating 300 open PRs", policyPush()],
] as const) {
  const totalWrites = evaluations.reduce((sum, e) => sum + e.writes, 0);
  console.log(`\n${label}: ${evaluations.length} evaluations, ${evaluations.reduce((s, e) => s + e.reads, 0)} reads, ${totalWrites} check writes`);
  console.log("  write spacing  points/min (+burst)   took     writes/s  evaluations/min  worst 60 s: points  writes  in flight  within limits");
  for (const { spacing, points, burstPoints } of ROWS) {
    const limits: PacingLimits = { ...DEFAULT_PACING, writeSpacingMs: spacing, pointsPerMinute: points, pointsBurst: burstPoints };
    const { sends, endMs, maxInFlight } = await simulate(limits, evaluations);
    const worst = worstMinute(sends);
    const within = worst.points <= 900 && maxInFlight <= 100;
    const budget = points >= 100_000 ? "unbudgeted" : `${points} (+${burstPoints})`;
    console.log(
      `  ${String(spacing).padStart(7)} ms    ${budget.padEnd(18)}  ${(endMs / 1000).toFixed(0).padStart(5)} s  ${(totalWrites / (endMs / 1000)).toFixed(2).padStart(8)}  ${((evaluations.length / endMs) * 60_000).toFixed(0).padStart(15)}  ${String(worst.points).padStart(18)}  ${String(worst.writes).padStart(6)}  ${String(maxInFlight).padStart(9)}  ${within ? "yes" : "NO"}`,
    );
  }
}
