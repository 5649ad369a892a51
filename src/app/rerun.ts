// A re-run of one of this app's checks (check_run or check_suite rerequested): the PRs or merge
// groups it is about are evaluated again, every result posted anew, changed or not.
//
// Which PR (or merge group) a re-run is about is taken only from what GitHub or this app wrote:
// the payload's pull_requests, GitHub's list of the commit's PRs, and the external ids of this
// app's own check runs. Never from a branch name: anyone who can push a branch can call it
// `gh-readonly-queue/main/pr-5-…`, and reading that as a merge group would post PR #5's verdict on
// a commit of theirs.
import type { Logger } from "probot";
import { parseExternalId } from "../render/check-run.js";
import { evaluationJob } from "./evaluation-memory.js";
import type { Job, Later, Ports } from "./ports.js";

/** What a re-run says about where it was, and where the delivery came from: plain data. */
export type Rerun = {
  owner: string;
  repo: string;
  installationId?: number;
  defaultBranch?: string;
  serverUrl?: string;
  /** The run's or suite's commit. */
  sha: string;
  pullRequests: { number: number; base: { ref: string } }[];
  /** The re-run check's external id: set only for a check run this app is known to have posted. */
  externalId?: string | null;
  reason: string;
};

/** The job that re-runs what a re-run is about. */
export function rerunJob(rerun: Rerun, delivery: string, log?: Record<string, string | number>): Job<Rerun> {
  return {
    kind: "rerun",
    key: `rerun:${delivery}`,
    ...(rerun.installationId !== undefined ? { installationId: rerun.installationId } : {}),
    payload: rerun,
    ...(log !== undefined ? { log } : {}),
  };
}

/** A PR to evaluate (reporting on its head), or a merge group to evaluate (reporting on the group's commit). */
type Target = { number: number; base?: string; mergeGroup: boolean };

/**
 * Where a re-run of a suite (or of a check without our external id) points: the PRs GitHub lists
 * for the commit in the payload; else the external ids of this app's own check runs on the commit
 * (the only way to know a merge group's suite); else GitHub's list of the commit's open PRs.
 */
async function targetsOf(ports: Ports, log: Logger, rerun: Rerun): Promise<Target[]> {
  if (rerun.pullRequests.length > 0) return rerun.pullRequests.map((pull) => ({ number: pull.number, base: pull.base.ref, mergeGroup: false }));
  const appId = ports.checks.appId;
  // Without this app's id, another app's check runs could carry any external id: they are not read.
  if (appId !== undefined) {
    try {
      const ours = (await ports.checks.ours(rerun.sha)).filter((check) => check.appId === appId);
      const seen = new Map<string, Target>();
      for (const check of ours) {
        const id = parseExternalId(check.externalId);
        if (id) seen.set(`${id.mergeGroup}:${id.number}`, { number: id.number, mergeGroup: id.mergeGroup });
      }
      if (seen.size > 0) return [...seen.values()].sort((a, b) => a.number - b.number);
    } catch (error) {
      log.warn({ sha: rerun.sha, error: error instanceof Error ? error.message : String(error) }, "cannot list our check runs of a re-run commit: asking GitHub for its pull requests");
    }
  }
  const found = (await ports.pulls.ofCommit(rerun.sha)).filter((pull) => pull.state !== "closed" && pull.head.sha === rerun.sha);
  return found.map((pull) => ({ number: pull.number, base: pull.base.ref, mergeGroup: false }));
}

/** Evaluates what a re-run is about, each target in turn; the re-run's commit is where a PR that cannot even be read fails. */
export async function rerunEvaluations(later: Later, ports: Ports, log: Logger, rerun: Rerun, jobLog?: Record<string, string | number>): Promise<void> {
  const fromId = parseExternalId(rerun.externalId);
  let targets: Target[];
  if (fromId?.mergeGroup) targets = [{ number: fromId.number, mergeGroup: true }];
  else if (rerun.pullRequests.length === 0 && fromId) targets = [{ number: fromId.number, mergeGroup: false }];
  else targets = await targetsOf(ports, log, rerun);

  if (targets.length === 0) log.info({ sha: rerun.sha }, "re-run of a commit that is the head of no open pull request: nothing to evaluate");
  for (const target of targets) {
    const job = evaluationJob(
      {
        owner: rerun.owner,
        repo: rerun.repo,
        number: target.number,
        ...(rerun.installationId !== undefined ? { installationId: rerun.installationId } : {}),
        ...(rerun.defaultBranch !== undefined ? { defaultBranch: rerun.defaultBranch } : {}),
        ...(rerun.serverUrl !== undefined ? { serverUrl: rerun.serverUrl } : {}),
        head: rerun.sha,
        ...(target.mergeGroup ? { mergeGroupSha: rerun.sha } : {}),
        ...(target.base !== undefined ? { base: target.base } : {}),
        force: true,
        reasons: [rerun.reason],
      },
      jobLog,
    );
    // A queue that cannot take it fails this job, which the queue runs again later.
    await later.enqueue(job);
  }
}
