// The loadtest's warm-up: replicas that have been up a while have run evaluations and taken many
// deliveries, so their code is loaded and compiled; the burst is measured against such replicas
// (and, with --warm-deliveries 0, against replicas that took almost none: the README has both).
import type { FakeState } from "../test/fakes/github-model.js";
import { expected, labelToggles, pullEvents, pullOf, shows, PRODUCTION, type Delivery, type PullEvent, type Shown } from "./loadtest-burst.js";
import type { Replica } from "./loadtest-app.js";
import { showing, type StandIn } from "./loadtest-github.js";
import type { Answered } from "./loadtest-send.js";

/** Deliveries each replica takes before the burst to warm its delivery path, by default. */
export const WARM_DELIVERIES = 200;
/** At most, per replica (--warm-deliveries). */
export const MAX_WARM_DELIVERIES = 1000;
/** The pull request of the other installation the warm-up's deliveries are about (its own: no other event is). */
export const WARM_PULL = 90;

type Send = (i: number, delivery: Delivery) => Promise<Answered>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const productionOf = (state: FakeState, number: number): Shown => expected(pullOf(state, number), state.owner).get(PRODUCTION) as Shown;

/** Waits until the check of PR `number` shows what its policy says, `ms` at most; whether it did. */
export async function untilShown(standIn: StandIn, state: FakeState, number: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (shows(showing(standIn, `${state.owner}/${state.repo}`, pullOf(state, number).pull.head).get(PRODUCTION), productionOf(state, number))) return true;
    await sleep(50);
  }
  return false;
}

/**
 * Opens and approves PRs of `state` (numbers from 2, alternating replicas), each until it shows its
 * check, until every replica has logged an evaluation, ten PRs at most; the replicas left cold.
 * With a queue in Redis any replica may run a delivery's job, and one that ran none yet would load
 * Node's HTTP client and compile the evaluation's code (tens of ms of a core, once) in the burst.
 */
export async function warmEvaluations(replicas: Replica[], state: FakeState, installation: number, standIn: StandIn, send: Send): Promise<string[]> {
  for (let k = 0; k < 10 && replicas.some((r) => r.evaluations === 0); k += 1) {
    const events = pullEvents(state, installation, 2 + k, 0);
    for (const step of [0, 2]) await send(k, (events[step] as PullEvent).happen()); // opened, approved
    await untilShown(standIn, state, 2 + k, 30_000);
    // Its log line follows its check's write.
    await sleep(200);
  }
  return replicas.filter((r) => r.evaluations === 0).map((r) => r.name);
}

/**
 * Opens PR WARM_PULL of `state` (until it shows its check), then sends `each` label changes on it to
 * each replica, deliveries alternating, at `concurrency` — the burst's, so that the burst starts on
 * kept-alive connections as deliveries reach a replica in steady use (the report counts the answers
 * that came on a connection the burst opened anyway). Their answers: the replicas' first deliveries
 * past the setup, a cold figure. None when `each` is 0.
 */
export async function warmDeliveryPath(replicas: Replica[], state: FakeState, installation: number, standIn: StandIn, each: number, concurrency: number, send: Send): Promise<Answered[]> {
  if (each === 0) return [];
  await send(0, (pullEvents(state, installation, WARM_PULL, 0)[0] as PullEvent).happen()); // opened
  if (!(await untilShown(standIn, state, WARM_PULL, 30_000))) throw new Error(`the warm-up PR #${WARM_PULL} did not get its check within 30 s`);
  const events = labelToggles(state, installation, WARM_PULL, each * replicas.length);
  const answers: Answered[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < events.length) {
      const i = next++;
      const answered = await send(i, (events[i] as PullEvent).happen());
      if (answered.status < 200 || answered.status >= 300) throw new Error(`a warm-up delivery was answered ${answered.status || "nothing"}`);
      answers[i] = { ...answered, url: (replicas[i % replicas.length] as Replica).url };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

/**
 * Waits until the app has asked GitHub nothing for `quietMs` (what the warm-up queued has run: its
 * evaluations read the pull request); throws past `maxMs`, as the burst would be measured with
 * the warm-up's work still going.
 */
export async function untilQuiet(standIn: StandIn, quietMs = 1000, maxMs = 30_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while ((standIn.log.at(-1)?.at ?? 0) > standIn.now() - quietMs) {
    if (performance.now() > deadline) throw new Error(`the app did not go quiet (${quietMs} ms without a GitHub request) within ${maxMs / 1000} s of the warm-up`);
    await sleep(100);
  }
}
