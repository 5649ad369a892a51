// The dispatch of npm start's server: handlers called as @octokit/webhooks calls them, without a
// GitHub client per delivery.
import pino from "pino";
import type { Probot } from "probot";
import { Deliveries, type LightContext } from "../../src/app/deliveries.js";
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
  // No client is built for a delivery: a handler that reaches for one is told so.
  expect(() => context.octokit).toThrow(/no GitHub client/);
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
  const probot = { log, auth: function (this: unknown) { return Promise.resolve(this); } } as unknown as Probot;
  const app = deliveries.appOf(probot);
  let called = false;
  app.on("issues.opened", async () => void (called = true));
  await deliveries.receive({ id: "d4", name: "issues", payload: { action: "opened" } });
  expect(called).toBe(true);
  // Probot's methods stay bound to Probot (its state is private to it).
  await expect(app.auth()).resolves.toBe(probot);
});
