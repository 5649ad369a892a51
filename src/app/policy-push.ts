// A push that changes policies/ on a branch re-evaluates every open PR into that branch (SPEC §3.1),
// since each one is judged by the branch's new policies: bulk work, which the queue runs a few at a
// time behind people's events (COMPLIANCE_CONCURRENCY). Listing them is retried
// later, from the page it failed on: left alone, they would keep the old policies' verdicts.
import type { Logger } from "probot";
import { POLICY_DIR } from "../policy/folder.js";
import { PUSH_COMMITS_LIMIT } from "./audit-push.js";
import { evaluationJob } from "./evaluation-memory.js";
import type { Job, Later, Ports } from "./ports.js";

/** What a push payload says about its commits. */
export type PushSummary = {
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  commits: { added?: string[]; removed?: string[]; modified?: string[] }[];
};

/**
 * Whether a push changed anything under policies/: "yes", "no", or "unknown" when the payload
 * cannot say (its commit list is capped or absent, or a force push dropped commits that may
 * have changed policies and that no list shows).
 */
export function pushTouchesPolicies(push: PushSummary, dir = POLICY_DIR): "yes" | "no" | "unknown" {
  if (push.forced || push.commits.length === 0 || push.commits.length >= PUSH_COMMITS_LIMIT) return "unknown";
  const inside = (path: string): boolean => path.startsWith(`${dir}/`);
  const touched = push.commits.some((commit) => [...(commit.added ?? []), ...(commit.removed ?? []), ...(commit.modified ?? [])].some(inside));
  return touched ? "yes" : "no";
}

/** A branch whose policies a push may have changed: plain data, so that a retry can wait in a queue. */
export type PolicyPush = {
  owner: string;
  repo: string;
  branch: string;
  installationId?: number;
  defaultBranch?: string;
  serverUrl?: string;
  /** The push, when it is not yet known whether it changed policies (a retry knows). */
  push?: PushSummary;
  /** Where the listing of open PRs goes on, and which retry this is. */
  firstPage: number;
  attempt: number;
};

/** The job that re-evaluates the open PRs of a branch after a policy push. */
export function policyPushJob(push: PolicyPush, log?: Record<string, string | number>): Job<PolicyPush> {
  return {
    kind: "policy-push",
    key: `push:${push.owner}/${push.repo}#${push.branch}`.toLowerCase(),
    ...(push.installationId !== undefined ? { installationId: push.installationId } : {}),
    payload: push,
    ...(log !== undefined ? { log } : {}),
    priority: "bulk",
  };
}

/** Pages of open PRs listed (and their evaluations started) at a time. */
const PAGES_PER_BATCH = 10;
/** A bound on the whole listing (100,000 open PRs), so a Link header that never ends cannot loop forever. */
const MAX_PAGES = 1000;

/**
 * Whether the push changed policies, comparing before...after when the payload could not tell;
 * a force push, a cut-off file list, or a comparison that fails count as a change — re-evaluating
 * costs requests, missing a policy change fails open.
 */
async function changedPolicies(ports: Ports, log: Logger, request: PolicyPush, push: PushSummary): Promise<boolean> {
  const touched = pushTouchesPolicies(push);
  if (touched !== "unknown") return touched === "yes";
  // The commits a force push dropped are in no comparison: re-evaluating is the only safe answer.
  if (push.forced) return true;
  try {
    const compared = await ports.commits.filesBetween(push.before, push.after);
    const inside = (path: string | undefined): boolean => path?.startsWith(`${POLICY_DIR}/`) === true;
    return !compared.complete || compared.files.some((file) => inside(file.path) || inside(file.previous_path));
  } catch (error) {
    log.error(
      { repository: `${request.owner}/${request.repo}`, branch: request.branch, error: error instanceof Error ? error.message : String(error) },
      "cannot tell whether the push changed policies: re-evaluating the open pull requests as if it did",
    );
    return true;
  }
}

/**
 * Lists the open PRs into the branch a batch of pages at a time, queueing their re-evaluations as
 * bulk work, until GitHub lists no more. A listing that fails is tried again later, from the page it
 * failed on, with backoff.
 */
export async function reevaluateOpenPulls(later: Later, ports: Ports, log: Logger, request: PolicyPush, jobLog?: Record<string, string | number>): Promise<void> {
  const { owner, repo, branch } = request;
  if (request.push !== undefined && !(await changedPolicies(ports, log, request, request.push))) return;
  const repository = `${owner}/${repo}`;
  let page = request.firstPage;
  let attempt = request.attempt;
  while (page <= MAX_PAGES) {
    let listed: Awaited<ReturnType<Ports["pulls"]["openInto"]>>;
    try {
      listed = await ports.pulls.openInto(branch, { firstPage: page, maxPages: PAGES_PER_BATCH });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retry = attempt + 1;
      const { push: _push, ...rest } = request;
      const scheduled = later.retry(policyPushJob(request).key, policyPushJob({ ...rest, firstPage: page, attempt: retry }, { repository, branch }), retry);
      log.error(
        { repository, branch, page, attempt, error: message, ...(scheduled ? { retry } : {}) },
        scheduled
          ? "policies changed, but the open pull requests cannot be listed: trying again later"
          : "policies changed, but the open pull requests cannot be listed, and no retry is left: their checks may show the old policies' verdict until their next event",
      );
      return;
    }
    log.info({ repository, branch, pull_requests: listed.pulls.length, page, complete: listed.complete }, "policies changed: re-evaluating open pull requests");
    for (const pull of listed.pulls) {
      const job = evaluationJob(
        {
          owner,
          repo,
          number: pull.number,
          ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
          ...(request.defaultBranch !== undefined ? { defaultBranch: request.defaultBranch } : {}),
          ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}),
          base: branch,
          head: pull.head.sha,
          force: false,
          reasons: ["push to policies"],
        },
        jobLog,
      );
      // A queue that cannot take it fails this job, which the queue runs again later.
      await later.enqueue({ ...job, priority: "bulk" });
    }
    if (listed.complete) return;
    // More than a batch of pages: go on where this one stopped, rather than leave the rest judged by the old policies.
    page = listed.nextPage;
    attempt = 0;
  }
  log.error({ repository, branch, pages: MAX_PAGES }, "more open pull requests than can be listed: the rest are re-evaluated on their next event");
}
