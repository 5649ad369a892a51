// Asks GitHub for reviews on a pull request (a policy's `request_reviews` option).
import type { GitHubSession } from "./client.js";

/** Logins and team slugs (of the repository owner's organization) to ask for a review. */
export interface ReviewRequest {
  reviewers: string[];
  team_reviewers: string[];
}

/** POST /repos/{owner}/{repo}/pulls/{n}/requested_reviewers; throws GitHubError when GitHub refuses. */
export async function requestReviewers(
  gh: GitHubSession,
  owner: string,
  repo: string,
  pull_number: number,
  request: ReviewRequest,
): Promise<void> {
  await gh.request(
    "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    { owner, repo, pull_number, reviewers: request.reviewers, team_reviewers: request.team_reviewers },
    `requesting reviews on #${pull_number}`,
  );
}
