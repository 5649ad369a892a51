// The handlers' view of the app (GateApp) and the dispatch that calls them (Deliveries), for
// `npm start` and `probot run` alike. Probot's webhooks build and authenticate an installation
// Octokit for every handler a delivery reaches (a token request for the first delivery of each
// installation): work the answer to GitHub waited on, which the handlers never use — they only
// queue jobs, and each job gets a client of its own when it runs. Same calling rules as
// @octokit/webhooks: handlers of `name.action`, of `name`, then of any event, all at once; what
// they throw comes back as one AggregateError.
import type { Context, Logger } from "probot";
import type { GitHubClient } from "../github/client.js";

/** A webhook event's name, with or without its action (`pull_request`, `pull_request.opened`), as @octokit/webhooks types them. */
export type WebhookEventName = Context["name"];

/** The payload GitHub documents for `E` (@octokit/webhooks' types, through Probot's: no runtime check). */
export type WebhookPayload<E extends WebhookEventName> = Context<E>["payload"];

/**
 * What a handler is given: the delivery, and a logger bound to it. No client (a job gets its
 * own): `context.octokit` does not typecheck, and at run time reading it throws.
 */
export interface LightContext<E extends WebhookEventName = WebhookEventName> {
  id: string;
  /** The x-github-event header: the event without its action. */
  name: string;
  payload: WebhookPayload<E>;
  log: Logger;
}

/**
 * The app as the handlers and the gate see it: a logger, clients for jobs (`auth()` the app's own,
 * `auth(id)` an installation's) and handlers of deliveries, which get a LightContext.
 */
export interface GateApp {
  log: Logger;
  auth(installationId?: number): Promise<GitHubClient>;
  on<E extends WebhookEventName>(names: E | readonly E[], handler: (context: LightContext<E>) => unknown): void;
  onAny(handler: (context: LightContext) => unknown): void;
}

/**
 * A handler as stored: registered for some event, so its payload is that event's. `never`'s
 * payload is assignable to every event's, which is what lets one list hold handlers of all events.
 */
type Handler = (context: LightContext<never>) => unknown;

export class Deliveries {
  private readonly hooks = new Map<string, Handler[]>();
  private readonly errorHandlers: ((error: AggregateError) => void)[] = [];

  constructor(private readonly log: Logger) {}

  on = <E extends WebhookEventName>(names: E | readonly E[], handler: (context: LightContext<E>) => unknown): void => {
    for (const name of typeof names === "string" ? [names] : names) this.register(name, handler);
  };

  onAny = (handler: (context: LightContext) => unknown): void => this.register("*", handler);

  onError = (handler: (error: AggregateError) => void): void => {
    this.errorHandlers.push(handler);
  };

  private register(name: string, handler: Handler): void {
    this.hooks.set(name, [...(this.hooks.get(name) ?? []), handler]);
  }

  /** Runs every handler of the delivery; rejects with an AggregateError of what they threw. */
  async receive(delivery: { id: string; name: string; payload: unknown }): Promise<void> {
    const action = (delivery.payload as { action?: unknown } | null)?.action;
    const names = [...(typeof action === "string" ? [`${delivery.name}.${action}`] : []), delivery.name, "*"];
    const handlers = names.flatMap((name) => this.hooks.get(name) ?? []);
    if (handlers.length === 0) return;
    const log = this.log.child({ name: "event", id: delivery.id });
    const context = {
      id: delivery.id,
      name: delivery.name,
      // GitHub sent it for this event; its type is what GitHub documents (as with Probot, not checked here).
      payload: delivery.payload as never,
      log,
    } satisfies LightContext<never>;
    // A handler that reaches for a client anyway (past the types) is told why there is none.
    Object.defineProperty(context, "octokit", {
      get(): never {
        throw new Error("a delivery's handler has no GitHub client: the job it queues gets one");
      },
    });
    const errors: unknown[] = [];
    await Promise.all(handlers.map(async (handler) => Promise.resolve().then(() => handler(context)).catch((error: unknown) => void errors.push(error))));
    if (errors.length === 0) return;
    const error = new AggregateError(errors, errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
    // An error handler's own failure (thrown or rejected) changes nothing of the answer.
    for (const handle of this.errorHandlers) void Promise.resolve().then(() => handle(error)).catch(() => undefined);
    throw error;
  }

  /**
   * The app as the handlers see it, over Probot (or anything with its logger and `auth`): the
   * one place Probot is adapted to GateApp. Probot's methods stay bound to Probot (its state is private).
   */
  appOf(source: Pick<GateApp, "log" | "auth">): GateApp {
    return {
      log: source.log,
      auth: (installationId) => source.auth(installationId),
      on: this.on,
      onAny: this.onAny,
    };
  }
}
