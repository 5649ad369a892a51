// pull_request and pull_request_review: every change to a PR that can change its decision
// re-evaluates it (SPEC §3.1); a closed PR stops its freeze timers.
import type { Probot } from "probot";
import type { Evaluator } from "./evaluator.js";
import { guarded, sourceOf, type DeliveryContext } from "./delivery.js";

/** The fields of a payload's pull_request the evaluation starts from (the PR itself is read fresh). */
interface PayloadPull {
  number: number;
  head: { sha: string };
  base: { ref: string };
}

/** Hands a PR delivery to the evaluator; deliveries without repository are not ours to judge. */
async function evaluatePull(
  evaluator: Evaluator,
  context: DeliveryContext,
  pull: PayloadPull,
  reason: string,
  baseChanged = false,
): Promise<void> {
  const source = sourceOf(context.payload);
  if (!source) return;
  await evaluator.submit({
    octokit: context.octokit,
    ...source,
    number: pull.number,
    // Hints only (the evaluator reads the PR before concluding anything from them): this
    // delivery may be older than another already handled.
    base: pull.base.ref,
    head: pull.head.sha,
    ...(baseChanged ? { baseChanged } : {}),
    force: false,
    reasons: [reason],
    log: context.log,
  });
}

/** Events of SPEC §3.1 about the PR itself. */
export const PULL_REQUEST_EVENTS: (
  | "pull_request.opened"
  | "pull_request.reopened"
  | "pull_request.synchronize"
  | "pull_request.ready_for_review"
  | "pull_request.edited"
  | "pull_request.labeled"
  | "pull_request.unlabeled"
)[] = [
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.ready_for_review",
  "pull_request.edited",
  "pull_request.labeled",
  "pull_request.unlabeled",
];

/** Reviews: an approval, an edited or dismissed review changes who counts. */
export const REVIEW_EVENTS: ("pull_request_review.submitted" | "pull_request_review.edited" | "pull_request_review.dismissed")[] = [
  "pull_request_review.submitted",
  "pull_request_review.edited",
  "pull_request_review.dismissed",
];

/** Registers the pull_request and pull_request_review handlers. */
export function onPullRequestEvents(app: Probot, evaluator: Evaluator): void {
  app.on(
    PULL_REQUEST_EVENTS,
    guarded(async (context) => {
      const { payload } = context;
      // A new title or body changes nothing the policies look at; a new base branch changes everything.
      const baseChanged = payload.action === "edited" && "changes" in payload && payload.changes.base !== undefined;
      if (payload.action === "edited" && !baseChanged) return;
      await evaluatePull(evaluator, context, payload.pull_request, `${context.name}.${payload.action}`, baseChanged);
    }),
  );

  app.on(
    REVIEW_EVENTS,
    guarded(async (context) => {
      await evaluatePull(evaluator, context, context.payload.pull_request, `${context.name}.${context.payload.action}`);
    }),
  );

  app.on(
    "pull_request.closed",
    guarded(async (context) => {
      const source = sourceOf(context.payload);
      if (source) evaluator.closed(source.owner, source.repo, context.payload.pull_request.number);
    }),
  );
}
