// merge_group checks_requested: the merge queue asks for the required checks on a merge group's
// head commit; the queued PR is evaluated and its checks are posted on that commit (SPEC §3.1).
import type { Probot } from "probot";
import type { Evaluator } from "./evaluator.js";
import { branchOf, guarded, sourceOf } from "./delivery.js";

/**
 * The number of the PR a merge group queues: GitHub names the group's branch
 * `gh-readonly-queue/<base>/pr-<number>-<sha>`; its merge commit message ("Merge pull request #N")
 * is the fallback, since the ref's format is not a documented contract.
 */
export function queuedPullNumber(headRef: string, message?: string | null): number | undefined {
  const fromRef = /(?:^|\/)gh-readonly-queue\/.+\/pr-(\d+)-[0-9a-f]+$/.exec(headRef);
  if (fromRef) return Number(fromRef[1]);
  const fromMessage = /^Merge pull request #(\d+)\b/.exec(message ?? "");
  return fromMessage ? Number(fromMessage[1]) : undefined;
}

/** Registers the merge_group handler. */
export function onMergeGroupEvents(app: Probot, evaluator: Evaluator): void {
  app.on(
    "merge_group.checks_requested",
    guarded(async (context) => {
      const source = sourceOf(context.payload);
      const group = context.payload.merge_group;
      const base = branchOf(group.base_ref);
      if (!source || base === undefined) return;
      const number = queuedPullNumber(group.head_ref, group.head_commit?.message);
      if (number === undefined) {
        // Without the PR nothing can be judged, and silence would stall the queue or, worse, be read as passing.
        await evaluator.failUnattributed(
          { octokit: context.octokit, ...source, mergeGroupSha: group.head_sha, base, force: false, log: context.log },
          `cannot tell which pull request the merge group ${group.head_ref} queues`,
        );
        return;
      }
      await evaluator.submit({
        octokit: context.octokit,
        ...source,
        number,
        mergeGroupSha: group.head_sha,
        base,
        force: false,
        reasons: ["merge_group.checks_requested"],
        log: context.log,
      });
    }),
  );
}
