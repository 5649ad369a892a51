// The loadtest's burst (issue 10): pull requests of one repository, each going through ten events
// (opened, labels, reviews, a push, …) whose webhooks are GitHub's example payloads moved to it;
// each event changes the stand-in's state as it would change GitHub's, then its delivery is sent.
// Also what each pull request's checks must show once its events are handled (the oracle, written
// from the policy below, not from the app's code) and the minimum writes that takes.
import { createRequire } from "node:module";
import type { FakePullData, FakeReview, FakeState } from "../test/fakes/github-model.js";

/** The one environment of the loadtest's repositories: two SRE approvals of the head commit. */
export const POLICY = `version: 1
environment: production
scope:
  branches: [main]
  paths: [clusters/production/**]
rules:
  - name: SRE approves cluster changes
    paths: [clusters/production/**]
    approvals: 2
    approvers: { teams: [sre] }
`;
export const PRODUCTION = "compliance/production";
export const POLICY_CHECK = "compliance/policy";
/** Files each pull request changes. */
const FILES = 10;
/** Events per pull request in the burst. */
export const EVENTS_PER_PULL = 10;
const SRE = ["alice", "bob"];
const AUTHOR = "carol";

/** What a check shows, as far as the oracle tells it. */
export interface Shown {
  status: string;
  conclusion: string | undefined;
  title: string | undefined;
}

/** A webhook delivery to send: the event's name and its payload. */
export interface Delivery {
  name: string;
  payload: Record<string, unknown>;
}

/** One event of a pull request: change the stand-in's state, then deliver. */
export interface PullEvent {
  repository: string;
  number: number;
  label: string;
  /** Applies the event to the state (as GitHub changes before it sends the webhook). */
  change(): void;
  /** The event's delivery, from the state as its change left it: call right after change(). */
  delivery(): Delivery;
  /** change(), then delivery(). */
  happen(): Delivery;
}

// Webhook example JSON is edited in place; typing every payload shape here would add nothing.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXAMPLES = createRequire(import.meta.url)("@octokit/webhooks-examples") as { name: string; examples: Json[] }[];

/** Each example as JSON text, found once: a fresh copy of it is a parse (cheaper than structuredClone, off the replicas' cores). */
const exampleTexts = new Map<string, string>();

function example(name: string, action: string): Json {
  let text = exampleTexts.get(`${name}.${action}`);
  if (text === undefined) {
    const found = EXAMPLES.find((d) => d.name === name)?.examples.find((e) => e["action"] === action);
    if (!found) throw new Error(`no example of ${name}.${action}`);
    text = JSON.stringify(found);
    exampleTexts.set(`${name}.${action}`, text);
  }
  return JSON.parse(text) as Json;
}

/** A 40-hex commit sha, distinct for each (installation, pull request, revision). */
export function shaOf(installation: number, number: number, revision: number): string {
  return (installation * 1_000_000 + number * 16 + revision).toString(16).padStart(40, "0");
}

/** A repository of the loadtest: the policy, the SRE team, no pull request yet. */
export function repositoryState(owner: string, repo: string): FakeState {
  return {
    owner,
    repo,
    defaultBranch: "main",
    baseTip: "b".repeat(40),
    policies: { "production.yml": POLICY },
    // The model's first pull request; the loadtest's are all in otherPulls.
    pull: { number: 1_000_000, author: AUTHOR, head: "f".repeat(40), base: "main", labels: [], state: "closed" },
    files: [],
    reviews: [],
    commits: [],
    teams: { sre: [...SRE] },
    otherPulls: [],
    appId: 1,
  };
}

/**
 * A pull request's clock for updated_at and submitted_at: every change moves it a second (and with
 * it the PR's ETag). One per pull request, from its number: the same events on a copy of the state
 * give the same payloads (the loadtest builds the burst's deliveries ahead on one, see
 * loadtest-run.ts).
 */
function clockOf(number: number): () => string {
  let tick = Date.parse("2026-11-30T08:00:00Z") + number * 60_000;
  return () => new Date((tick += 1000)).toISOString();
}

function moved(payload: Json, state: FakeState, installation: number): Json {
  const repository = payload["repository"] as Json;
  repository["name"] = state.repo;
  repository["full_name"] = `${state.owner}/${state.repo}`;
  repository["owner"] = { ...repository["owner"], login: state.owner, type: "Organization" };
  repository["default_branch"] = "main";
  payload["installation"] = { id: installation, node_id: `inst-${installation}` };
  if (payload["organization"]) payload["organization"] = { ...payload["organization"], login: state.owner };
  return payload;
}

/** A label as GitHub sends it in a payload. */
function labelOf(state: FakeState, name: string): Json {
  const id = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000, 7);
  return { id, node_id: `LA_${id}`, url: `https://api.github.com/repos/${state.owner}/${state.repo}/labels/${name}`, name, color: "ededed", default: false, description: null };
}

