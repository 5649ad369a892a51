// What a compliance check run shows (SPEC §3): its title, summary and text, rendered from a decision
// so that a reviewer can see what is missing and who can supply it.
import type {
  BreakGlassDecision,
  CountedApproval,
  EnvironmentDecision,
  IgnoredReason,
  IgnoredReview,
  Needed,
  RuleDecision,
} from "../engine/types.js";
import { TRUNCATED } from "../engine/title.js";
import { formatPolicyError } from "../policy/errors.js";
import type { PolicyError } from "../policy/types.js";
import { fitBlocks, type Block, type ListBlock } from "../render/fit.js";
import { bullets, code, firstOf, joinList, mention, oneLine, plural, shortSha, text } from "../render/markdown.js";
import { unlinkedBlock, unlinkedDetail } from "./unlinked-output.js";

/** Where a decision was made, for links and context in the output. */
export interface CheckContext {
  /** `owner/name`. */
  repository: string;
  /** The base branch commit the policies were read at. */
  policyCommit: string;
  /** Web URL of the GitHub server, default https://github.com. */
  serverUrl?: string;
  /** Things the facts gatherer wants a reviewer to know (teams it could not find). */
  warnings?: string[];
  /**
   * The largest size of `summary` and of `text`, default GitHub's 65,535. `explain` prints to a
   * terminal and passes Infinity, so nothing is cut.
   */
  limit?: number;
}

/** The `output` of a check run (GitHub: title ≤ 1,000 chars, summary and text ≤ 65,535). */
export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
}

/** GitHub's limit on a check run's title, in characters. */
export const MAX_TITLE = 1000;
/** GitHub's limit on a check run's summary and text; we count UTF-8 bytes, never fewer than characters. */
export const MAX_OUTPUT = 65_535;
/** Files listed per rule (and uncovered paths) in a summary; the rest are counted, and listed in `text`. */
export const MAX_FILES = 10;
/** People listed per rule in a summary (counted, not counted, requesting changes). */
const MAX_PEOPLE = 20;
const MAX_ERRORS = 50;
const MAX_WARNINGS = 20;
/** Lines of a failure message shown (each cut to MAX_TITLE characters). */
const MAX_FAILURE_LINES = 20;

const DEFAULT_SERVER = "https://github.com";

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

// ---------------------------------------------------------------------------------------------
// pieces

/** `${server}/${repository}/blob/${commit}/${file}`, each path segment encoded. */
function blobUrl(context: CheckContext, file: string): string {
  const server = (context.serverUrl ?? DEFAULT_SERVER).replace(/\/+$/, "");
  const encode = (path: string): string =>
    path
      .split("/")
      .map((segment) => encodeURIComponent(segment).replace(/\(/g, "%28").replace(/\)/g, "%29"))
      .join("/");
  return `${server}/${encode(context.repository)}/blob/${encode(context.policyCommit)}/${encode(file)}`;
}

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

