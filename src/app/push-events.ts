// push: a push that changes policies/ on a branch re-evaluates every open PR into that branch
// (policy-push.ts), and a push to a gated branch is audited for direct commits (audit-push.ts).
import type { GateApp } from "./deliveries.js";
import { auditPushJob, type PushPayload } from "./audit-push.js";
import { branchOf, guarded, sourceOf, type RepositoryPayload } from "./delivery.js";
import { policyPushJob } from "./policy-push.js";
import type { Later } from "./ports.js";

/** Registers the push handlers. */
export function onPushEvents(app: GateApp, later: Later): void {
  app.on(
    "push",
    guarded(async (context) => {
      const { payload } = context;
      const source = sourceOf(payload);
      const branch = branchOf(payload.ref);
      // A new branch has no open PRs into it yet; a deleted one has none left.
      if (!source || branch === undefined || payload.created || payload.deleted) return;
      const push = { before: payload.before, after: payload.after, created: payload.created, deleted: payload.deleted, forced: payload.forced, commits: payload.commits.map(({ added, removed, modified }) => ({ added, removed, modified })) };
      await later.enqueue(policyPushJob({ ...source, branch, push, firstPage: 1, attempt: 0 }, { name: "event", id: context.id }));
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
      const push: PushPayload = {
        ref: payload.ref,
        before: payload.before,
        after: payload.after,
        created: payload.created,
        deleted: payload.deleted,
        forced: payload.forced,
        commits: payload.commits,
        ...(payload.pusher !== undefined ? { pusher: payload.pusher } : {}),
        ...(payload.sender !== undefined ? { sender: payload.sender } : {}),
        ...(payload.repository ? { repository: { pushed_at: payload.repository.pushed_at ?? null } } : {}),
      };
      await later.enqueue(auditPushJob({ ...source, branch, defaultBranch: source.defaultBranch ?? branch, push }, { name: "event", id: context.id }));
    }),
  );
}
