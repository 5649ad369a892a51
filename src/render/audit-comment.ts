// The audit comment on a merged pull request (SPEC §4.1): a summary people read, ending with the
// record machines read behind the audit marker (audit/comment.ts reads it back).
import type { RebaselineRecordBody } from "../audit/rebaseline.js";
import { AUDIT_MARKER } from "../audit/comment.js";
import type { AuditApproval, AuditEnvironment, AuditRecord, AuditUnlinked, UnsealedRecord } from "../audit/record.js";
import type { UnsealedVerdict, VerdictRecord } from "../audit/verdict-record.js";
import { describeIdentity } from "../engine/title.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import { fitBlocks, sizeOf } from "./fit.js";
import { MAX_BODY } from "./limits.js";
import { code, oneLine, plural, quiet, shortSha } from "./markdown.js";

export interface AuditCommentExtra {
  /** GitHub's web address (https://github.com, or a GHES host): links the policy files at their commit. */
  serverUrl?: string;
  /** Markdown paragraphs placed before the record, e.g. the exception issue opened; trusted, not escaped. */
  notes?: string[];
}

function login(name: string | null): string {
  return name === null ? "an unknown account" : quiet(name);
}

function when(iso: string | null): string {
  return iso === null ? "at an unknown time" : `at ${quiet(iso)}`;
}

function viaText(via: string): string {
  if (via === "user") return "named in the rule";
  if (via.startsWith("team:")) return `member of ${quiet(via.slice("team:".length))}`;
  if (via.startsWith("permission:")) return `holds ${quiet(via.slice("permission:".length))} permission`;
  return quiet(via);
}

function approvalLine(a: AuditApproval): string {
  const review = a.review_id === null ? [] : [`review ${a.review_id}`];
  const why = [...review, ...a.via.map(viaText)];
  return `${login(a.login)} approved ${code(shortSha(a.commit))} ${when(a.submitted_at)}${why.length > 0 ? ` (${why.join("; ")})` : ""}`;
}

function stateText(env: AuditEnvironment): string {
  return env.break_glass ? "approved by break glass" : env.state;
}

function environmentBlock(env: AuditEnvironment): string {
  const lines = [`#### ${quiet(env.environment)}: ${stateText(env)}`, ""];
  lines.push(`${plural(env.files, "file")} in scope · policy ${code(env.policy_file)}`, "");
  const items: string[] = [];
  for (const rule of env.rules) {
    const mark = rule.satisfied ? "✅" : "❌";
    items.push(`- ${mark} **${quiet(rule.name)}**: ${rule.approved_by.length} of ${plural(rule.required, "approval")}`);
    for (const a of rule.approved_by) items.push(`  - ${approvalLine(a)}`);
  }
  if (env.break_glass) {
    items.push("- 🚨 **Break glass** opened by:");
    for (const a of env.break_glass_approved_by) items.push(`  - ${approvalLine(a)}`);
  }
  if (env.uncovered > 0) items.push(`- No rule covered ${plural(env.uncovered, "file")}`);
  if (env.freeze !== null) items.push(`- During the freeze window ${code(env.freeze)}`);
  if (env.changes_requested.length > 0) items.push(`- Changes requested by ${env.changes_requested.map(login).join(", ")}`);
  if (env.unlinked_blocks) items.push("- Blocked: who wrote some commits cannot be told (identities linked to no GitHub account)");
  for (const error of env.errors) items.push(`- Error: ${quiet(error)}`);
  if (items.length === 0) items.push("- No rule applied");
  return [...lines, ...items].join("\n");
}

function verdict(record: UnsealedRecord): string {
  const what = record.kind === "merge" ? "merge" : `direct push to ${code(record.base)}`;
  if (!record.compliant) {
    const missing = record.environments.filter((e) => e.state !== "approved").map((e) => `${code(e.environment)} was ${e.state}`);
    return `### ❌ Compliance violation\n\nThis ${what} reached environments without the approvals their policies require: ${missing.join(", ")}.`;
  }
  const broken = record.environments.filter((e) => e.break_glass).map((e) => code(e.environment));
  if (broken.length > 0) {
    return `### 🚨 Approved by break glass\n\nThis ${what} was approved through the break-glass path of ${broken.join(", ")}: an exception that needs a retrospective review.`;
  }
  return `### ✅ Compliant\n\nEvery environment this ${what} reached was approved under its policy.`;
}

/** Identities shown in the summary; the record lists every one. */
const MAX_UNLINKED_SHOWN = 20;

function unlinkedText(u: AuditUnlinked): string {
  return `${code(shortSha(u.commit))} ${u.role} ${quiet(describeIdentity(u))}`;
}

/** The sentence naming the identities linked to no account, or none. */
function unlinkedParagraph(record: UnsealedRecord): string[] {
  const n = record.unlinked.length;
  if (n === 0) return [];
  const shown = record.unlinked.slice(0, MAX_UNLINKED_SHOWN).map(unlinkedText);
  if (n > shown.length) shown.push(`and ${n - shown.length} more`);
  return [
    `⚠️ Separation of duties cannot be shown for ${plural(n, "commit identity", "commit identities")} linked to no GitHub account: ${shown.join("; ")}.`,
  ];
}