function withPull(payload: Json, state: FakeState, data: FakePullData): Json {
  const pull = payload["pull_request"] as Json;
  pull["number"] = data.pull.number;
  pull["state"] = "open";
  pull["draft"] = false;
  pull["user"] = { ...pull["user"], login: data.pull.author };
  pull["head"] = { ...pull["head"], sha: data.pull.head, ref: `feature-${data.pull.number}` };
  pull["base"] = { ...pull["base"], ref: "main", sha: state.baseTip, repo: { ...pull["base"]["repo"], name: state.repo, full_name: `${state.owner}/${state.repo}`, default_branch: "main" } };
  pull["labels"] = data.pull.labels.map((name) => labelOf(state, name));
  pull["updated_at"] = data.pull.updatedAt;
  // Fields GitHub sends today that the older examples predate.
  pull["auto_merge"] ??= null;
  pull["active_lock_reason"] ??= null;
  for (const side of ["base", "head"]) {
    const repo = pull[side]["repo"] as Json;
    repo["has_discussions"] ??= false;
    repo["topics"] ??= [];
    repo["visibility"] ??= "private";
  }
  if ("number" in payload) payload["number"] = data.pull.number;
  return payload;
}

/** The events of one pull request, in order; `variant` (0..3) picks how it ends. */
export function pullEvents(state: FakeState, installation: number, number: number, variant: number): PullEvent[] {
  const repository = `${state.owner}/${state.repo}`;
  const data: FakePullData = {
    pull: { number, author: AUTHOR, head: shaOf(installation, number, 1), base: "main", labels: [], state: "open" },
    files: Array.from({ length: FILES }, (_, i) => ({ filename: `clusters/production/app-${number}/manifest-${i}.yaml`, status: "modified" })),
    reviews: [],
    commits: [],
  };
  let revision = 1;
  const stamp = clockOf(number);
  const touched = (): void => void (data.pull.updatedAt = stamp());
  const pullEvent = (action: string, change: (payload: Json) => void = () => {}): Delivery => {
    const payload = withPull(moved(example("pull_request", action), state, installation), state, data);
    change(payload);
    return { name: "pull_request", payload };
  };
  type Step = [change: () => void, delivery: () => Delivery];
  const label = (name: string, add: boolean): Step => [
    () => {
      data.pull.labels = add ? [...data.pull.labels, name] : data.pull.labels.filter((l) => l !== name);
      touched();
    },
    () => pullEvent(add ? "labeled" : "unlabeled", (p) => (p["label"] = labelOf(state, name))),
  ];
  const review = (user: string, state_: "APPROVED" | "COMMENTED" | "CHANGES_REQUESTED"): Step => {
    let submitted: FakeReview | undefined;
    return [
      () => {
        submitted = { id: number * 100 + data.reviews.length + 1, user, state: state_, commit_id: data.pull.head, submitted_at: stamp() };
        data.reviews.push(submitted);
        data.pull.updatedAt = submitted.submitted_at;
      },
      () => {
        const s = submitted as FakeReview;
        const payload = withPull(moved(example("pull_request_review", "submitted"), state, installation), state, data);
        payload["review"] = { ...payload["review"], id: s.id, user: { ...payload["review"]["user"], login: user }, state: state_.toLowerCase(), commit_id: s.commit_id, submitted_at: s.submitted_at };
        return { name: "pull_request_review", payload };
      },
    ];
  };
  let before = data.pull.head;
  const push: Step = [
    () => {
      before = data.pull.head;
      revision += 1;
      data.pull.head = shaOf(installation, number, revision);
      data.commits.push(data.pull.head);
      touched();
    },
    () =>
      pullEvent("synchronize", (p) => {
        p["before"] = before;
        p["after"] = data.pull.head;
      }),
  ];
  const dismiss = (user: string): Step => {
    let dismissed: FakeReview | undefined;
    return [
      () => {
        dismissed = [...data.reviews].reverse().find((r) => r.user === user && r.state === "APPROVED");
        if (!dismissed) throw new Error(`no approval of ${user} to dismiss on #${number}`);
        dismissed.state = "DISMISSED";
        touched();
      },
      () => {
        const d = dismissed as FakeReview;
        const payload = withPull(moved(example("pull_request_review", "dismissed"), state, installation), state, data);
        payload["review"] = { ...payload["review"], id: d.id, user: { ...payload["review"]["user"], login: user }, state: "dismissed", commit_id: d.commit_id };
        return { name: "pull_request_review", payload };
      },
    ];
  };
  const open: Step = [
    () => {
      data.commits.push(data.pull.head);
      (state.otherPulls ??= []).push(data);
      touched();
    },
    () => pullEvent("opened"),
  ];
  const endings: Step[] = [label("lgtm", true), push, dismiss("bob"), review("bob", "CHANGES_REQUESTED")];
  const steps: [string, Step][] = [
    ["opened", open],
    ["labeled", label("deploy", true)],
    ["alice approves", review("alice", "APPROVED")],
    ["synchronize", push],
    ["alice approves again", review("alice", "APPROVED")],
    ["labeled", label("ready", true)],
    ["dave comments", review("dave", "COMMENTED")],
    ["bob approves", review("bob", "APPROVED")],
    ["unlabeled", label("deploy", false)],
    [["labeled", "synchronize", "bob's approval dismissed", "bob requests changes"][variant % 4] as string, endings[variant % 4] as Step],
  ];
  return steps.map(([name, [change, delivery]]) => ({ repository, number, label: `#${number} ${name}`, change, delivery, happen: () => (change(), delivery()) }));
}

