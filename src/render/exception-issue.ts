// The title and body of an exception issue (SPEC §4.3): what reached which environment without
// the approvals its policy requires (or through break glass), who should review it afterwards —
// @mentioned, on purpose — and the sealed record itself, a second copy of the evidence.
import { exceptionMarker } from "../audit/exception-marker.js";
import type { AuditRecord } from "../audit/record.js";
import type { State } from "../engine/types.js";
import { recordBlock } from "./audit-comment.js";
import { fitBlocks } from "./fit.js";
import { MAX_BODY } from "./limits.js";
import { code, mention, oneLine, plural, quiet, shortSha } from "./markdown.js";

/** A rule of an excepted environment that was not satisfied. */
interface MissingRule {
  name: string;
  required: number;
  missing: number;
  /** Who could have approved, as a check title says it (`@alice or @acme/sre`). */
  needed: string;
}

/** An environment the exception is about. */
export interface ExceptedEnvironment {
  environment: string;
  state: Exclude<State, "not_affected">;
  break_glass: boolean;
  /** The decision's one-line title. */
  title: string;
  missing: MissingRule[];
  /** Freeze window in force, or null. */
  freeze: string | null;
}

/** What an exception issue says. */
export interface ExceptionReport {
  /** `owner/name#42`, or `owner/name@<before>..<after>` for a push: names the change, in the hidden marker. */
  key: string;
  record: AuditRecord;
  /** Environments merged (or pushed) while not approved. */
  violations: ExceptedEnvironment[];
  /** Environments approved through break glass. */
  breakGlass: ExceptedEnvironment[];
  /** Logins and `org/team` slugs asked for the retrospective review. */
  reviewers: string[];
  /** The PR's (or commit's) web address, and the audit record's, when known. */
  changeUrl: string | null;
  recordUrl: string | null;
}

function changeName(record: AuditRecord): string {
  return record.kind === "merge" ? `#${record.pull_request}` : `direct push to ${record.base} (${shortSha(record.after)})`;
}

/** The change, to start a sentence with (the next paragraph names it). */
function changeSubject(record: AuditRecord): string {
  return record.kind === "merge" ? "This pull request" : "This direct push";
}

/** The issue's title: one line saying which change and what kind of exception. */
export function exceptionTitle(report: ExceptionReport): string {
  const { record } = report;
  const what = record.kind === "merge" ? `#${record.pull_request} ${oneLine(record.title, 80)}` : changeName(record);
  const envs = (list: ExceptedEnvironment[]): string => list.map((e) => e.environment).join(", ");
  if (report.violations.length > 0) {
    const also = report.breakGlass.length > 0 ? `; break glass in ${envs(report.breakGlass)}` : "";
    return `Compliance exception: ${what} reached ${envs(report.violations)} without approval${also}`;
  }
  return `Break glass: ${what} needs a retrospective review (${envs(report.breakGlass)})`;
}

function environmentItems(env: ExceptedEnvironment): string[] {
  const state = env.break_glass ? "approved by break glass" : env.state;
  const items = [`${code(env.environment)}: **${state}** — ${quiet(env.title)}`];
  for (const rule of env.missing) {
    items.push(`  - rule **${quiet(rule.name)}**: ${plural(rule.required - rule.missing, "approval")} of ${rule.required}${rule.needed ? `; could approve: ${quiet(rule.needed)}` : ""}`);
  }
  if (env.freeze !== null) items.push(`  - during the freeze window ${code(env.freeze)}`);
  return items;
}

function changeParagraph(report: ExceptionReport): string {
  const { record } = report;
  const link = report.changeUrl !== null ? ` ([link](${report.changeUrl}))` : "";
  if (record.kind === "merge") {
    return (
      `Pull request #${record.pull_request} **${quiet(record.title)}** by ${quiet(record.author)} was merged into ${code(record.base)} ` +
      `by ${record.merged_by === null ? "an unknown account" : quiet(record.merged_by)} at ${quiet(record.merged_at)}${link}.`
    );
  }
  return (
    `${quiet(record.pusher)} pushed ${plural(record.commits.length, "commit")} that belong to no merged pull request to ${code(record.base)} ` +
    `at ${quiet(record.pushed_at)}: ${code(shortSha(record.before))}…${code(shortSha(record.after))}${link}.`
  );
}

/** The issue body: the marker first, then what happened, what was missing, who reviews, and the record. */
export function exceptionBody(report: ExceptionReport): string {
  const { record } = report;
  const blocks: string[] = [exceptionMarker(report.key)];
  if (report.violations.length > 0) {
    blocks.push(`### ❌ Compliance violation\n\n${changeSubject(record)} reached environments without the approvals their policies require.`);
  } else {
    blocks.push(`### 🚨 Break glass\n\n${changeSubject(record)} was approved through the break-glass path: an emergency exception that needs a retrospective review.`);
  }
  blocks.push(changeParagraph(report));
  if (report.violations.length > 0) blocks.push(`**What was missing**\n\n${report.violations.flatMap(environmentItems).map((i) => (i.startsWith("  ") ? i : `- ${i}`)).join("\n")}`);
  if (report.breakGlass.length > 0) blocks.push(`**Break glass**\n\n${report.breakGlass.flatMap(environmentItems).map((i) => (i.startsWith("  ") ? i : `- ${i}`)).join("\n")}`);
  const who = report.reviewers.map(mention).join(", ");
  blocks.push(
    `**Retrospective review**\n\n${who === "" ? "The environments' approvers" : who}: please review this change after the fact — was it right, ` +
      "and what should change so that it is not needed again — write down the conclusion here and close this issue.",
  );
  const where = report.recordUrl !== null ? `The audit record is on [the pull request](${report.recordUrl}); a copy follows.` : "The audit record:";
  blocks.push(`${where} Digest ${code(record.digest)}; check it with \`compliance-gate audit verify\`.`);
  return fitBlocks(blocks, {
    limit: MAX_BODY,
    footer: recordBlock(record, false),
    note: ({ blocks: left }) => `_${plural(left, "part")} of this description left out to fit GitHub's size limit; the record below is complete._`,
  });
}

/** The comment that closes a later duplicate of the exception issue `kept` (two writers at once). */
export function duplicateIssueComment(kept: number): string {
  return `Duplicate of #${kept}: the same exception was reported twice at once. Follow up there.`;
}
