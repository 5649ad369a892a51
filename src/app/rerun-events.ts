// check_run and check_suite rerequested: someone pressed "Re-run" on one of our checks; the PR is
// evaluated again and every result is posted anew, changed or not.
//
// Which PR (or merge group) a re-run is about is taken only from what GitHub or this app wrote:
// the payload's pull_requests, GitHub's list of the commit's PRs, and the external ids of this
// app's own check runs. Never from a branch name: anyone who can push a branch can call it
// `gh-readonly-queue/main/pr-5-…`, and reading that as a merge group would post PR #5's verdict on
// a commit of theirs.
import type { Probot } from "probot";
import { postedChecks } from "../github/checks.js";
import { AUDIT_CHECK, CHECK_PREFIX, parseExternalId } from "../render/check-run.js";
import { GitHubSession } from "../github/client.js";
import { openPullsWithHead } from "../github/pull-request.js";
import type { Evaluator } from "./evaluator.js";
import { guarded, sourceOf, type DeliveryContext } from "./delivery.js";

/** What a re-run says about where it was: the run's or suite's commit and PRs. */
interface Rerun {
  sha: string;
  pullRequests: { number: number; base: { ref: string } }[];
  /** The re-run check's external id: set only for a check run this app is known to have posted. */
  externalId?: string | null;
}

/** A PR to evaluate (reporting on its head), or a merge group to evaluate (reporting on the group's commit). */
type Target = { number: number; base?: string; mergeGroup: boolean };

/**
 * Where a re-run of a suite (or of a check without our external id) points: the PRs GitHub lists
 * for the commit in the payload; else the external ids of this app's own check runs on the commit
 * (the only way to know a merge group's suite); else GitHub's list of the commit's open PRs.
 */
async function targetsOf(context: DeliveryContext, rerun: Rerun, appId: number | undefined): Promise<Target[]> {
  if (rerun.pullRequests.length > 0) return rerun.pullRequests.map((pull) => ({ number: pull.number, base: pull.base.ref, mergeGroup: false }));
  const source = sourceOf(context.payload);
  if (!source) return [];
  const gh = new GitHubSession(context.octokit);
  // Without this app's id, another app's check runs could carry any external id: they are not read.
  if (appId !== undefined) {
    try {
      const ours = (await postedChecks(gh, source.owner, source.repo, rerun.sha, appId)).filter((check) => check.appId === appId);
      const seen = new Map<string, Target>();
      for (const check of ours) {
        const id = parseExternalId(check.externalId);
        if (id) seen.set(`${id.mergeGroup}:${id.number}`, { number: id.number, mergeGroup: id.mergeGroup });
      }
      if (seen.size > 0) return [...seen.values()].sort((a, b) => a.number - b.number);
    } catch (error) {
      context.log.warn({ sha: rerun.sha, error: error instanceof Error ? error.message : String(error) }, "cannot list our check runs of a re-run commit: asking GitHub for its pull requests");
    }
  }
  const found = await openPullsWithHead(gh, source.owner, source.repo, rerun.sha);
  return found.map((pull) => ({ number: pull.number, base: pull.base.ref, mergeGroup: false }));
}

/** Evaluates what a re-run is about, each target in turn. */
async function evaluateRerun(evaluator: Evaluator, context: DeliveryContext, rerun: Rerun, reason: string, appId: number | undefined): Promise<void> {
  const source = sourceOf(context.payload);
  if (!source) return;
  // The re-run's commit goes along as the head: if the PR cannot even be read, the failure is posted there.
  const common = { octokit: context.octokit, ...source, head: rerun.sha, force: true, reasons: [reason], log: context.log };

  const fromId = parseExternalId(rerun.externalId);
  let targets: Target[];
  if (fromId?.mergeGroup) targets = [{ number: fromId.number, mergeGroup: true }];
  else if (rerun.pullRequests.length === 0 && fromId) targets = [{ number: fromId.number, mergeGroup: false }];
  else targets = await targetsOf(context, rerun, appId);

  if (targets.length === 0) context.log.info({ sha: rerun.sha }, "re-run of a commit that is the head of no open pull request: nothing to evaluate");
  for (const target of targets) {
    await evaluator.submit({
      ...common,
      number: target.number,
      ...(target.mergeGroup ? { mergeGroupSha: rerun.sha } : {}),
      ...(target.base !== undefined ? { base: target.base } : {}),
    });
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
      // compliance/audit is a record of a push, not a verdict: there is nothing to run again.
      if (!run.name.startsWith(CHECK_PREFIX) || run.name === AUDIT_CHECK || !ours(run.app?.id)) return;
      // The external id is trusted only on a run GitHub says this app posted.
      const own = appId();
      const trusted = own !== undefined && run.app?.id === own;
      await evaluateRerun(
        evaluator,
        context,
        { sha: run.head_sha, pullRequests: run.pull_requests, ...(trusted ? { externalId: run.external_id } : {}) },
        "check_run.rerequested",
        own,
      );
    }),
  );

  app.on(
    "check_suite.rerequested",
    guarded(async (context) => {
      const suite = context.payload.check_suite;
      // A suite belongs to one app: ours only when its id is ours (GitHub sends suites of this app).
      if (!ours(suite.app?.id ?? undefined)) return;
      await evaluateRerun(evaluator, context, { sha: suite.head_sha, pullRequests: suite.pull_requests }, "check_suite.rerequested", appId());
    }),
  );
}
