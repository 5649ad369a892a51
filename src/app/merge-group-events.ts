// merge_group checks_requested: the merge queue asks for the required checks on a merge group's
// head commit; every PR the group holds is judged and the strictest verdicts are posted on that
// commit (SPEC §3.1, merge-group.ts).
import type { GateApp } from "./deliveries.js";
import { branchOf, guarded, sourceOf } from "./delivery.js";
import { evaluationJob } from "./evaluation-memory.js";
import type { Later } from "./ports.js";

/**
 * The number of the PR a merge group queues, from the group's branch, which GitHub names
 * `gh-readonly-queue/<base>/pr-<number>-<sha>` and which arrives in a merge_group event GitHub
 * sent. The merge commit's message is not read: a squash message is whatever the PR's author
 * wrote, "Merge pull request #5" included, and would let one PR borrow another's verdict.
 */
export function queuedPullNumber(headRef: string): number | undefined {
  const fromRef = /(?:^|\/)gh-readonly-queue\/.+\/pr-(\d+)-[0-9a-f]+$/.exec(headRef);
  return fromRef ? Number(fromRef[1]) : undefined;
}

/** Registers the merge_group handler. */
export function onMergeGroupEvents(app: GateApp, later: Later): void {
  app.on(
    "merge_group.checks_requested",
    guarded(async (context) => {
      const source = sourceOf(context.payload);
      const group = context.payload.merge_group;
      const base = branchOf(group.base_ref);
      if (!source || base === undefined) return;
      const log = { name: "event", id: context.id };
      const number = queuedPullNumber(group.head_ref);
      if (number === undefined) {
        // Without the PR nothing can be judged, and silence would stall the queue or, worse, be read as passing.
        const message = `cannot identify the pull request the merge group ${group.head_ref} queues (its branch name is not GitHub's gh-readonly-queue/<base>/pr-<number>-<sha>), so no verdict can be given`;
        await later.enqueue({
          kind: "fail-merge-group",
          key: `${source.owner}/${source.repo}@${group.head_sha}`.toLowerCase(),
          ...(source.installationId !== undefined ? { installationId: source.installationId } : {}),
          payload: { ...source, mergeGroupSha: group.head_sha, base, force: false, message },
          log,
        });
        return;
      }
      const job = evaluationJob(
        {
          ...source,
          number,
          mergeGroupSha: group.head_sha,
          // The commit this PR's entry is stacked on: the previous entry's, or the base branch's tip.
          mergeGroupBase: group.base_sha,
          base,
          force: false,
          reasons: ["merge_group.checks_requested"],
        },
        log,
      );
      await later.enqueue(job);
    }),
  );
}