function ignoredLine(review: IgnoredReview, counting: Counting): string {
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

/** `**Label:** items…` as a list item with a nested list. */
function nested(label: string, items: readonly string[]): string {
  return `**${label}:**\n${bullets(items, "  ")}`;
}

/** The list items every approval count shows: the tally, who counted, who did not and why. */
function approvalItems(
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

function ruleBlock(rule: RuleDecision): string {
  const items = approvalItems(rule, rule.approvals, rule.ignored, "rule");
  items.push(nested(`Files (${rule.files.length.toLocaleString("en-US")})`, firstOf(rule.files.map(code), MAX_FILES)));
  return `### Rule: ${text(rule.name)}\n\n${bullets(items)}`;
}

function breakGlassBlock(env: EnvironmentDecision, bg: BreakGlassDecision): string {
  const lead = env.break_glass
    ? "Break glass is for emergencies: merging this pull request is an exception to the policy."
    : "Break glass approves this pull request despite what is missing, once it has both the label and the approvals:";
  const items = [
    `**Label:** ${code(bg.label)} — ${bg.labelled ? "on this pull request" : "not on this pull request"}`,
    ...approvalItems(bg, bg.approvals, bg.ignored, "break glass"),
  ];
  return `### Break glass\n\n${lead}\n\n${bullets(items)}`;
}

function uncoveredBlock(env: EnvironmentDecision): string {
  const n = env.uncovered.length;
  const them = n === 1 ? "it" : "them";
  const files = env.file.split(", ").map(code);
  return (
    `### No rule covers ${plural(n, "path")}\n\n` +
    `Nobody can approve ${n === 1 ? "this path" : "these paths"}, so this check fails closed. ` +
    `Add a rule that covers ${them} to ${joinList(files)}, or exclude ${them} from its scope:\n\n` +
    bullets(firstOf(env.uncovered.map(code), MAX_FILES))
  );
}

function freezeBlock(env: EnvironmentDecision, name: string): string {
  const unless = env.break_glass_detail ? ", unless by break glass" : "";
  return `### Change freeze\n\nThe freeze window **${text(name)}** is active: nothing in this environment merges until it ends${unless}.`;
}

function changesRequestedBlock(logins: readonly string[]): string {
  const one = logins.length === 1;
  const who = joinList(firstOf(logins.map(mention), MAX_PEOPLE));
  return (
    `### Changes requested\n\n${who} requested changes. ` +
    `${one ? "A new approval" : "Their new approvals"}, or the dismissal of ${one ? "the review" : "those reviews"}, unblocks this check.`
  );
}

function errorsBlock(errors: readonly PolicyError[]): string {
  return `### Policy errors\n\n${bullets(firstOf(errors.map((e) => code(formatPolicyError(e))), MAX_ERRORS))}`;
}

function warningsBlock(warnings: readonly string[]): string {
  return `### Warnings\n\n${bullets(firstOf(warnings.map(text), MAX_WARNINGS))}`;
}

function onlyTruncated(env: EnvironmentDecision): boolean {
  return env.errors.length > 0 && env.errors.every((e) => e.field === "" && e.message === TRUNCATED);
}

/** The first line: the state, in words, and in one sentence why. */
function stateLine(env: EnvironmentDecision): string {
  switch (env.state) {
    case "approved":
      return env.break_glass
        ? `**Approved by break glass** — the ${code(env.break_glass_detail?.label ?? "break-glass")} label and its approvals override what is still missing below.`
        : "**Approved** — every applicable rule has the approvals it needs.";
    case "not_affected":
      return "**Not affected** — no changed file is in this environment's scope, so it needs no approval.";
    case "pending": {
      const waiting = env.rules.filter((r) => !r.satisfied).length;
      return `**Pending** — ${waiting} of ${plural(env.rules.length, "applicable rule")} still ${waiting === 1 ? "needs" : "need"} approvals.`;
    }
    case "blocked": {
      const reasons: string[] = [];
      if (env.uncovered.length > 0) reasons.push(`no rule covers ${plural(env.uncovered.length, "path")}`);
      if (env.freeze !== null) reasons.push("a change freeze is active");
      if (env.changes_requested.length > 0) reasons.push("changes were requested");
      if (env.unlinked_blocks) reasons.push("who wrote some commits cannot be told");
      return `**Blocked** — ${joinList(reasons)}. Approvals alone do not unblock this check.`;
    }
    case "error":
      return onlyTruncated(env)
        ? "**Error** — GitHub could not list every changed file of this pull request, so this environment cannot be judged. The check fails closed."
        : "**Error** — this environment's policy on the base branch cannot be evaluated, so its check fails closed until the policy is fixed.";
  }
}

function footerOf(env: EnvironmentDecision, context: CheckContext): string {
  const files = env.file.split(", ").map((file) => `[${code(file)}](${blobUrl(context, file)})`);
  return `Policy: ${joinList(files)} at base commit ${code(shortSha(context.policyCommit))}.`;
}

function truncationNote(left: { blocks: number; items: number }): string {
  const parts = [
    ...(left.blocks > 0 ? [plural(left.blocks, "section")] : []),
    ...(left.items > 0 ? [plural(left.items, "list item")] : []),
  ];
  return `*Cut to fit GitHub's limit: ${joinList(parts)} not shown. \`compliance-gate explain\` prints the whole decision.*`;
}

/** Full lists the summary cut short, for the check's `text`. */
function detailBlocks(env: EnvironmentDecision, warnings: readonly string[]): ListBlock[] {
  const blocks: ListBlock[] = [];
  for (const rule of env.rules) {
    if (rule.files.length > MAX_FILES) {
      blocks.push({ lead: `### All ${plural(rule.files.length, "file")} of rule ${text(rule.name)}`, items: rule.files.map(code) });
    }
    if (rule.ignored.length > MAX_PEOPLE) {
      blocks.push({
        lead: `### Every approval not counted for rule ${text(rule.name)}`,
        items: rule.ignored.map((r) => ignoredLine(r, "rule")),
      });
    }
  }
  if (env.uncovered.length > MAX_FILES) {
    blocks.push({ lead: `### All ${plural(env.uncovered.length, "path")} no rule covers`, items: env.uncovered.map(code) });
  }
  if (env.state === "error" && env.errors.length > MAX_ERRORS) {
    blocks.push({ lead: `### All ${plural(env.errors.length, "error")}`, items: env.errors.map((e) => code(formatPolicyError(e))) });
  }
  const unlinked = unlinkedDetail(env);
  if (unlinked) blocks.push(unlinked);
  if (warnings.length > MAX_WARNINGS) {
    blocks.push({ lead: `### All ${plural(warnings.length, "warning")}`, items: warnings.map(text) });
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// the check outputs

/** The check output of one environment's decision: what is missing, who can supply it, and why (SPEC §3). */
export function renderEnvironmentCheck(env: EnvironmentDecision, context: CheckContext): CheckOutput {
  const limit = context.limit ?? MAX_OUTPUT;
  const warnings = context.warnings ?? [];
  const blocks: Block[] = [stateLine(env)];
  if (env.description !== undefined && env.description.trim() !== "") {
    blocks.push(`**Environment:** ${text(env.environment)} — ${text(env.description)}`);
  }
  const bg = env.break_glass_detail;
  if (env.break_glass && bg) blocks.push(breakGlassBlock(env, bg));

  if (env.state === "error") {
    if (!onlyTruncated(env)) blocks.push(errorsBlock(env.errors));
  } else if (env.state !== "not_affected") {
    if (env.uncovered.length > 0) blocks.push(uncoveredBlock(env));
    if (env.freeze !== null) blocks.push(freezeBlock(env, env.freeze));
    if (env.changes_requested.length > 0) blocks.push(changesRequestedBlock(env.changes_requested));
    const unlinked = unlinkedBlock(env);
    if (unlinked && env.unlinked_blocks) blocks.push(unlinked);
    for (const rule of env.rules) blocks.push(ruleBlock(rule));
    if (!env.break_glass && bg && env.state !== "approved") blocks.push(breakGlassBlock(env, bg));
    if (unlinked && !env.unlinked_blocks) blocks.push(unlinked);
  }
  if (warnings.length > 0) blocks.push(warningsBlock(warnings));

  const summary = fitBlocks(blocks, { limit, footer: footerOf(env, context), note: truncationNote });
  const details = detailBlocks(env, warnings);
  const output: CheckOutput = { title: oneLine(env.title, MAX_TITLE), summary };
  if (details.length > 0) output.text = fitBlocks(details, { limit, note: truncationNote });
  return output;
}

/** The output of `compliance/policy` (SPEC §3.2): the head version's validation errors, or that all is valid. */
export function renderPolicyCheck(errors: readonly PolicyError[], files: readonly string[], warnings: readonly string[] = []): CheckOutput {
  const validated = files.length > 0 ? `Validated: ${joinList(files.map(code))}.` : "";
  // Warnings do not fail the check (SPEC §6.1): they are shown so the author sees them before merging.
  const warned: Block[] = warnings.length > 0 ? [{ lead: "### Warnings", items: firstOf(warnings.map(text), MAX_WARNINGS) }] : [];
  if (errors.length === 0) {
    if (files.length === 0) {
      return {
        title: "No policy files to validate",
        summary: "**Valid** — this pull request leaves no policy file to validate.",
      };
    }
    return {
      title: files.length === 1 ? "1 policy file is valid" : `${plural(files.length, "policy file")} are valid`,
      summary: fitBlocks(
        [
          "**Valid** — every policy file of this pull request passes validation. Its changes take effect once it merges.",
          ...warned,
          { lead: "### Policy files", items: files.map(code) },
        ],
        { limit: MAX_OUTPUT, note: truncationNote },
      ),
    };
  }
  const broken = new Set(errors.map((e) => e.file)).size;
  const first = errors[0] as PolicyError;
  const title = `${plural(errors.length, "error")} in ${plural(broken, "policy file")}: ${formatPolicyError(first)}`;
  const blocks: Block[] = [
    `**Invalid** — ${plural(errors.length, "error")} in ${plural(broken, "policy file")} of this pull request. A broken policy cannot merge: fix ${errors.length === 1 ? "it" : "them"} and push again.`,
    { lead: "### Errors", items: errors.map((e) => code(formatPolicyError(e))) },
    ...warned,
  ];
  if (validated) blocks.push(validated);
  return { title: oneLine(title, MAX_TITLE), summary: fitBlocks(blocks, { limit: MAX_OUTPUT, note: truncationNote }) };
}

/** compliance/policy for a pull request that leaves no policy file where its base branch has some. */
export function renderPoliciesRemoved(dir: string, baseFiles: readonly string[]): CheckOutput {
  return {
    title: "This pull request removes every policy: the repository would no longer be gated",
    summary: fitBlocks(
      [
        `**Invalid** — the base branch has ${plural(baseFiles.length, "policy file")} under ${code(`${dir}/`)}, and this pull request leaves none. ` +
          "Once it merged, compliance-gate would stop checking pull requests into this branch: nothing would be gated any more.",
        "If that is really intended, remove the policies in a pull request merged by an administrator who bypasses this check, and the required checks with them.",
        { lead: "### Policy files on the base branch", items: baseFiles.map(code) },
      ],
      { limit: MAX_OUTPUT, note: truncationNote },
    ),
  };
}

/** The output of a check that could not be decided (fail closed): what went wrong, never a stack trace. */
export function renderFailure(message: string): CheckOutput {
  // A caller may hand over an error's stack by mistake: its frames help no reviewer.
  const lines = message
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "" && !/^\s*at\s/.test(line))
    .slice(0, MAX_FAILURE_LINES)
    .map((line) => text(oneLine(line, MAX_TITLE)));
  const what = lines.length > 0 ? lines.join("\\\n") : "an unknown error";
  return {
    title: oneLine(`Cannot evaluate: ${message.split(/\r?\n/, 1)[0]?.trim() || "an unknown error"}`, MAX_TITLE),
    summary:
      "**Failed** — compliance-gate could not evaluate this pull request, so this check fails closed: it never passes without a decision.\n\n" +
      `### What went wrong\n\n${what}\n\n` +
      "Re-run this check once the cause is fixed; any new push, review or label evaluates it again too.",
  };
}
