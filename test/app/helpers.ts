// The app under test: compliance-gate built as `npm start` builds it (src/server.ts: the handlers on
// a Deliveries, Probot for the jobs' clients), real webhook payloads moved to acme/gitops#42, a fake GitHub at the HTTP boundary (nock) that records every request, and a
// manual clock for freeze timers.
import type { InProcessLater } from "../../src/app/later.js";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { DEFAULT_CONFIG, type AppConfig } from "../../src/app/config.js";
import { Deliveries } from "../../src/app/deliveries.js";
import { complianceGate, type ComplianceGate } from "../../src/app/gate.js";
import type { TimerApi } from "../../src/app/freeze-timers.js";
import { policyYaml } from "../fakes/ports.js";
import { API, HEAD, NUMBER, OWNER, REPO, REPO_PATH, TIP, blobSha, commit, replyPages } from "../github/fake-github.js";

export { API, HEAD, NUMBER, OWNER, REPO, REPO_PATH, TIP, blobSha, commit, replyPages };
export { mockTeam, mockTipUnchanged, review, user } from "../github/fake-github.js";

export const APP_ID = 1;
export const INSTALLATION = 77;
/** A Wednesday, 10:00 UTC. */
export const NOW = Date.parse("2026-11-25T10:00:00Z");
export const MERGE_GROUP_SHA = "9".repeat(40);
/**
 * A push's `before` without policies: the audit of direct pushes (SPEC §4.3) reads the policies
 * at `before` and stops there, so tests of policy pushes count only their own requests.
 */
export const UNGATED_BEFORE = "e1".repeat(20);

const PRIVATE_KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

// ---------------------------------------------------------------------------------------------
// Time

/** A clock and timers that move only when told: freeze edges without waiting. */
export class ManualClock implements TimerApi {
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(public now: number = NOW) {}

  set(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, callback });
    return id;
  }

  clear(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Deadlines of the pending timers, sorted. */
  get pending(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves time to `to`, firing every timer due on the way, in order. */
  advanceTo(to: number): void {
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].callback();
    }
    this.now = Math.max(this.now, to);
  }
}

// ---------------------------------------------------------------------------------------------
// The app

export interface TestApp {
  /** The dispatch the server hands deliveries to: handlers get what they get under `npm start`. */
  deliveries: Deliveries;
  gate: ComplianceGate;
  clock: ManualClock;
  /** Delivers a webhook and waits for its handlers and the jobs they queued. */
  receive(name: string, payload: unknown): Promise<void>;
}

export interface TestAppOptions {
  config?: Partial<AppConfig>;
  clock?: ManualClock;
  /** Where logs go; default nowhere. */
  log?: pino.Logger;
  /**
   * Whether the first delivery for a repository reconciles its recent merges (SPEC §4.4). Off by
   * default here, so tests of other features count only their own requests; the audit tests turn it on.
   */
  reconcileOnFirstEvent?: boolean;
  /** Whether events start enforcement of the required checks (SPEC §5). Off by default here, for the same reason; the enforcement tests turn it on. */
  enforceOnEvents?: boolean;
  /** Whether a check the check store does not know is first looked for on its commit (one read). Off by default here, for the same reason. */
  recallChecks?: boolean;
}

/**
 * The gate as `npm start` builds it: Probot (minus retries and throttling) for the jobs' clients,
 * the handlers on a Deliveries, which is what receives every delivery.
 */
