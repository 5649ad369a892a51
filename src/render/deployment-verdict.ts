// The text of a deployment verdict (SPEC §8): the comment that answers a deployment protection rule,
// the compliance/audit check run that holds a deployment or applied record, and the exception issue
// of an unapproved revision running in an environment.
import { exceptionMarker } from "../audit/exception-marker.js";
import { rebaselineLine } from "../audit/rebaseline.js";
import type { ChainEntry, VerdictRecord } from "../audit/verdict-record.js";
import { recordBlock } from "./audit-comment.js";
import { cutToLength, fitBlocks, sizeOf } from "./fit.js";
import { MAX_BODY, MAX_CHECK_TEXT, MAX_PROTECTION_COMMENT } from "./limits.js";
import { code, plural, quiet, shortSha } from "./markdown.js";

const STATUS_WORDS: Record<ChainEntry["status"], string> = {
  approved: "approved",
  break_glass: "approved through break glass",
  untouched: "did not change the environment",
  baseline: "approved earlier: the chain is verified up to here",
  origin: "the environment's policy starts here",
  violation: "❌ violation",
  missing: "❌ no audit record",
  unverified: "❌ record does not verify",
};

function reporterName(record: VerdictRecord): string {
  if (record.kind === "deployment") return `run ${record.run_id} (GitHub environment ${record.github_environment})`;
  const r = record.reporter;
  return r.type === "status" ? `commit status ${r.context}` : `deployment ${r.deployment_id} (${r.environment})`;
}

/**
 * The comment of the answer to a deployment protection rule: what was decided and, for a rejection,
 * what is missing — in plain text (the Actions run shows it as is), cut to MAX_PROTECTION_COMMENT.
 */
export function protectionComment(record: VerdictRecord & { kind: "deployment" }): string {
  const head =
    record.state === "approved"
      ? `compliance-gate approves ${shortSha(record.sha)} for ${record.environment}: every change that reached it is approved${record.break_glass ? " (break glass)" : ""}.`
      : `compliance-gate rejects ${shortSha(record.sha)} for ${record.environment}:`;
  const lines = record.state === "approved" ? [head] : [head, ...record.reasons.map((r) => `- ${r}`)];
  if (record.state === "approved" && (record.excepted ?? []).length > 0) lines.push("Break glass goes out over older violations, each with its exception issue:", ...(record.excepted ?? []).map((r) => `- ${r}`));
  const broken = record.chain.end === "bound" || record.chain.links.some((l) => l.status === "violation" || l.status === "missing" || l.status === "unverified");
  if (record.state === "rejected" && record.branch !== null && broken) {
    lines.push(`An approver of ${record.environment} can accept this chain after review: close, as completed, an issue holding the line \`${rebaselineLine(record.environment, record.branch, record.sha)}\`.`);
  }
  lines.push(`Record ${record.digest} in the compliance/audit check of ${shortSha(record.sha)}.`);
  return cutToLength(lines.join("\n"), MAX_PROTECTION_COMMENT, "…");
}

/** The title and summary of the compliance/audit check run that holds a verdict record. */
export function verdictCheckHeadline(record: VerdictRecord): { title: string; summary: string } {
  const what = record.kind === "deployment" ? `Deployment to ${record.environment}` : `Applied in ${record.environment}`;
  const outcome =
    record.kind === "deployment" ? (record.state === "approved" ? "approved" : "rejected") : record.compliant ? "approved revision" : "compliance violation: unapproved revision";
  const reasons = record.reasons.length > 0 ? `\n\n${record.reasons.map((r) => `- ${quiet(r)}`).join("\n")}` : "";
  return {
    title: `${what}: ${outcome}`,
    summary: `Reported by ${quiet(reporterName(record))}. The record is below (digest ${code(record.digest)}).${reasons}`,
  };
}

/** The chain a verdict (or a re-baseline) record keeps, as Markdown lines: its links, then where the walk stopped. */
export function chainLines(record: { chain: VerdictRecord["chain"]; environment: string }): string[] {
  const lines = record.chain.links.map((l) => {
    const change = l.pull_request !== null ? `#${l.pull_request}` : "direct push";
    return `- ${code(shortSha(l.sha))} ${change}: ${STATUS_WORDS[l.status]}${l.reason !== null ? ` — ${quiet(l.reason)}` : ""}`;
  });
  const ends: Record<VerdictRecord["chain"]["end"], string> = {
    baseline: `the walk stopped at ${record.chain.baseline !== null ? code(shortSha(record.chain.baseline)) : "an earlier verdict"}, already approved for ${code(record.environment)}`,
    origin: `the walk reached the change that brought ${code(record.environment)} under its policy`,
    root: "the walk reached the repository's first commit",
    bound: "the walk stopped at its bound before any approved verdict: the chain could not be verified",
  };
  return [...(lines.length > 0 ? lines : ["- no change touched the environment"]), "", `_${ends[record.chain.end]}._`];
}

/** The check run's text: the chain and the record block; null when the record alone does not fit (a cut record would not verify). */
export function verdictCheckText(record: VerdictRecord, notes: readonly string[] = []): string | null {
  const footer = recordBlock(record, false);
  if (sizeOf(footer) > MAX_CHECK_TEXT) return null;
  const blocks = [`**Approval chain of ${code(record.environment)} up to ${code(shortSha(record.sha))}** (${plural(record.chain.links.length, "link")})\n\n${chainLines(record).join("\n")}`, ...notes];
  return fitBlocks(blocks, { limit: MAX_CHECK_TEXT, footer, note: ({ blocks: left }) => `_${plural(left, "part")} left out to fit; the record below is complete._` });
}