/** The issues a merge closes, as GitHub linked them: why it was made (its description is in the record). */
function whyLine(record: UnsealedRecord & { kind: "merge" }): string[] {
  const issues = record.linked_issues;
  if (issues === undefined || issues === null || issues.length === 0) return [];
  const more = record.linked_issues_total !== undefined && record.linked_issues_total > issues.length ? ` and ${record.linked_issues_total - issues.length} more` : "";
  return [`Closes ${issues.map((i) => `${quiet(i.repository)}#${i.number} ${quiet(oneLine(i.title, 80))}`).join("; ")}${more}.`];
}

function changeParagraph(record: UnsealedRecord): string {
  if (record.kind === "merge") {
    return [
      `Pull request ${quiet(record.repository)}#${record.pull_request} **${quiet(record.title)}** by ${login(record.author)}`,
      `was merged into ${code(record.base)} by ${login(record.merged_by)} ${when(record.merged_at)}.`,
      `Head ${code(shortSha(record.head_sha))}, merge commit ${code(shortSha(record.merge_commit_sha))};`,
      `contributors: ${record.contributors.map(login).join(", ") || "none"}.`,
      ...whyLine(record),
    ].join("\n");
  }
  return [
    `${login(record.pusher)} pushed ${plural(record.commits.length, "commit")} that ${record.commits.length === 1 ? "belongs" : "belong"} to no merged pull request`,
    `to ${code(record.base)} of ${quiet(record.repository)} ${when(record.pushed_at)}:`,
    `${code(shortSha(record.before))}…${code(shortSha(record.after))};`,
    `contributors: ${record.contributors.map(login).join(", ") || "none"}.`,
  ].join("\n");
}

function pathUrl(serverUrl: string, repository: string, commit: string, path: string): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `${serverUrl.replace(/\/+$/, "")}/${repository.split("/").map(encodeURIComponent).join("/")}/blob/${encodeURIComponent(commit)}/${encoded}`;
}

function policyBlock(record: UnsealedRecord, serverUrl: string | undefined): string {
  const files = sortByCodePoint(Object.keys(record.policy.files));
  const lines = [`**Policy** at base commit ${code(shortSha(record.policy.commit))}:`, ""];
  for (const path of files) {
    const name = serverUrl ? `[${code(path)}](${pathUrl(serverUrl, record.repository, record.policy.commit, path)})` : code(path);
    lines.push(`- ${name} (blob ${code(shortSha(record.policy.files[path] as string))})`);
  }
  if (files.length === 0) lines.push("- no policy files");
  return lines.join("\n");
}

function sealLine(record: UnsealedRecord | AuditRecord): string | null {
  const digest = (record as Partial<AuditRecord>).digest;
  if (typeof digest !== "string") return null;
  const signed = typeof (record as Partial<AuditRecord>).signature === "string" ? "signed with the app's Ed25519 key" : "not signed";
  return `Digest ${code(digest)}, ${signed}. Check it with \`compliance-gate audit verify\`.`;
}

/** The machine-readable end of an audit comment: the marker, then the record as JSON in a collapsed block. */
export function recordBlock(record: UnsealedRecord | AuditRecord | UnsealedVerdict | VerdictRecord | RebaselineRecordBody, pretty = true): string {
  const json = pretty ? JSON.stringify(record, null, 2) : JSON.stringify(record);
  // Pretty or not, no line of the JSON can close the fence: each starts with a space, a brace or a bracket.
  return `${AUDIT_MARKER}\n<details><summary>Audit record</summary>\n\n\`\`\`json\n${json}\n\`\`\`\n</details>`;
}

/**
 * The audit comment for `record` (SPEC §4.1): verdict, the change, each environment's decision
 * with who approved which commit when and why they counted, break glass, the policy version,
 * the seal — every string from users escaped, nobody @mentioned — ending with the marker and the
 * record as JSON. Within GitHub's size limit (MAX_BODY): the summary is cut before the record
 * ever is; only a record that alone exceeds the limit makes a longer body, which the caller
 * must check (sizeOf) and cannot post.
 */
export function renderAuditComment(record: UnsealedRecord | AuditRecord, extra: AuditCommentExtra = {}): string {
  const blocks = [
    verdict(record),
    changeParagraph(record),
    ...unlinkedParagraph(record),
    ...record.environments.map(environmentBlock),
    policyBlock(record, extra.serverUrl),
    ...(extra.notes ?? []),
  ];
  const seal = sealLine(record);
  if (seal) blocks.push(seal);
  let footer = recordBlock(record);
  // Leave the summary some room; a record that big is still whole, only without indentation.
  if (sizeOf(footer) > MAX_BODY / 2) footer = recordBlock(record, false);
  return fitBlocks(blocks, {
    limit: MAX_BODY,
    footer,
    note: ({ blocks: left }) => `_${plural(left, "part")} of this summary left out to fit GitHub's size limit; the record below is complete._`,
  });
}

/** The note of an audit comment that names the exception issue opened for the change. */
export function exceptionNote(issue: number): string {
  return `**Exception** tracked in #${issue}.`;
}

/** The note of an audit comment saying what could not be done (`the deployment to x could not be recorded`). */
export function problemNote(problem: string): string {
  return `⚠️ ${quiet(problem.charAt(0).toUpperCase() + problem.slice(1))}.`;
}
