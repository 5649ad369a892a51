// Which reviews to ask for (a policy's `request_reviews`): the users and teams whose approval an
// environment still waits for — never the author — and each distinct set only once per pull request.
import type { Logger } from "probot";
import type { Decision } from "../engine/types.js";
import { GitHubError } from "../github/client.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { PolicySet } from "../policy/types.js";
import { LruCache } from "../github/lru-cache.js";
import type { ReviewRequest } from "../github/review-requests.js";
import type { PullRequests } from "./ports.js";

/**
 * The review request for a decision, or null when nobody is to be asked: the `needed` users and
 * teams of the unsatisfied rules of every pending environment whose policy sets `request_reviews`.
 * GitHub refuses the author and bots as reviewers, and can only request teams of the repository
 * owner's organization, so those are left out.
 */
export function reviewRequestOf(decision: Decision, set: PolicySet, who: { owner: string; author: string }): ReviewRequest | null {
  const owner = who.owner.toLowerCase();
  const author = who.author.toLowerCase();
  const users = new Map<string, string>();
  const teams = new Set<string>();
  for (const env of decision.environments) {
    if (env.state !== "pending") continue;
    const policy = set.policies.find((p) => p.environment === env.environment);
    if (!policy?.options.request_reviews) continue;
    for (const rule of env.rules) {
      if (rule.satisfied) continue;
      for (const login of rule.needed.users) {
        const key = login.toLowerCase();
        if (key !== author && !key.endsWith("[bot]") && !users.has(key)) users.set(key, login);
      }
      for (const team of rule.needed.teams) {
        const slash = team.indexOf("/");
        if (slash !== -1 && team.slice(0, slash).toLowerCase() === owner) teams.add(team.slice(slash + 1).toLowerCase());
      }
    }
  }
  if (users.size === 0 && teams.size === 0) return null;
  return { reviewers: sortByCodePoint([...users.values()]), team_reviewers: sortByCodePoint([...teams]) };
}

/** Remembers (bounded) which sets were requested on which pull request, so each is asked for once. */
export class ReviewRequestMemory {
  private readonly asked = new LruCache<string, true>({ maxEntries: 5000 });

  private key(pull: string, request: ReviewRequest): string {
    return `${pull.toLowerCase()}|${request.reviewers.map((u) => u.toLowerCase()).join(",")}|${request.team_reviewers.join(",")}`;
  }

  /** Whether this set was already requested on this pull request. */
  has(pull: string, request: ReviewRequest): boolean {
    return this.asked.get(this.key(pull, request)) !== undefined;
  }

  /** Notes that this set was requested on this pull request. */
  remember(pull: string, request: ReviewRequest): void {
    this.asked.set(this.key(pull, request), true);
  }
}

/** Asks for the reviews still missing (policies with request_reviews), each set once per PR; never fails the evaluation. */
export async function requestReviews(
  pulls: PullRequests,
  memory: ReviewRequestMemory,
  log: Logger,
  pull: { key: string; owner: string; number: number; author: string },
  decision: Decision,
  policies: PolicySet,
): Promise<void> {
  const wanted = reviewRequestOf(decision, policies, { owner: pull.owner, author: pull.author });
  if (wanted === null || memory.has(pull.key, wanted)) return;
  try {
    await pulls.requestReviewers(pull.number, wanted);
    memory.remember(pull.key, wanted);
    log.info({ pull_request: pull.number, ...wanted }, "requested reviews");
  } catch (error) {
    // A 422 (someone who is not a collaborator, a team without access) will not get better by asking again.
    if (error instanceof GitHubError && error.status === 422) memory.remember(pull.key, wanted);
    log.warn({ pull_request: pull.number, ...wanted, error: error instanceof Error ? error.message : String(error) }, "could not request reviews");
  }
}
