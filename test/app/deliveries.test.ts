// The dispatch of npm start's server: handlers called as @octokit/webhooks calls them, without a
// GitHub client per delivery — and typed so that a handler cannot reach for one.
import pino from "pino";
import { Deliveries, type GateApp, type LightContext } from "../../src/app/deliveries.js";
import type { GitHubClient } from "../../src/github/client.js";
import { QueueUnavailable } from "../../src/app/ports.js";

const log = pino({ level: "silent" });

test("a delivery reaches the handlers of its name.action, its name and of any event, with one context", async () => {
  const deliveries = new Deliveries(log);
  const seen: string[] = [];
  const contexts = new Set<LightContext>();
  deliveries.on("pull_request.opened", (c) => void (seen.push("opened"), contexts.add(c)));
  deliveries.on(["pull_request", "push"], (c) => void (seen.push("pull_request"), contexts.add(c)));
  deliveries.on("pull_request.closed", () => void seen.push("closed"));
  deliveries.onAny((c) => void (seen.push("any"), contexts.add(c)));
  await deliveries.receive({ id: "d1", name: "pull_request", payload: { action: "opened" } });
  expect(seen.sort()).toEqual(["any", "opened", "pull_request"]);
  expect(contexts.size).toBe(1);
  const [context] = [...contexts] as [LightContext];
  expect(context).toMatchObject({ id: "d1", name: "pull_request", payload: { action: "opened" } });
  expect(typeof context.log.info).toBe("function");
  // No client is built for a delivery: a handler that reaches for one (past the types) is told so.
  expect(() => (context as unknown as { octokit: unknown }).octokit).toThrow(/no GitHub client/);
});

test("a handler reading context.octokit does not typecheck, and throws when run: the delivery fails, its error says why", async () => {
  const deliveries = new Deliveries(log);
  const app: GateApp = deliveries.appOf({ log, auth: () => Promise.reject(new Error("no client in this test")) });
  const clients: GitHubClient[] = [];
  app.on("pull_request.opened", (context) => {
    // @ts-expect-error -- a handler has no client: its job gets one (GateApp.auth) when it runs.
    const client: GitHubClient = context.octokit;
    clients.push(client);
  });
  app.onAny((context) => {
    // @ts-expect-error -- the same for handlers of any event.
    void context.octokit.request("GET /");
  });
  const received = deliveries.receive({ id: "d5", name: "pull_request", payload: { action: "opened" } });
  await expect(received).rejects.toBeInstanceOf(AggregateError);
  const error = (await received.catch((e: unknown) => e)) as AggregateError;
  expect(error.errors).toHaveLength(2);
  for (const e of error.errors) expect(String(e)).toMatch(/a delivery's handler has no GitHub client: the job it queues gets one/);
  expect(clients).toEqual([]);
});

test("a handler's payload is the one GitHub documents for its event", async () => {
  const deliveries = new Deliveries(log);
  const heads: string[] = [];
  deliveries.on("pull_request.synchronize", (context) => {
    // Typed from @octokit/webhooks: a synchronize carries the PR with its head.
    heads.push(context.payload.pull_request.head.sha);
    // @ts-expect-error -- and not what another event carries.
    void context.payload.review;
  });
  await deliveries.receive({ id: "d6", name: "pull_request", payload: { action: "synchronize", pull_request: { head: { sha: "abc" } } } });
  expect(heads).toEqual(["abc"]);
});

test("what the handlers throw comes back as one AggregateError, after every handler ran", async () => {
  const deliveries = new Deliveries(log);
  let ran = 0;
  const errors: AggregateError[] = [];
  deliveries.onError((e) => void errors.push(e));
  deliveries.on("push", () => {
    ran += 1;
    throw new QueueUnavailable("the queue is full");
  });
  deliveries.onAny(async () => void (ran += 1));
  const received = deliveries.receive({ id: "d2", name: "push", payload: {} });
  await expect(received).rejects.toBeInstanceOf(AggregateError);
  const error = (await received.catch((e: unknown) => e)) as AggregateError;
  // The server finds the queue's refusal among them and answers 503.
  expect(error.errors.some((e) => e instanceof QueueUnavailable)).toBe(true);
  expect(ran).toBe(2);
  expect(errors).toHaveLength(1);
});

test("a delivery no handler listens to is taken, and the app the handlers see registers here", async () => {
  const deliveries = new Deliveries(log);
  await expect(deliveries.receive({ id: "d3", name: "star", payload: { action: "created" } })).resolves.toBeUndefined();
  const client: GitHubClient = { request: () => Promise.reject(new Error("not called")) };
  // Probot's shape: a logger and an `auth` method that needs its `this` (Probot's state is private to it).
  const probot = { log, client, auth(this: { client: GitHubClient }, _installationId?: number) { return Promise.resolve(this.client); } };
  const app = deliveries.appOf(probot);
  let called = false;
  app.on("issues.opened", async () => void (called = true));
  await deliveries.receive({ id: "d4", name: "issues", payload: { action: "opened" } });
  expect(called).toBe(true);
  // Probot's methods stay bound to Probot (its state is private to it).
  await expect(app.auth(77)).resolves.toBe(client);
});
