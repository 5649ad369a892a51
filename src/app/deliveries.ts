// The handlers of `npm start`'s server, called without Probot's per-delivery client. Probot's
// webhooks build and authenticate an installation Octokit for every handler a delivery reaches
// (a token request for the first delivery of each installation): work the answer to GitHub waited
// on, which the handlers never use — they only queue jobs, and each job gets a client of its own
// when it runs. Same calling rules as @octokit/webhooks: handlers of `name.action`, of `name`, then
// of any event, all at once; what they throw comes back as one AggregateError.
import type { Logger, Probot } from "probot";

/** What a handler is given: the delivery, and a logger bound to it. No client: a job gets its own. */
export interface LightContext {
  id: string;
  name: string;
  payload: unknown;
  log: Logger;
  readonly octokit: never;
}

type Handler = (context: LightContext) => unknown;

export class Deliveries {
  private readonly hooks = new Map<string, Handler[]>();
  private readonly errorHandlers: ((error: AggregateError) => void)[] = [];

  constructor(private readonly log: Logger) {}

  on = (names: string | readonly string[], handler: Handler): void => {
    for (const name of typeof names === "string" ? [names] : names) this.hooks.set(name, [...(this.hooks.get(name) ?? []), handler]);
  };

  onAny = (handler: Handler): void => this.on("*", handler);

  onError = (handler: (error: AggregateError) => void): void => {
    this.errorHandlers.push(handler);
  };

  /** Runs every handler of the delivery; rejects with an AggregateError of what they threw. */
  async receive(delivery: { id: string; name: string; payload: unknown }): Promise<void> {
    const action = (delivery.payload as { action?: unknown } | null)?.action;
    const names = [...(typeof action === "string" ? [`${delivery.name}.${action}`] : []), delivery.name, "*"];
    const handlers = names.flatMap((name) => this.hooks.get(name) ?? []);
    if (handlers.length === 0) return;
    const log = this.log.child({ name: "event", id: delivery.id });
    const context = {
      ...delivery,
      log,
      get octokit(): never {
        throw new Error("a delivery's handler has no GitHub client: the job it queues gets one");
      },
    } satisfies LightContext;
    const errors: unknown[] = [];
    await Promise.all(handlers.map(async (handler) => Promise.resolve().then(() => handler(context)).catch((error: unknown) => void errors.push(error))));
    if (errors.length === 0) return;
    const error = new AggregateError(errors, errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
    // An error handler's own failure (thrown or rejected) changes nothing of the answer.
    for (const handle of this.errorHandlers) void Promise.resolve().then(() => handle(error)).catch(() => undefined);
    throw error;
  }

  /**
   * The app as the handlers see it: Probot for its logger and clients (app.auth), this for
   * registering handlers. Probot's private state stays with Probot (its methods are bound).
   */
  appOf(probot: Probot): Probot {
    return {
      log: probot.log,
      auth: probot.auth.bind(probot),
      on: this.on,
      onAny: this.onAny,
      onError: this.onError,
    } as unknown as Probot;
  }
}
