// What an environment's compliance check shows (SPEC §3): its title, summary and text, rendered
// from the decision so that a reviewer can see what is missing and who can supply it.
import type { BreakGlassDecision, EnvironmentDecision, RuleDecision } from "../engine/types.js";
import { TRUNCATED } from "../engine/title.js";
import { formatPolicyError } from "../policy/errors.js";
import type { PolicyError } from "../policy/types.js";
import { approvalItems, ignoredLine, MAX_PEOPLE } from "./approvals.js";
import { cutNote, MAX_WARNINGS, type CheckOutput } from "./check-output.js";
import { fitBlocks, type Block, type ListBlock } from "./fit.js";
import { MAX_CHECK_TEXT, MAX_CHECK_TITLE } from "./limits.js";
import { bullets, code, firstOf, joinList, mention, nested, oneLine, plural, shortSha, text } from "./markdown.js";
import { unlinkedBlock, unlinkedDetail } from "./unlinked.js";

/** Where a decision was made, for links and context in the output. */
export interface CheckContext {
  /** `owner/name`. */
  repository: string;
  /** The base branch commit the policies were read at. */
  policyCommit: string;
  /** Web URL of the GitHub server, default https://github.com. */
  serverUrl?: string;
  /** What gathering the facts found that a reviewer should know (teams it could not find). */
  warnings?: string[];
  /**
   * The largest size of `summary` and of `text`, default GitHub's 65,535. `explain` prints to a
   * terminal and passes Infinity, so nothing is cut.
   */
  limit?: number;
}

/** Files listed per rule (and uncovered paths) in a summary; the rest are counted, and listed in `text`. */
export const MAX_FILES = 10;
const MAX_ERRORS = 50;

const DEFAULT_SERVER = "https://github.com";

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

/** The check output of one environment's decision: what is missing, who can supply it, and why (SPEC §3). */
export function renderEnvironmentCheck(env: EnvironmentDecision, context: CheckContext): CheckOutput {
  const limit = context.limit ?? MAX_CHECK_TEXT;
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

  const summary = fitBlocks(blocks, { limit, footer: footerOf(env, context), note: cutNote });
  const details = detailBlocks(env, warnings);
  const output: CheckOutput = { title: oneLine(env.title, MAX_CHECK_TITLE), summary };
  if (details.length > 0) output.text = fitBlocks(details, { limit, note: cutNote });
  return output;
}

