// check_run and check_suite rerequested: someone pressed "Re-run" on one of our checks; what it is
// about is evaluated again (rerun.ts).
import type { GateApp } from "./deliveries.js";
import { AUDIT_CHECK, CHECK_PREFIX } from "../render/check-run.js";
import { guarded, sourceOf, type DeliveryContext } from "./delivery.js";
import type { Later } from "./ports.js";
import { rerunJob, type Rerun } from "./rerun.js";

/** The re-run a delivery asks for. */
async function rerun(later: Later, context: DeliveryContext, what: Pick<Rerun, "sha" | "pullRequests" | "externalId" | "reason">): Promise<void> {
  const source = sourceOf(context.payload);
  if (!source) return;
  await later.enqueue(rerunJob({ ...source, ...what }, context.id, { name: "event", id: context.id }));
}

/**
 * Registers the re-run handlers. Only our own checks count: a name under `compliance/` and, when
 * this app's id is known, posted by this app.
 */
export function onRerunEvents(app: GateApp, later: Later, appId: () => number | undefined): void {
  const ours = (id: number | undefined): boolean => {
    const own = appId();
    return own === undefined || id === undefined || id === own;
  };

  app.on(
    "check_run.rerequested",
    guarded(async (context) => {
      const run = context.payload.check_run;
      // compliance/audit is a record of a push, not a verdict: there is nothing to run again.
      if (!run.name.startsWith(CHECK_PREFIX) || run.name === AUDIT_CHECK || !ours(run.app?.id)) return;
      // The external id is trusted only on a run GitHub says this app posted.
      const own = appId();
      const trusted = own !== undefined && run.app?.id === own;
      await rerun(later, context, {
        sha: run.head_sha,
        pullRequests: run.pull_requests.map((pull) => ({ number: pull.number, base: { ref: pull.base.ref } })),
        ...(trusted ? { externalId: run.external_id } : {}),
        reason: "check_run.rerequested",
      });
    }),
  );

  app.on(
    "check_suite.rerequested",
    guarded(async (context) => {
      const suite = context.payload.check_suite;
      // A suite belongs to one app: ours only when its id is ours (GitHub sends suites of this app).
      if (!ours(suite.app?.id ?? undefined)) return;
      await rerun(later, context, {
        sha: suite.head_sha,
        pullRequests: suite.pull_requests.map((pull) => ({ number: pull.number, base: { ref: pull.base.ref } })),
        reason: "check_suite.rerequested",
      });
    }),
  );
}