/** How an approver accepts a chain after review: the instructions and the line an issue must hold. */
function rebaselineHow(environment: string, branch: string, sha: string): string {
  return [
    `**To accept it.** Find out how the change got there; roll it back, or review it after the fact. If the environment's approvers accept the approval chain of ${code(environment)} on ${code(branch)} up to and including ${code(shortSha(sha))}, one of them — an approver of one of its rules that need approvals, who made none of the changes it accepts — closes this issue as completed. That records a sealed **re-baseline**: later deployments and applied revisions are judged from there, and every change up to it counts as accepted (all of them, not only this one). The line below is what asks for it; keep it as it is:`,
    "",
    "```text",
    rebaselineLine(environment, branch, sha),
    "```",
    "",
    "Closing as not planned accepts nothing.",
  ].join("\n");
}

/** The key of the exception of a change that breaks an environment's chain on a branch: one issue per change, however many revisions carry it. */
export function brokenLinkKey(repository: string, sha: string, environment: string, branch: string): string {
  return `${repository}@${sha} breaks the chain of ${environment} on ${branch}`;
}

/** The key of the exception of a chain the walk could not finish: one per environment and branch. */
export function unverifiableChainKey(repository: string, environment: string, branch: string): string {
  return `${repository}:${branch} chain of ${environment} cannot be verified`;
}

/** The exception issue of a change that breaks the approval chain of a revision an operator applied. */
export function brokenLinkException(record: VerdictRecord & { kind: "applied" }, link: ChainEntry, key: string): { title: string; body: string } {
  const branch = record.branch ?? "";
  const title = `Compliance exception: ${shortSha(link.sha)} breaks the approval chain of ${record.environment} on ${branch}`;
  const blocks = [
    exceptionMarker(key),
    `### ❌ A change reached ${code(record.environment)} without approval\n\n${quiet(link.reason ?? `${shortSha(link.sha)} breaks the chain`)}.\n\nThe ${quiet(reporterName(record))} reported at ${quiet(record.reported_at)} that it applied ${code(record.sha)}, which carries it. Every later revision that carries it is unapproved too; this issue stands for all of them.`,
    rebaselineHow(record.environment, branch, link.sha),
    `**The chain of ${code(shortSha(record.sha))}**\n\n${chainLines(record).join("\n")}`,
    `Digest ${code(record.digest)}; check it with \`compliance-gate audit verify\`.`,
  ];
  return { title, body: fitBlocks(blocks, { limit: MAX_BODY, footer: recordBlock(record, false), note: ({ blocks: left }) => `_${plural(left, "part")} left out to fit GitHub's size limit; the record below is complete._` }) };
}

/** The exception issue of an approval chain the walk could not finish (its bound, or the history listing, ran out). */
export function unverifiableChainException(record: VerdictRecord & { kind: "applied" }, key: string): { title: string; body: string } {
  const branch = record.branch ?? "";
  const title = `Compliance exception: the approval chain of ${record.environment} on ${branch} cannot be verified`;
  const blocks = [
    exceptionMarker(key),
    `### ❌ The approval chain of ${code(record.environment)} cannot be verified\n\nThe ${quiet(reporterName(record))} reported at ${quiet(record.reported_at)} that it applied ${code(record.sha)}. ${record.reasons.map((r) => quiet(r)).join(" ")}`,
    rebaselineHow(record.environment, branch, record.sha),
    `**The chain walked**\n\n${chainLines(record).join("\n")}`,
    `This issue is opened once per environment and branch. If the walk falls short again after a re-baseline, open an issue holding the line above (with the revision that runs) and close it as an approver.`,
  ];
  return { title, body: fitBlocks(blocks, { limit: MAX_BODY, footer: recordBlock(record, false), note: ({ blocks: left }) => `_${plural(left, "part")} left out to fit GitHub's size limit; the record below is complete._` }) };
}

/** The key of the exception of an unapproved revision running in an environment: one issue per revision and environment. */
export function appliedExceptionKey(repository: string, sha: string, environment: string): string {
  return `${repository}@${sha} applied in ${environment}`;
}

/** The exception issue of an unapproved revision an operator applied. */
export function appliedException(record: VerdictRecord & { kind: "applied" }, key: string): { title: string; body: string } {
  const title = `Compliance exception: unapproved revision ${shortSha(record.sha)} running in ${record.environment}`;
  const blocks = [
    exceptionMarker(key),
    `### ❌ Unapproved revision running in ${code(record.environment)}\n\nThe ${quiet(reporterName(record))} reported at ${quiet(record.reported_at)} that it applied ${code(record.sha)}, whose approval chain is broken.`,
    `**What is missing**\n\n${record.reasons.map((r) => `- ${quiet(r)}`).join("\n")}`,
    `**The chain**\n\n${chainLines(record).join("\n")}`,
    `Please find out how it got there, roll it back or approve the changes after the fact, write down the conclusion here and close this issue. Digest ${code(record.digest)}; check it with \`compliance-gate audit verify\`.`,
  ];
  return { title, body: fitBlocks(blocks, { limit: MAX_BODY, footer: recordBlock(record, false), note: ({ blocks: left }) => `_${plural(left, "part")} left out to fit GitHub's size limit; the record below is complete._` }) };
}
