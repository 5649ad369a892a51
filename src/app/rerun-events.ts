// check_run and check_suite rerequested: someone pressed "Re-run" on one of our checks; the PR is
// evaluated again and every result is posted anew, changed or not.
import type { Probot } from "probot";
import { CHECK_PREFIX, parseExternalId } from "../github/checks.js";
import { GitHubSession } from "../github/client.js";
import { openPullsWithHead } from "../github/pull-request.js";
import type { Evaluator } from "./evaluator.js";
import { guarded, sourceOf, type DeliveryContext } from "./delivery.js";
import { queuedPullNumber } from "./merge-group-events.js";

/** What a re-run says about where it was: the run's or suite's commit, branch and PRs. */
interface Rerun {
  sha: string;
  headBranch: string | null;
  pullRequests: { number: number; base: { ref: string } }[];
  externalId?: string | null;
}

/** The PRs (or the merge group) a re-run is about, in the order they are evaluated. */
async function evaluateRerun(evaluator: Evaluator, context: DeliveryContext, rerun: Rerun, reason: string): Promise<void> {
  const source = sourceOf(context.payload);
  if (!source) return;
  const common = { octokit: context.octokit, ...source, force: true, reasons: [reason], log: context.log };

  // A merge group's check: the group's branch (or our external id) names the queued PR.
  const fromId = parseExternalId(rerun.externalId);
  const queued = rerun.headBranch === null ? undefined : queuedPullNumber(rerun.headBranch);
  if (fromId?.mergeGroup || queued !== undefined) {
    await evaluator.submit({ ...common, number: fromId?.number ?? (queued as number), mergeGroupSha: rerun.sha });
    return;
  }

  // GitHub lists the PRs of the run's branch in the same repository; a fork's PR is missing there.
  let pulls = rerun.pullRequests.map((pull) => ({ number: pull.number, base: pull.base.ref as string | undefined }));
  if (pulls.length === 0 && fromId) pulls = [{ number: fromId.number, base: undefined }];
  if (pulls.length === 0) {
    const found = await openPullsWithHead(new GitHubSession(context.octokit), source.owner, source.repo, rerun.sha);
    pulls = found.map((pull) => ({ number: pull.number, base: pull.base }));
  }
  if (pulls.length === 0) context.log.info({ sha: rerun.sha }, "re-run of a commit that is the head of no open pull request: nothing to evaluate");
  for (const pull of pulls) {
    await evaluator.submit({ ...common, number: pull.number, ...(pull.base !== undefined ? { base: pull.base } : {}) });
  }
}

/**
 * Registers the re-run handlers. Only our own checks count: a name under `compliance/` and, when
 * this app's id is known, posted by this app.
 */
export function onRerunEvents(app: Probot, evaluator: Evaluator, appId: () => number | undefined): void {
  const ours = (id: number | undefined): boolean => {
    const own = appId();
    return own === undefined || id === undefined || id === own;
  };

  app.on(
    "check_run.rerequested",
    guarded(async (context) => {
      const run = context.payload.check_run;
      if (!run.name.startsWith(CHECK_PREFIX) || !ours(run.app?.id)) return;
      await evaluateRerun(
        evaluator,
        context,
        {
          sha: run.head_sha,
          headBranch: run.check_suite?.head_branch ?? null,
          pullRequests: run.pull_requests,
          externalId: run.external_id,
        },
        "check_run.rerequested",
      );
    }),
  );

  app.on(
    "check_suite.rerequested",
    guarded(async (context) => {
      const suite = context.payload.check_suite;
      // A suite belongs to one app: ours only when its id is ours (GitHub sends suites of this app).
      if (!ours(suite.app?.id ?? undefined)) return;
      await evaluateRerun(
        evaluator,
        context,
        { sha: suite.head_sha, headBranch: suite.head_branch, pullRequests: suite.pull_requests },
        "check_suite.rerequested",
      );
    }),
  );
}
