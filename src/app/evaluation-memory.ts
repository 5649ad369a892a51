// What an evaluation is asked (a request: plain data, so it can wait in a queue), how requests for
// one PR fold together, and what the evaluation remembers between runs in this process.
import type { Decision, Facts } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { LruCache } from "../github/lru-cache.js";
import type { PlannedCheck } from "../render/check-run.js";
import { QueueMemory } from "./merge-group.js";
import type { Job, PullRequest } from "./ports.js";
import { ReviewRequestMemory } from "./review-requests.js";
import { SharedHeads } from "./shared-heads.js";

/** What to evaluate, and what the event already told us. */
export type EvaluationRequest = {
  owner: string;
  repo: string;
  number: number;
  /** Report on this merge group's head commit instead of the PR's head (merge queue). */
  mergeGroupSha?: string;
  /** The commit the merge group's entry is stacked on (the event's `base_sha`), when a merge_group event said. */
  mergeGroupBase?: string;
  /**
   * The base branch as the event saw it: a hint, which lets a repository without policies cost a
   * free request or two. Deliveries arrive late and out of order, so it is never trusted to say
   * "no policies": that answer is checked against the PR as GitHub has it now.
   */
  base?: string;
  defaultBranch?: string;
  /** The PR's head as the event saw it (a hint too): where a failure is reported when the PR cannot even be read. */
  head?: string;
  /** The event changed the PR's base branch: checks of the old base on the head must be superseded. */
  baseChanged?: boolean;
  /** Which retry this is, after checks could not be posted. */
  retryAttempt?: number;
  /** How many times GitHub asked this evaluation to wait (a secondary rate limit, a retry-after). */
  githubWaits?: number;
  /** How many times it failed with no commit known to report the failure on. */
  unattributed?: number;
  /** The installation whose client the evaluation runs with. */
  installationId?: number;
  /** Web URL of the GitHub server, for links in check output. */
  serverUrl?: string;
  /** A person asked for a re-run: post even results that did not change. */
  force: boolean;
  /** Why (event names), for logs; bursts merge theirs. */
  reasons: string[];
};

/** `owner/repo#n`, lower case: the key of one pull request's evaluations. */
export function pullKeyOf(owner: string, repo: string, number: number): string {
  return `${owner}/${repo}#${number}`.toLowerCase();
}

/** A PR's head and each merge group it is queued in are reported separately, so they serialise separately. */
export function queueKeyOf(request: Pick<EvaluationRequest, "owner" | "repo" | "number" | "mergeGroupSha">): string {
  const pull = pullKeyOf(request.owner, request.repo, request.number);
  return request.mergeGroupSha === undefined ? pull : `${pull}@${request.mergeGroupSha}`;
}

/** The job that evaluates `request`; `log` binds its log lines (the delivery's, else the PR's). */
export function evaluationJob(request: EvaluationRequest, log?: Record<string, string | number>): Job {
  return {
    kind: "evaluate",
    key: queueKeyOf(request),
    ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
    payload: request,
    log: log ?? { repository: `${request.owner}/${request.repo}`, pull_request: request.number },
  };
}

/**
 * A newer request folded into one still waiting: forced stays forced, a base change stays one. Hints
 * that disagree say the PR changed between the two deliveries, and the one that arrived last need
 * not be the newer: neither is used, the PR is read as GitHub has it.
 */
export function mergeEvaluationRequests(pending: EvaluationRequest, newer: EvaluationRequest): EvaluationRequest {
  const merged: EvaluationRequest = {
    ...newer,
    force: pending.force || newer.force,
    baseChanged: (pending.baseChanged ?? false) || (newer.baseChanged ?? false),
    retryAttempt: Math.max(pending.retryAttempt ?? 0, newer.retryAttempt ?? 0),
    ...(pending.githubWaits !== undefined || newer.githubWaits !== undefined ? { githubWaits: Math.max(pending.githubWaits ?? 0, newer.githubWaits ?? 0) } : {}),
    ...(pending.unattributed !== undefined || newer.unattributed !== undefined ? { unattributed: Math.max(pending.unattributed ?? 0, newer.unattributed ?? 0) } : {}),
    reasons: [...new Set([...pending.reasons, ...newer.reasons])].slice(-10),
  };
  if (pending.base !== newer.base) delete merged.base;
  if (pending.head !== newer.head) delete merged.head;
  return merged;
}

/** What this process last reported for a PR (or a merge group of it). */
export interface Reported {
  /** The commit the checks went on. */
  sha: string;
  /** The base branch they were judged for; undefined when a failure left it unknown. */
  base: string | undefined;
  names: string[];
}

/** What one evaluation posts, and — unless nothing judged it — the decisions behind it. */
export interface Plan {
  /** The PR as judged: its head may be newer than the one first read (one-head.ts). */
  pull: PullRequest;
  base: string;
  checks: PlannedCheck[];
  judged?: { decisions: Decision[]; policies: PolicySet; facts: Facts; warnings: string[] };
  /** The PRs of a merge group, in queue order. */
  group?: number[];
}

/** What evaluations remember in this process, each bounded. */
export class EvaluationMemory {
  /** What was last reported, by queue key (a PR, or a merge group of it): a later failure must cover it all. */
  readonly reported = new LruCache<string, Reported>({ maxEntries: 5000 });
  /** The latest plan of each PR on its head commit: PRs sharing a head share its checks. */
  readonly heads = new SharedHeads();
  /** The review requests made, so each set is asked for once. */
  readonly reviewRequests = new ReviewRequestMemory();
  /** The merge queue entries GitHub announced. */
  readonly queue = new QueueMemory();

  remember(queueKey: string, reported: Reported): void {
    this.reported.set(queueKey, { ...reported, names: [...new Set(reported.names)] });
  }
}
