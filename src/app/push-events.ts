// push: a push that changes policies/ on a branch re-evaluates every open PR into that branch
// (SPEC §3.1), a few at a time, since each one is judged by the branch's new policies.
import type { Logger, Probot } from "probot";
import { GitHubSession, type GitHubClient } from "../github/client.js";
import { openPullsInto } from "../github/pull-request.js";
import { POLICY_DIR } from "../policy/folder.js";
import type { Evaluator } from "./evaluator.js";
import { forEachConcurrently } from "./concurrency.js";
import { branchOf, guarded, sourceOf, type DeliverySource } from "./delivery.js";
import type { Retries } from "./retries.js";

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

/** Pages of open PRs listed (and their evaluations started) at a time. */
const PAGES_PER_BATCH = 10;
/** A bound on the whole listing (100,000 open PRs), so a Link header that never ends cannot loop forever. */
const MAX_PAGES = 1000;

/** A branch whose open PRs are being re-evaluated after a policy push. */
interface Sweep {
  octokit: GitHubClient;
  source: DeliverySource;
  branch: string;
  concurrency: number;
  log: Logger;
}

/**
 * Lists the open PRs into the branch a batch of pages at a time, re-evaluating each batch, until
 * GitHub lists no more. A listing that fails is tried again later, from the page it failed on,
 * with backoff: left alone, every PR into the branch would keep the verdict of the old policies.
 */
async function sweep(evaluator: Evaluator, retries: Retries, job: Sweep, firstPage: number, attempt: number): Promise<void> {
  const { source, branch, log } = job;
  const key = `push:${source.owner}/${source.repo}#${branch}`.toLowerCase();
  let page = firstPage;
  while (page <= MAX_PAGES) {
    let listed: Awaited<ReturnType<typeof openPullsInto>>;
    try {
      listed = await openPullsInto(new GitHubSession(job.octokit), source.owner, source.repo, branch, { firstPage: page, maxPages: PAGES_PER_BATCH });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retry = attempt + 1;
      const scheduled = retries.schedule(key, retry, (next) => sweep(evaluator, retries, job, page, next));
      log.error(
        { repository: `${source.owner}/${source.repo}`, branch, page, attempt, error: message, ...(scheduled ? { retry } : {}) },
        scheduled
          ? "policies changed, but the open pull requests cannot be listed: trying again later"
          : "policies changed, but the open pull requests cannot be listed, and no retry is left: their checks may show the old policies' verdict until their next event",
      );
      return;
    }
    log.info(
      { repository: `${source.owner}/${source.repo}`, branch, pull_requests: listed.pulls.length, page, complete: listed.complete },
      "policies changed: re-evaluating open pull requests",
    );
    await forEachConcurrently(listed.pulls, job.concurrency, (pull) =>
      evaluator.submit({
        octokit: job.octokit,
        ...source,
        number: pull.number,
        base: branch,
        head: pull.head.sha,
        force: false,
        reasons: ["push to policies"],
        log,
      }),
    );
    if (listed.complete) return;
    // More than a batch of pages: go on where this one stopped, rather than leave the rest judged by the old policies.
    page = listed.nextPage;
    attempt = 0;
  }
  log.error({ repository: `${source.owner}/${source.repo}`, branch, pages: MAX_PAGES }, "more open pull requests than can be listed: the rest are re-evaluated on their next event");
}

/** Registers the push handler; `concurrency` bounds how many PRs are re-evaluated at once. */
export function onPushEvents(app: Probot, evaluator: Evaluator, retries: Retries, concurrency: number): void {
  app.on(
    "push",
    guarded(async (context) => {
      const { payload } = context;
      const source = sourceOf(payload);
      const branch = branchOf(payload.ref);
      // A new branch has no open PRs into it yet; a deleted one has none left.
      if (!source || branch === undefined || payload.created || payload.deleted) return;
      let touched = pushTouchesPolicies(payload);
      if (touched === "unknown") {
        try {
          touched = (await comparedTouchesPolicies(context.octokit, source.owner, source.repo, payload)) ? "yes" : "no";
        } catch (error) {
          // Not knowing is not "no": re-evaluating costs requests, missing a policy change fails open.
          context.log.error(
            { repository: `${source.owner}/${source.repo}`, branch, error: error instanceof Error ? error.message : String(error) },
            "cannot tell whether the push changed policies: re-evaluating the open pull requests as if it did",
          );
          touched = "yes";
        }
      }
      if (touched === "no") return;
      await sweep(evaluator, retries, { octokit: context.octokit, source, branch, concurrency, log: context.log }, 1, 0);
    }),
  );
}
