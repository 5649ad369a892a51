// The audit trail's events (SPEC §4): a merged pull request is recorded, and any delivery for a
// repository may reconcile its recent merges (§4.4). (Pushes: push-events.ts.)
import type { Probot } from "probot";
import { pullRequestOf } from "../github/pulls.js";
import { recordMergeJob } from "./audit-merge.js";
import type { Reconciler } from "./audit-reconcile.js";
import { reconcileJob } from "./audit-reconcile.js";
import { guarded, sourceOf, type DeliveryContext } from "./delivery.js";
import type { Later } from "./ports.js";

/** Registers the audit's handlers. */
export function onAuditEvents(app: Probot, later: Later, reconciler: Reconciler): void {
  app.on(
    "pull_request.closed",
    guarded(async (context) => {
      const { payload } = context;
      // Closed without merging: nothing reached an environment.
      if (payload.pull_request.merged !== true) return;
      const source = sourceOf(payload);
      if (!source) return;
      const job = recordMergeJob(
        {
          ...source,
          number: payload.pull_request.number,
          // The PR as it merged: its labels then, not whatever someone set since, decide break glass.
          pull: pullRequestOf(payload.pull_request),
          reason: "pull_request.closed",
        },
        { name: "event", id: context.id },
      );
      await later.enqueue(job);
    }),
  );

  const anyDelivery = guarded(async (context: DeliveryContext) => {
    const source = sourceOf(context.payload);
    // Without an installation the client cannot read the repository; between reconciles, nothing is queued.
    if (!source || source.installationId === undefined || !reconciler.due(source)) return;
    await later.enqueue(reconcileJob(source, { name: "event", id: context.id }));
  });
  // Probot hands onAny handlers the same context as every other handler; its type says only the raw event.
  app.onAny(anyDelivery as unknown as Parameters<Probot["onAny"]>[0]);
}
