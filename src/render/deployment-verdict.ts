// The text of a deployment verdict (SPEC §8): the comment that answers a deployment protection rule,
// the compliance/audit check run that holds a deployment or applied record, and the exception issue
// of an unapproved revision running in an environment.
import { exceptionMarker } from "../audit/exception-marker.js";
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

function chainLines(record: VerdictRecord): string[] {
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
