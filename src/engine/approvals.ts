// Each reviewer's stance (SPEC §2 step 7) and which approvals count for a set of approvers (step 8),
// with the reason every other approval was ignored.
import { compareCodePoints } from "../policy/code-point-order.js";
import type { Approvers, Options } from "../policy/types.js";
import type { CountedApproval, Facts, IgnoredReason, IgnoredReview, Review } from "./types.js";
import { approverVia, listedByLogin, loginKey, type Directory } from "./approvers.js";

/** A reviewer's standing review: the latest APPROVED, CHANGES_REQUESTED or DISMISSED one. */
export interface Stance {
  /** The login as written in that review. */
  login: string;
  key: string;
  review: Review;
  /** Whether any review of this reviewer is marked as a bot's. */
  bot: boolean;
}

/** GitHub's web-flow committer is not a person (SPEC §2, contributors). */
export const WEB_FLOW = "web-flow";

/** The stance of each reviewer, in order of first review; COMMENTED never changes a stance (SPEC §2 step 7). */
export function stancesOf(reviews: readonly Review[]): Stance[] {
  const stances = new Map<string, Stance>();
  const bots = new Set<string>();
  for (const review of reviews) {
    const key = loginKey(review.user);
    if (review.bot) bots.add(key);
    if (review.state === "COMMENTED") continue;
    const prev = stances.get(key);
    if (prev) {
      prev.login = review.user;
      prev.review = review;
    } else {
      stances.set(key, { login: review.user, key, review, bot: false });
    }
  }
  for (const stance of stances.values()) stance.bot = bots.has(stance.key);
  return [...stances.values()];
}

/** The people approvals are judged against: the PR's author, contributors and head. */
export interface Judged {
  author: string;
  /** Lower-case logins of every contributor, the author included, web-flow excluded. */
  contributors: Set<string>;
  head: string;
  dir: Directory;
}

/** The author, contributors and head of a PR's facts, keyed for comparison. */
export function judgedOf(facts: Facts, dir: Directory): Judged {
  const contributors = new Set(facts.contributors.map(loginKey));
  contributors.add(loginKey(facts.author));
  contributors.delete(WEB_FLOW);
  return { author: loginKey(facts.author), contributors, head: facts.head.toLowerCase(), dir };
}

/** The approvals that counted for some approvers, and the approvals that did not. */
interface Count {
  counted: CountedApproval[];
  ignored: IgnoredReview[];
}

/**
 * Why a reviewer's APPROVED or DISMISSED stance does not count, or null when it does. Reasons
 * about the person come before reasons about the review, so that the first one given is the
 * one re-approving cannot fix: not_an_approver, bot, author, contributor, then dismissed, stale.
 */
export function ignoredReason(
  stance: Stance,
  via: readonly string[],
  approvers: Approvers,
  options: Options,
  judged: Judged,
): IgnoredReason | null {
  if (via.length === 0) return "not_an_approver";
  if (stance.bot && !listedByLogin(approvers, stance.login)) return "bot";
  // The author is always a contributor; allow_author alone decides for the author, or it would
  // mean nothing without allow_contributors too.
  if (stance.key === judged.author) {
    if (!options.allow_author) return "author";
  } else if (judged.contributors.has(stance.key) && !options.allow_contributors) return "contributor";
  if (stance.review.state === "DISMISSED") return "dismissed";
  if (options.dismiss_stale && stance.review.commit.toLowerCase() !== judged.head) return "stale";
  return null;
}

const byLogin = (a: { key: string; login: string }, b: { key: string; login: string }): number =>
  compareCodePoints(a.key, b.key) || compareCodePoints(a.login, b.login);

/** Sorts logins case-insensitively (then by their spelling), for stable reports. */
export function sortLogins(logins: Iterable<string>): string[] {
  return [...logins]
    .map((login) => ({ key: loginKey(login), login }))
    .sort(byLogin)
    .map((x) => x.login);
}

/** Counts the approvals of `approvers` as SPEC §2 step 8 does, both lists sorted by login. */
export function countApprovals(stances: readonly Stance[], approvers: Approvers, options: Options, judged: Judged): Count {
  const counted: (CountedApproval & { key: string })[] = [];
  const ignored: (IgnoredReview & { key: string; login: string })[] = [];
  for (const stance of stances) {
    const state = stance.review.state;
    if (state !== "APPROVED" && state !== "DISMISSED") continue;
    const via = approverVia(approvers, stance.login, judged.dir);
    const reason = ignoredReason(stance, via, approvers, options, judged);
    if (reason !== null) {
      ignored.push({ user: stance.login, reason, key: stance.key, login: stance.login });
      continue;
    }
    const { review } = stance;
    counted.push({
      login: stance.login,
      key: stance.key,
      commit: review.commit,
      via,
      ...(review.id !== undefined ? { review_id: review.id } : {}),
      ...(review.submitted_at !== undefined ? { submitted_at: review.submitted_at } : {}),
    });
  }
  return {
    counted: counted.sort(byLogin).map(({ key: _key, ...c }) => c),
    ignored: ignored.sort(byLogin).map(({ user, reason }) => ({ user, reason })),
  };
}