/**
 * `count` events on the open pull request `number` of `state`: a "warm-up" label added, removed,
 * added, … — deliveries its checks do not change with (the loadtest warms the replicas with them).
 */
export function labelToggles(state: FakeState, installation: number, number: number, count: number): PullEvent[] {
  const repository = `${state.owner}/${state.repo}`;
  const data = pullOf(state, number);
  let tick = Date.parse(data.pull.updatedAt ?? "2026-11-30T08:00:00Z");
  return Array.from({ length: count }, (_, i) => {
    const add = i % 2 === 0;
    const change = (): void => {
      data.pull.labels = add ? [...data.pull.labels, "warm-up"] : data.pull.labels.filter((l) => l !== "warm-up");
      data.pull.updatedAt = new Date((tick += 1000)).toISOString();
    };
    const delivery = (): Delivery => {
      const payload = withPull(moved(example("pull_request", add ? "labeled" : "unlabeled"), state, installation), state, data);
      payload["label"] = labelOf(state, "warm-up");
      return { name: "pull_request", payload };
    };
    return { repository, number, label: `#${number} ${add ? "labeled" : "unlabeled"} warm-up`, change, delivery, happen: () => (change(), delivery()) };
  });
}

/** The pull request `number` of a state. */
export function pullOf(state: FakeState, number: number): FakePullData {
  const found = state.otherPulls?.find((d) => d.pull.number === number);
  if (!found) throw new Error(`no pull request #${number} in ${state.owner}/${state.repo}`);
  return found;
}

/**
 * What the pull request's checks must show now, from the policy above: two SRE approvals of the
 * head commit (the latest review of each reviewer counts; a comment changes nothing; the author
 * never counts), blocked while an SRE's latest review requests changes.
 */
export function expected(data: FakePullData, owner: string): Map<string, Shown> {
  const latest = new Map<string, FakeReview>();
  for (const review of data.reviews) if (review.state !== "COMMENTED" && SRE.includes(review.user) && review.user !== data.pull.author) latest.set(review.user, review);
  const blocking = [...latest.values()].filter((r) => r.state === "CHANGES_REQUESTED").map((r) => `@${r.user}`);
  const approvals = [...latest.values()].filter((r) => r.state === "APPROVED" && r.commit_id === data.pull.head).length;
  let production: Shown;
  if (blocking.length > 0) production = { status: "completed", conclusion: "failure", title: `Blocked: changes requested by ${blocking.join(" and ")}` };
  else if (approvals >= 2) production = { status: "completed", conclusion: "success", title: "Approved" };
  else {
    const missing = 2 - approvals;
    production = { status: "in_progress", conclusion: undefined, title: `Waiting for ${missing} approval${missing === 1 ? "" : "s"} from @${owner}/sre` };
  }
  return new Map([
    [PRODUCTION, production],
    [POLICY_CHECK, { status: "completed", conclusion: "success", title: "No policy changes" }],
  ]);
}

/** Whether a check shows what is expected. */
export function shows(actual: Shown | undefined, wanted: Shown): boolean {
  return actual !== undefined && actual.status === wanted.status && (actual.conclusion ?? undefined) === wanted.conclusion && actual.title === wanted.title;
}

/**
 * The burst: every pull request's events, interleaved — the first event of each, then the second
 * of each, … — so that each pull request's events stay in order and far apart.
 */
export function burst(state: FakeState, installation: number, pulls: number, firstNumber = 1): PullEvent[][] {
  return Array.from({ length: pulls }, (_, i) => pullEvents(state, installation, firstNumber + i, i % 4));
}

export function interleave(perPull: PullEvent[][]): PullEvent[] {
  const out: PullEvent[] = [];
  const longest = Math.max(0, ...perPull.map((e) => e.length));
  for (let step = 0; step < longest; step += 1) for (const events of perPull) if (events[step]) out.push(events[step] as PullEvent);
  return out;
}
