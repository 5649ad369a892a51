// The audit trail's events (SPEC §4): a merged pull request is recorded, and any delivery for a
// repository may reconcile its recent merges (§4.4). (Pushes: push-events.ts.)
import type { GateApp, LightContext } from "./deliveries.js";
import { pullRequestOf } from "../github/pulls.js";
import { recordMergeJob } from "./audit-merge.js";
import type { Reconciler } from "./audit-reconcile.js";
import { reconcileJob } from "./audit-reconcile.js";
import { guarded, sourceOf } from "./delivery.js";
import type { Later } from "./ports.js";

/** Registers the audit's handlers. */
export function onAuditEvents(app: GateApp, later: Later, reconciler: Reconciler): void {
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

  const anyDelivery = guarded(async (context: LightContext) => {
    // Deliveries about no repository (an authorization revoked, say) have nothing to reconcile.
    if (!("repository" in context.payload)) return;
    const source = sourceOf(context.payload);
    // Without an installation the client cannot read the repository; between reconciles, nothing is queued.
    if (!source || source.installationId === undefined || !reconciler.due(source)) return;
    await later.enqueue(reconcileJob(source, { name: "event", id: context.id }));
  });
  app.onAny(anyDelivery);
}
