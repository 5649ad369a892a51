// pull_request and pull_request_review: every change to a PR that can change its decision
// re-evaluates it (SPEC §3.1); a closed PR stops its freeze timers and retries.
import type { GateApp } from "./deliveries.js";
import { guarded, sourceOf, type DeliveryContext } from "./delivery.js";
import type { Evaluation } from "./evaluate.js";
import { evaluationJob } from "./evaluation-memory.js";
import type { Later } from "./ports.js";

/** The fields of a payload's pull_request the evaluation starts from (the PR itself is read fresh). */
interface PayloadPull {
  number: number;
  head: { sha: string };
  base: { ref: string };
}

/** The evaluation of a PR a delivery asks for; deliveries without repository are not ours to judge. */
async function evaluatePull(later: Later, context: DeliveryContext, pull: PayloadPull, reason: string, baseChanged = false): Promise<void> {
  const source = sourceOf(context.payload);
  if (!source) return;
  const job = evaluationJob(
    {
      ...source,
      number: pull.number,
      // Hints only (the evaluation reads the PR before concluding anything from them): this
      // delivery may be older than another already handled.
      base: pull.base.ref,
      head: pull.head.sha,
      ...(baseChanged ? { baseChanged } : {}),
      force: false,
      reasons: [reason],
    },
    { name: "event", id: context.id },
  );
  await later.enqueue(job);
}

/** Events of SPEC §3.1 about the PR itself. */
const PULL_REQUEST_EVENTS: (
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
const REVIEW_EVENTS: ("pull_request_review.submitted" | "pull_request_review.edited" | "pull_request_review.dismissed")[] = [
  "pull_request_review.submitted",
  "pull_request_review.edited",
  "pull_request_review.dismissed",
];

/** Registers the pull_request and pull_request_review handlers. */
export function onPullRequestEvents(app: GateApp, later: Later, evaluation: Evaluation): void {
  app.on(
    PULL_REQUEST_EVENTS,
    guarded(async (context) => {
      const { payload } = context;
      // A new title or body changes nothing the policies look at; a new base branch changes everything.
      const baseChanged = payload.action === "edited" && "changes" in payload && payload.changes.base !== undefined;
      if (payload.action === "edited" && !baseChanged) return;
      await evaluatePull(later, context, payload.pull_request, `${context.name}.${payload.action}`, baseChanged);
    }),
  );

  app.on(
    REVIEW_EVENTS,
    guarded(async (context) => {
      await evaluatePull(later, context, context.payload.pull_request, `${context.name}.${context.payload.action}`);
    }),
  );

  app.on(
    "pull_request.closed",
    guarded(async (context) => {
      const source = sourceOf(context.payload);
      if (source) evaluation.closed(source.owner, source.repo, context.payload.pull_request.number);
    }),
  );
}
