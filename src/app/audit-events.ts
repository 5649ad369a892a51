// The audit trail's events (SPEC §4): a merged pull request is recorded, a push is checked for
// direct commits, and any delivery for a repository may reconcile its recent merges (§4.4).
import type { Probot } from "probot";
import { pullRequestOf } from "../github/pulls.js";
import type { MergeRecorder } from "./audit-merge.js";
import type { PushAuditor, PushPayload } from "./audit-push.js";
import type { Reconciler } from "./audit-reconcile.js";
import { branchOf, guarded, sourceOf, type DeliveryContext, type RepositoryPayload } from "./delivery.js";

/** Registers the audit's handlers. */
export function onAuditEvents(app: Probot, recorder: MergeRecorder, pushes: PushAuditor, reconciler: Reconciler): void {
  app.on(
    "pull_request.closed",
    guarded(async (context) => {
      const { payload } = context;
      // Closed without merging: nothing reached an environment.
      if (payload.pull_request.merged !== true) return;
      const source = sourceOf(payload);
      if (!source) return;
      await recorder.onMerged({
        octokit: context.octokit,
        ...source,
        number: payload.pull_request.number,
        // The PR as it merged: its labels then, not whatever someone set since, decide break glass.
        pull: pullRequestOf(payload.pull_request),
        reason: "pull_request.closed",
        log: context.log,
      });
    }),
  );

  app.on(
    "push",
    guarded(async (context) => {
      const payload = context.payload as unknown as PushPayload & RepositoryPayload;
      const source = sourceOf(payload);
      const branch = branchOf(payload.ref);
      // A new branch is not a change to a gated one; a deleted one deploys nothing new.
      if (!source || branch === undefined || payload.created || payload.deleted) return;
      await pushes.onPush({
        octokit: context.octokit,
        ...source,
        branch,
        defaultBranch: source.defaultBranch ?? branch,
        push: payload,
        log: context.log,
      });
    }),
  );

  const anyDelivery = guarded(async (context: DeliveryContext) => {
    const source = sourceOf(context.payload);
    // Without an installation the client cannot read the repository.
    if (!source || source.installationId === undefined) return;
    await reconciler.onDelivery(context.octokit, source, context.log);
  });
  // Probot hands onAny handlers the same context as every other handler; its type says only the raw event.
  app.onAny(anyDelivery as unknown as Parameters<Probot["onAny"]>[0]);
}
