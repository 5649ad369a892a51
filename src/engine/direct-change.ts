// The facts of a change that reached a branch without a pull request (SPEC §4.3) — a direct push,
// or commits of a merge group that no pull request owns: judged as a pull request nobody approved.
import type { Facts } from "./types.js";

/** What is known of a direct change: everything of its facts but what only a pull request has. */
export type DirectChange = Omit<Facts, "labels" | "reviews" | "teams" | "permissions">;

/** The facts of a direct change: no labels, no reviews, so no team or permission to look up. */
export function directChangeFacts(change: DirectChange): Facts {
  return {
    ...(change.repository !== undefined ? { repository: change.repository } : {}),
    base: change.base,
    default_branch: change.default_branch,
    head: change.head,
    author: change.author,
    contributors: change.contributors,
    unlinked: change.unlinked,
    labels: [],
    files: change.files,
    files_truncated: change.files_truncated,
    reviews: [],
    teams: {},
    permissions: {},
    now: change.now,
  };
}
