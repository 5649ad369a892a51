// How a check shows an approval count — a rule's or break glass's: the tally, who can still
// approve, who counted on which commit and why, and whose approval did not count and why.
import type { CountedApproval, IgnoredReason, IgnoredReview, Needed } from "../engine/types.js";
import { code, firstOf, joinList, mention, nested, shortSha, text } from "./markdown.js";

/** People listed per rule in a summary (counted, not counted, requesting changes). */
export const MAX_PEOPLE = 20;

/** Whose approvals are counted: a rule's, or break glass's (their reviewers are "not an approver" differently). */
type Counting = "rule" | "break glass";

/** Why an approval did not count, as a sentence about the reviewer. */
const IGNORED: Record<IgnoredReason, (who: string, counting: Counting) => string> = {
  author: (who) => `${who} is the author`,
  contributor: (who) => `${who} authored, committed or co-authored commits of this pull request`,
  stale: (who) => `${who} approved an older commit`,
  bot: (who) => `${who} is a bot`,
  not_an_approver: (who, counting) =>
    counting === "rule" ? `${who} is not an approver of this rule` : `${who} is not a break-glass approver`,
  dismissed: (who) => `${who}: review was dismissed`,
};

/** Who can still approve: `@alice, @acme/sre or anyone with write access`. */
function whoCanApprove(needed: Needed): string {
  return joinList(
    [
      ...needed.users.map(mention),
      ...needed.teams.map(mention),
      ...(needed.permission !== undefined ? [`anyone with ${needed.permission} access`] : []),
    ],
    "or",
  );
}

/** `1 of 2 — needs 1 more from @acme/sre`, `2 of 2 — satisfied`, `none required`. */
function approvalsLine(required: number, counted: number, satisfied: boolean, missing: number, needed: Needed): string {
  if (required === 0) return "none required";
  const tally = `${counted} of ${required}`;
  if (satisfied) return `${tally} — satisfied`;
  const who = whoCanApprove(needed);
  return who === ""
    ? `${tally} — needs ${missing} more, but nobody eligible is left to approve (the remaining approvers are the author or contributors of this pull request)`
    : `${tally} — needs ${missing} more from ${who}`;
}

/** How a counted reviewer qualifies: `member of @acme/sre`, `named in the policy`, `admin access`. */
function viaText(via: string): string {
  if (via === "user") return "named in the policy";
  if (via.startsWith("team:")) return `member of ${mention(via.slice("team:".length))}`;
  if (via.startsWith("permission:")) return `${text(via.slice("permission:".length))} access`;
  return text(via);
}

function countedLine(approval: CountedApproval): string {
  const via = approval.via.length > 0 ? ` (${approval.via.map(viaText).join(", ")})` : "";
  const commit = approval.commit === "" ? "" : ` ${code(shortSha(approval.commit))}`;
  return `${mention(approval.login)} approved${commit}${via}`;
}

/** Why one approval did not count, as a sentence about the reviewer. */
export function ignoredLine(review: IgnoredReview, counting: Counting): string {
  return IGNORED[review.reason](mention(review.user), counting);
}

/**
 * The approvals that did not count, one line per reviewer; reviewers who are simply not approvers
 * (everyone who approved for another rule) share one line at the end, as they need no action.
 */
function ignoredLines(ignored: readonly IgnoredReview[], counting: Counting): string[] {
  const lines = firstOf(
    ignored.filter((r) => r.reason !== "not_an_approver").map((r) => ignoredLine(r, counting)),
    MAX_PEOPLE,
  );
  const outsiders = ignored.filter((r) => r.reason === "not_an_approver").map((r) => mention(r.user));
  if (outsiders.length === 1) lines.push(IGNORED.not_an_approver(outsiders[0] as string, counting));
  if (outsiders.length > 1) {
    const who = joinList(firstOf(outsiders, MAX_PEOPLE));
    lines.push(counting === "rule" ? `${who} are not approvers of this rule` : `${who} are not break-glass approvers`);
  }
  return lines;
}

/** The list items every approval count shows: the tally, who counted, who did not and why. */
export function approvalItems(
  tally: { required: number; satisfied: boolean; missing: number; needed: Needed },
  approvals: readonly CountedApproval[],
  ignored: readonly IgnoredReview[],
  counting: Counting,
): string[] {
  const items = [
    `**Approvals:** ${approvalsLine(tally.required, approvals.length, tally.satisfied, tally.missing, tally.needed)}`,
  ];
  if (approvals.length > 0) items.push(nested("Counted", firstOf(approvals.map(countedLine), MAX_PEOPLE)));
  if (ignored.length > 0) {
    items.push(nested("Not counted", ignoredLines(ignored, counting)));
  }
  return items;
}
