// What every handler reads of a webhook delivery (repository, installation, server), and the guard
// that keeps anything a handler throws from reaching the dispatch (deliveries.ts).
import type { Logger } from "probot";
import { QueueUnavailable } from "./ports.js";

/** What a handler uses of its context (a LightContext, deliveries.ts): no client, its job gets one. */
export interface DeliveryContext<P extends RepositoryPayload = RepositoryPayload> {
  payload: P;
  log: Logger;
  name: string;
  id: string;
}

/** The fields every repository event carries. */
export interface RepositoryPayload {
  repository?: { name: string; owner: { login?: string } | null; html_url?: string; default_branch?: string } | null;
  installation?: { id: number } | null;
}

/** Where a delivery comes from. */
export interface DeliverySource {
  owner: string;
  repo: string;
  installationId?: number;
  defaultBranch?: string;
  /** `https://github.com`, or the GitHub Enterprise Server's web URL. */
  serverUrl?: string;
}

/** The repository and installation of a delivery, or undefined when it names no repository. */
export function sourceOf(payload: RepositoryPayload): DeliverySource | undefined {
  const repository = payload.repository;
  const owner = repository?.owner?.login;
  if (!repository || !owner) return undefined;
  let serverUrl: string | undefined;
  try {
    if (repository.html_url) serverUrl = new URL(repository.html_url).origin;
  } catch {
    serverUrl = undefined;
  }
  return {
    owner,
    repo: repository.name,
    ...(payload.installation ? { installationId: payload.installation.id } : {}),
    ...(repository.default_branch !== undefined ? { defaultBranch: repository.default_branch } : {}),
    ...(serverUrl !== undefined ? { serverUrl } : {}),
  };
}

/** `refs/heads/main` → `main`; undefined for tags and other refs. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
}

/**
 * Wraps a handler so that nothing it throws reaches the dispatch: the evaluator reports its own
 * failures as failing checks, and whatever escapes before that is logged here, never a stack
 * trace to GitHub, never an unhandled rejection. Only QueueUnavailable goes through: the server
 * answers the delivery 503, so that GitHub records it as failed and it can be delivered again.
 */
export function guarded<C extends { log: Logger; name: string; id: string }>(
  handler: (context: C) => Promise<void>,
): (context: C) => Promise<void> {
  return async (context) => {
    try {
      await handler(context);
    } catch (error) {
      if (error instanceof QueueUnavailable) throw error;
      context.log.error({ err: error, event: context.name, delivery: context.id }, "handler failed");
    }
  };
}
