// The closed pull requests of an export's period, read whole (SPEC §6.4): the list an audit export
// starts from, bounded in pages.
import { GitHubError } from "../github/client.js";
import type { Ports, PullRequest } from "./ports.js";

/** Pages of closed pull requests (100 each) listed at most: an export past that must use a shorter period. */
const MAX_PULL_PAGES = 500;

/**
 * Every closed pull request updated since `since`, newest update first. Why this list and not
 * the search API: search answers at most 1,000 results per query and its index lags behind
 * merges, so it can silently leave a merged pull request out; this list is GitHub's own record,
 * and complete. A merge updates a pull request, so once a page reaches one updated before
 * `since`, no later page can hold a pull request merged in the period. Past MAX_PULL_PAGES it
 * throws GitHubError.
 */
export async function closedPullsOfPeriod(
  ports: Ports,
  repository: string,
  request: { since: number; now?: number; progress?: (message: string) => void },
): Promise<PullRequest[]> {
  const { since } = request;
  const byNumber = new Map<number, PullRequest>();
  const listed = await ports.pulls.closedSince({
    since,
    maxPages: MAX_PULL_PAGES,
    doing: (page) => `listing closed pull requests of ${repository} (page ${page})`,
    onPage: (page, count) => {
      if (page % 5 === 0) request.progress?.(`listed ${count} closed pull requests…`);
    },
  });
  for (const pull of listed.pulls) byNumber.set(pull.number, pull);
  if (!listed.complete) {
    throw new GitHubError(`more than ${MAX_PULL_PAGES * 100} pull requests of ${repository} were closed or updated since ${new Date(since).toISOString()}: export a shorter period`);
  }
  // A pull request updated while the pages were read moves to the first page, shifting the rest
  // by one: it could slip past the pages already read. Read the top once more to catch it.
  if (listed.pages > 1) {
    const caught = await ports.pulls.closedSince({
      since: (request.now ?? Date.now()) - 5 * 60_000,
      maxPages: listed.pages,
      doing: `listing recently updated pull requests of ${repository}`,
    });
    for (const pull of caught.pulls) byNumber.set(pull.number, pull);
  }
  return [...byNumber.values()];
}