export async function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  const clock = options.clock ?? new ManualClock();
  const probot = new Probot({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    log: options.log ?? pino({ level: "silent" }),
  });
  const deliveries = new Deliveries(probot.log);
  const gate = complianceGate(
    deliveries.appOf(probot),
    // No periodic sweep of required checks unless a test asks: its timer would fire as tests move the clock.
    { ...DEFAULT_CONFIG, appId: APP_ID, enforceSweepIntervalMs: 0, ...options.config },
    {
      clock: () => clock.now,
      timers: clock,
      reconcileOnFirstEvent: options.reconcileOnFirstEvent ?? false,
      enforceOnEvents: options.enforceOnEvents ?? false,
      recallChecks: options.recallChecks ?? false,
      // The pacer's waits are not slept: time here moves only when a test moves it.
      sleeper: { sleep: () => Promise.resolve() },
    },
  );
  return {
    deliveries,
    gate,
    clock,
    receive: async (name, payload) => {
      await deliveries.receive({ id: randomUUID(), name, payload });
      // Handlers only queue jobs: what the delivery started has run once the queue is idle.
      await gate.later.idle();
    },
  };
}

/** Collects pino's JSON lines. */
export function capturingLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

// ---------------------------------------------------------------------------------------------
// Payloads: real examples from @octokit/webhooks-examples, moved to acme/gitops#42

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface WebhookDefinition {
  name: string;
  examples: Json[];
}

const DEFINITIONS = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/** A copy of GitHub's example of `name` with `action` (or the first example, for push). */
export function example(name: string, action?: string): Json {
  const found = DEFINITIONS.find((d) => d.name === name)?.examples.find((e) => action === undefined || e["action"] === action);
  if (!found) throw new Error(`no example of ${name}${action ? `.${action}` : ""}`);
  return structuredClone(found);
}

