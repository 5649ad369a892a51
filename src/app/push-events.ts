// push: a push that changes policies/ on a branch re-evaluates every open PR into that branch
// (SPEC §3.1), a few at a time, since each one is judged by the branch's new policies.
import type { Probot } from "probot";
import { GitHubSession, type GitHubClient } from "../github/client.js";
import { openPullsInto } from "../github/pull-request.js";
import type { Evaluator } from "./evaluator.js";
import { forEachConcurrently } from "./concurrency.js";
import { branchOf, guarded, sourceOf } from "./delivery.js";
import { POLICY_DIR } from "./policy-check.js";

/** What a push payload says about its commits. */
export interface PushSummary {
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  commits: { added?: string[]; removed?: string[]; modified?: string[] }[];
}

/** A push payload lists at most this many commits; a longer push must be compared to be sure. */
export const PUSH_COMMITS_LIMIT = 2048;
/** GitHub's comparison lists at most this many files. */
const COMPARE_FILES_LIMIT = 300;

/**
 * Whether a push changed anything under policies/: "yes", "no", or "unknown" when the payload
 * cannot say (its commit list is capped or absent, or a force push dropped commits that may
 * have changed policies and that no list shows).
 */
export function pushTouchesPolicies(push: PushSummary, dir = POLICY_DIR): "yes" | "no" | "unknown" {
  if (push.forced || push.commits.length === 0 || push.commits.length >= PUSH_COMMITS_LIMIT) return "unknown";
  const inside = (path: string): boolean => path.startsWith(`${dir}/`);
  const touched = push.commits.some((commit) =>
    [...(commit.added ?? []), ...(commit.removed ?? []), ...(commit.modified ?? [])].some(inside),
  );
  return touched ? "yes" : "no";
}

/** Compares before...after when the payload could not tell; a force push or a cut-off file list counts as a change. */
async function comparedTouchesPolicies(octokit: GitHubClient, owner: string, repo: string, push: PushSummary): Promise<boolean> {
  // The commits a force push dropped are in no comparison: re-evaluating is the only safe answer.
  if (push.forced) return true;
  const gh = new GitHubSession(octokit);
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/compare/{basehead}",
    { owner, repo, basehead: `${push.before}...${push.after}`, per_page: 1 },
    `comparing ${push.before.slice(0, 7)}...${push.after.slice(0, 7)}`,
  );
  const files = (response.data as { files?: { filename?: string; previous_filename?: string }[] }).files ?? [];
  if (files.length >= COMPARE_FILES_LIMIT) return true;
  return files.some((file) => [file.filename, file.previous_filename].some((path) => path?.startsWith(`${POLICY_DIR}/`)));
}

/** Registers the push handler; `concurrency` bounds how many PRs are re-evaluated at once. */
export function onPushEvents(app: Probot, evaluator: Evaluator, concurrency: number): void {
  app.on(
    "push",
    guarded(async (context) => {
      const { payload } = context;
      const source = sourceOf(payload);
      const branch = branchOf(payload.ref);
      // A new branch has no open PRs into it yet; a deleted one has none left.
      if (!source || branch === undefined || payload.created || payload.deleted) return;
      let touched = pushTouchesPolicies(payload);
      if (touched === "unknown") touched = (await comparedTouchesPolicies(context.octokit, source.owner, source.repo, payload)) ? "yes" : "no";
      if (touched === "no") return;

      const { pulls, complete } = await openPullsInto(new GitHubSession(context.octokit), source.owner, source.repo, branch);
      if (!complete) context.log.warn({ branch, listed: pulls.length }, "more open pull requests than can be listed: re-evaluating the first ones");
      context.log.info({ repository: `${source.owner}/${source.repo}`, branch, pull_requests: pulls.length }, "policies changed: re-evaluating open pull requests");
      await forEachConcurrently(pulls, concurrency, (pull) =>
        evaluator.submit({
          octokit: context.octokit,
          ...source,
          number: pull.number,
          base: branch,
          head: pull.head,
          force: false,
          reasons: ["push to policies"],
          log: context.log,
        }),
      );
    }),
  );
}