/** Puts a payload in acme/gitops, installation INSTALLATION. */
export function inOurRepository(payload: Json): Json {
  const repository = payload["repository"] ?? example("pull_request", "opened")["repository"];
  payload["repository"] = {
    ...repository,
    name: REPO,
    full_name: `${OWNER}/${REPO}`,
    owner: { ...repository.owner, login: OWNER, type: "Organization" },
    html_url: `https://github.com/${OWNER}/${REPO}`,
    default_branch: "main",
  };
  payload["installation"] = { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
  return payload;
}

export interface PullOptions {
  number?: number;
  head?: string;
  base?: string;
  author?: string;
  state?: "open" | "closed";
  draft?: boolean;
  labels?: string[];
  changed_files?: number;
  /** The PR's commit count (its commits themselves are in `lists`). */
  commitCount?: number;
  /** GitHub's `updated_at`: moved by every push, review, label or edit. */
  updatedAt?: string;
}

/** A pull request as GitHub returns it (GET /pulls/:n and webhook payloads share the shape). */
export function pullRequest(options: PullOptions = {}): Json {
  const pull = example("pull_request", "opened")["pull_request"] as Json;
  pull["number"] = options.number ?? NUMBER;
  pull["state"] = options.state ?? "open";
  pull["draft"] = options.draft ?? false;
  pull["user"] = { ...pull["user"], login: options.author ?? "carol" };
  pull["head"] = { ...pull["head"], sha: options.head ?? HEAD };
  pull["base"] = { ...pull["base"], ref: options.base ?? "main", repo: { ...pull["base"]["repo"], default_branch: "main" } };
  pull["labels"] = (options.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed" }));
  pull["changed_files"] = options.changed_files ?? 1;
  pull["commits"] = options.commitCount ?? 1;
  if (options.updatedAt !== undefined) pull["updated_at"] = options.updatedAt;
  return pull;
}

/**
 * A pull_request delivery. GitHub's examples have no `edited`; an `opened` one with `changes`
 * stands in for it, as GitHub sends it when the base branch changes.
 */
export function pullRequestEvent(action: string, options: PullOptions & { changes?: Json } = {}): Json {
  const source = action === "edited" ? example("pull_request", "opened") : example("pull_request", action);
  source["action"] = action;
  source["number"] = options.number ?? NUMBER;
  source["pull_request"] = pullRequest({ ...options, ...(action === "closed" ? { state: "closed" } : {}) });
  if (action === "edited") source["changes"] = options.changes ?? { base: { ref: { from: "develop" }, sha: { from: "d".repeat(40) } } };
  if (action === "labeled" || action === "unlabeled") source["label"] = { id: 1, name: "emergency", color: "ff0000" };
  return inOurRepository(source);
}

/** A pull_request_review delivery; `edited` (not among GitHub's examples) is a submitted review with changes. */
export function reviewEvent(action: "submitted" | "edited" | "dismissed", options: PullOptions & { reviewer?: string; state?: string } = {}): Json {
  const source = example("pull_request_review", action === "edited" ? "submitted" : action);
  source["action"] = action;
  if (action === "edited") source["changes"] = { body: { from: "LGTM" } };
  const pull = pullRequest(options);
  // Review payloads carry a pull request without the counts (changed_files, commits).
  delete pull["changed_files"];
  delete pull["commits"];
  source["pull_request"] = pull;
  source["review"] = {
    ...source["review"],
    user: { ...source["review"]["user"], login: options.reviewer ?? "alice" },
    state: options.state ?? (action === "dismissed" ? "dismissed" : "approved"),
    commit_id: options.head ?? HEAD,
  };
  return inOurRepository(source);
}

/** A check_run.rerequested delivery for one of our checks on HEAD. */
export function checkRunEvent(options: { name?: string; appId?: number; externalId?: string; pulls?: number[]; headBranch?: string; sha?: string } = {}): Json {
  const source = example("check_run", "rerequested");
  const sha = options.sha ?? HEAD;
  const pulls = (options.pulls ?? [NUMBER]).map((number) => ({
    url: `${API}${REPO_PATH}/pulls/${number}`,
    id: number,
    number,
    head: { ref: "change", sha, repo: { id: 1, url: `${API}${REPO_PATH}`, name: REPO } },
    base: { ref: "main", sha: TIP, repo: { id: 1, url: `${API}${REPO_PATH}`, name: REPO } },
  }));
  source["check_run"] = {
    ...source["check_run"],
    name: options.name ?? "compliance/production",
    head_sha: sha,
    external_id: options.externalId ?? `pull:${NUMBER}`,
    app: { ...source["check_run"]["app"], id: options.appId ?? APP_ID },
    pull_requests: pulls,
    check_suite: { ...source["check_run"]["check_suite"], head_branch: options.headBranch ?? "change", head_sha: sha, pull_requests: pulls },
  };
  return inOurRepository(source);
}

/** A check_suite.rerequested delivery for our suite on HEAD. */
export function checkSuiteEvent(options: { appId?: number; pulls?: number[]; headBranch?: string; sha?: string } = {}): Json {
  const source = example("check_suite", "rerequested");
  const sha = options.sha ?? HEAD;
  source["check_suite"] = {
    ...source["check_suite"],
    head_sha: sha,
    head_branch: options.headBranch ?? "change",
    app: { ...source["check_suite"]["app"], id: options.appId ?? APP_ID },
    pull_requests: (options.pulls ?? [NUMBER]).map((number) => ({
      url: `${API}${REPO_PATH}/pulls/${number}`,
      id: number,
      number,
      head: { ref: "change", sha, repo: { id: 1, url: `${API}${REPO_PATH}`, name: REPO } },
      base: { ref: "main", sha: TIP, repo: { id: 1, url: `${API}${REPO_PATH}`, name: REPO } },
    })),
  };
  return inOurRepository(source);
}

/**
 * A merge_group.checks_requested delivery queuing PR `number` into main: its entry at `sha`, stacked
 * on `baseSha` (the base branch's tip for the first entry of a queue, the previous entry's commit after).
 */
export function mergeGroupEvent(options: { number?: number; headRef?: string; sha?: string; baseSha?: string } = {}): Json {
  const source = example("merge_group", "checks_requested");
  const baseSha = options.baseSha ?? TIP;
  source["merge_group"] = {
    ...source["merge_group"],
    head_sha: options.sha ?? MERGE_GROUP_SHA,
    head_ref: options.headRef ?? `refs/heads/gh-readonly-queue/main/pr-${options.number ?? NUMBER}-${baseSha}`,
    base_ref: "refs/heads/main",
    base_sha: baseSha,
  };
  return inOurRepository(source);
}

/** A push to main of commits changing `paths` (each its own commit). */
export function pushEvent(options: { paths?: string[][]; ref?: string; forced?: boolean; before?: string; after?: string } = {}): Json {
  const template = DEFINITIONS.find((d) => d.name === "push")?.examples.find((e) => e["ref"] === "refs/heads/master" && e["commits"].length > 0);
  if (!template) throw new Error("no push example with commits");
  const payload = structuredClone(template);
  const commitTemplate = payload["commits"][0] as Json;
  payload["ref"] = options.ref ?? "refs/heads/main";
  payload["before"] = options.before ?? TIP;
  payload["after"] = options.after ?? "a".repeat(40);
  payload["created"] = false;
  payload["deleted"] = false;
  payload["forced"] = options.forced ?? false;
  payload["commits"] = (options.paths ?? [["policies/production.yml"]]).map((modified, i) => ({
    ...commitTemplate,
    id: `${i}`.repeat(40).slice(0, 40),
    added: [],
    removed: [],
    modified,
  }));
  return inOurRepository(payload);
}

// ---------------------------------------------------------------------------------------------
// GitHub

/** One request GitHub answered. */
export interface Answered {
  method: string;
  path: string;
  status: number;
}

/** A check run as the app posted it. */
export interface PostedCheck {
  name: string;
  head_sha: string;
  status: "in_progress" | "completed";
  conclusion?: "success" | "failure";
  external_id?: string;
  output: { title: string; summary: string; text?: string };
}

/**
 * api.github.com under nock: records every answered request and every check run posted, and
 * every request nothing answered (which the tests assert to be none).
 */
export class FakeGitHub {
  readonly scope: nock.Scope;
  readonly answered: Answered[] = [];
  readonly unmatched: string[] = [];
  readonly checks: PostedCheck[] = [];
  readonly reviewRequests: Json[] = [];
  /** Called with each check run as it is posted. */
  onCheck: ((check: PostedCheck) => void) | undefined;
  private readonly onNoMatch = (req: { method?: string; path?: string; href?: string }): void => {
    this.unmatched.push(`${req.method ?? "?"} ${req.path ?? req.href ?? "?"}`);
  };

  constructor() {
    this.scope = nock(API);
    // "request", not "replied": a 304's empty body may end after the delivery is handled.
    this.scope.on("request", (req: { method: string; path: string }, interceptor: { statusCode: number | null }) => {
      // A reply computed by a function leaves no status on the interceptor: those answer 200 here.
      this.answered.push({ method: req.method, path: req.path, status: interceptor.statusCode ?? 200 });
    });
    nock.emitter.on("no match", this.onNoMatch);
    // Installation tokens: Probot asks once per installation and caches the token.
    nock(API)
      .persist()
      .post(`/app/installations/${INSTALLATION}/access_tokens`)
      .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" });
  }

  /** Stops listening; call in afterEach. */
  close(): void {
    nock.emitter.removeListener("no match", this.onNoMatch);
  }

  /** Accepts every check run POST (from now on), recording it. */
  acceptChecks(): this {
    let id = 1000;
    nock(API)
      .persist()
      .post(`${REPO_PATH}/check-runs`)
      .reply(201, (_uri, body) => {
        this.checks.push(body as PostedCheck);
        this.onCheck?.(body as PostedCheck);
        this.answered.push({ method: "POST", path: `${REPO_PATH}/check-runs`, status: 201 });
        return { id: id++, name: (body as PostedCheck).name, app: { id: APP_ID } };
      });
    return this;
  }

  /** Accepts review requests, recording them. */
  acceptReviewRequests(): this {
    nock(API)
      .persist()
      .post(`${REPO_PATH}/pulls/${NUMBER}/requested_reviewers`)
      .reply(201, (_uri, body) => {
        this.reviewRequests.push(body as Json);
        this.answered.push({ method: "POST", path: `${REPO_PATH}/pulls/${NUMBER}/requested_reviewers`, status: 201 });
        return { number: NUMBER };
      });
    return this;
  }

  /** The base branch's tip and the policy files at it (a cold read); no files → no policies/ folder. */
  policies(files: Record<string, string> | undefined, options: { tip?: string } = {}): this {
    const tip = options.tip ?? TIP;
    this.scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(200, { ref: "refs/heads/main", object: { sha: tip, type: "commit" } }, { etag: `W/"tip-${tip}"` });
    this.folder(tip, files);
    return this;
  }

  /** The policy folder at a commit (the base tip, or a PR head for compliance/policy). */
  folder(commitSha: string, files: Record<string, string> | undefined, options: { blobs?: boolean; times?: number } = {}): this {
    const contents = this.scope.get(`${REPO_PATH}/contents/policies`).query({ ref: commitSha }).times(options.times ?? 1);
    if (files === undefined) {
      contents.reply(404, { message: "Not Found" });
      return this;
    }
    contents.reply(
      200,
      Object.entries(files).map(([name, text]) => ({ type: "file", name, path: `policies/${name}`, sha: blobSha(text), size: Buffer.byteLength(text) })),
    );
    if (options.blobs !== false) for (const text of Object.values(files)) this.blob(text, options.times);
    return this;
  }

  blob(text: string, times = 1): this {
    this.scope
      .get(`${REPO_PATH}/git/blobs/${blobSha(text)}`)
      .times(times)
      .reply(200, { sha: blobSha(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
    return this;
  }

  /** No policy folder at a commit (a push's `before`, say: the push audit then stops). */
  noPoliciesAt(commitSha: string = UNGATED_BEFORE): this {
    return this.folder(commitSha, undefined);
  }

  /** The base tip, unchanged since the last read: a free 304 (`times` reads of it). */
  tipUnchanged(times = 1, tip = TIP): this {
    this.scope
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .times(times)
      .reply(304, "", { etag: `W/"tip-${tip}"` });
    return this;
  }

  /** GET /pulls/:n, answered 200 with an ETag. */
  pull(options: PullOptions = {}): this {
    const number = options.number ?? NUMBER;
    const body = pullRequest(options);
    this.scope.get(`${REPO_PATH}/pulls/${number}`).reply(200, body, { etag: `"pull-${number}-${JSON.stringify(options).length}-${this.answered.length}"` });
    return this;
  }

  /**
   * The pull request's files, reviews and commits lists, and the conditional re-read of the PR that
   * confirms its head did not move while they were read (a free 304; SPEC §3.3).
   */
  lists(options: { number?: number; files?: unknown[]; reviews?: unknown[]; commits?: unknown[] } = {}): this {
    const base = `${REPO_PATH}/pulls/${options.number ?? NUMBER}`;
    replyPages(this.scope, `${base}/files`, options.files ?? [{ filename: "clusters/production/api.yaml", status: "modified" }]);
    replyPages(this.scope, `${base}/reviews`, options.reviews ?? []);
    replyPages(this.scope, `${base}/commits`, options.commits ?? [commit("c1", "carol", "web-flow")]);
    return this.unmoved(options.number);
  }

  /** The lists alone, without the confirming re-read: a merged PR's (its head no longer moves), or a test's that answers it itself. */
  listsOnly(options: { number?: number; files?: unknown[]; reviews?: unknown[]; commits?: unknown[] } = {}): this {
    const base = `${REPO_PATH}/pulls/${options.number ?? NUMBER}`;
    replyPages(this.scope, `${base}/files`, options.files ?? [{ filename: "clusters/production/api.yaml", status: "modified" }]);
    replyPages(this.scope, `${base}/reviews`, options.reviews ?? []);
    replyPages(this.scope, `${base}/commits`, options.commits ?? [commit("c1", "carol", "web-flow")]);
    return this;
  }

  /** The PR re-read after its lists, unchanged: 304 to the ETag of the last read. */
  unmoved(number = NUMBER): this {
    this.scope.get(`${REPO_PATH}/pulls/${number}`).matchHeader("if-none-match", /pull-/).reply(304, "");
    return this;
  }

  /** A whole first evaluation: the base's tip and policies (read once: one view of the tip per evaluation), the PR, its lists. */
  coldEvaluation(files: Record<string, string> = POLICIES, options: PullOptions & { files?: unknown[]; reviews?: unknown[]; commits?: unknown[] } = {}): this {
    this.policies(files);
    this.pull(options);
    return this.lists(options);
  }

  /** A whole evaluation of a PR whose base is warm (policies cached): the tip's 304 once, the PR, its lists. */
  warmEvaluation(options: PullOptions & { files?: unknown[]; reviews?: unknown[]; commits?: unknown[] } = {}): this {
    this.tipUnchanged(1);
    this.pull(options);
    return this.lists(options);
  }

  /** The last check posted with `name`. */
  last(name: string): PostedCheck | undefined {
    return [...this.checks].reverse().find((check) => check.name === name);
  }

  /** Requests that count against the rate limit (not 304s, not the installation token) and writes. */
  cost(): { reads: number; free: number; writes: number } {
    const api = this.answered.filter((a) => !a.path.startsWith("/app/installations/"));
    // A GraphQL query (the issues a merged PR closes) is a read, whatever its method.
    const read = (a: Answered): boolean => a.method === "GET" || (a.method === "POST" && a.path === "/graphql");
    return {
      reads: api.filter((a) => read(a) && a.status !== 304).length,
      free: api.filter((a) => read(a) && a.status === 304).length,
      writes: api.filter((a) => !read(a)).length,
    };
  }

  /** Forgets what was recorded so far (between the cold and the warm part of a test). */
  reset(): void {
    this.answered.length = 0;
    this.checks.length = 0;
    this.reviewRequests.length = 0;
  }
}

export { policyYaml };

export const PRODUCTION = policyYaml("production", "{ users: [alice] }");
export const STAGING = policyYaml("staging", "{ users: [bob] }");
/** The usual policy set: production (alice approves) and staging (bob approves). */
export const POLICIES = { "production.yml": PRODUCTION, "staging.yml": STAGING };

/** What the hooks of a handler test file set up for each test. */
export interface TestHooks {
  /** Whether the fake answers check-run posts (default true). */
  acceptChecks?: boolean;
  app?: TestAppOptions;
  /** Runs with each fresh fake, before the app starts. */
  prepare?: (github: FakeGitHub) => void;
}

/**
 * Registers the hooks every handler test file needs — no network, a fresh fake GitHub and app
 * per test, no retry left pending, no unmatched request — and hands each test's pair to `use`.
 */
export function useTestApp(use: (github: FakeGitHub, app: TestApp) => void, hooks: TestHooks = {}): void {
  let current: { github: FakeGitHub; app: TestApp } | undefined;
  beforeAll(() => nock.disableNetConnect());
  beforeEach(async () => {
    const github = new FakeGitHub();
    if (hooks.acceptChecks ?? true) github.acceptChecks();
    hooks.prepare?.(github);
    const app = await startApp(hooks.app);
    current = { github, app };
    use(github, app);
  });
  afterEach(() => {
    if (!current) return;
    (current.app.gate.later as InProcessLater).clear();
    current.github.close();
    nock.cleanAll();
    expect(current.github.unmatched).toEqual([]);
  });
  afterAll(() => nock.enableNetConnect());
}
