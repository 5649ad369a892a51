// `audit trace` output (SPEC §8.3): the approval chain of an environment up to a revision, as text for
// people and as JSON — each change with who approved it, its merge or push record, the deployment
// and applied verdicts on its commit, or what is missing.
import type { ChainLink, Chain } from "../audit/chain.js";
import { shortSha } from "../audit/short-sha.js";

/** What the trace read of one commit: its change's records and the verdicts on it. */
export interface TracedRecords {
  records: Record<string, unknown>[];
  verdicts: Record<string, unknown>[];
}

/** The trace as rendering needs it (app/trace.ts's Trace). */
export interface TraceView {
  repository: string;
  environment: string;
  sha: string;
  /** The gated branch the revision is on, or null; `branches` are those looked at. */
  branch: string | null;
  branches: string[];
  /** The commit whose policies named the environment. */
  policyCommit: string;
  chain: Chain;
  /** The change records and verdicts read of each commit of the chain, by sha. */
  read: ReadonlyMap<string, TracedRecords>;
  /** Whether the chain is whole on a gated branch: `audit trace` exits 1 otherwise. */
  ok: boolean;
  /** What is missing: the branch's and the chain's problems. */
  problems: string[];
  /** What reading the records noticed: markers no record counts from (another app's, a person's), unreadable records. */
  warnings: string[];
}

/** One approval of a change, as the trace shows it. */
interface TracedApproval {
  rule: string;
  login: string;
  commit: string;
  submitted_at: string | null;
}

const MARK: Record<ChainLink["status"], string> = {
  approved: "✔",
  break_glass: "✔",
  untouched: " ",
  baseline: "✔",
  origin: "·",
  violation: "✘",
  missing: "✘",
  unverified: "✘",
};

const WORDS: Record<ChainLink["status"], string> = {
  approved: "approved",
  break_glass: "approved through break glass",
  untouched: "did not change the environment",
  baseline: "already approved for the environment: the chain is verified up to here",
  origin: "the environment's policy starts here: nothing older is held to it",
  violation: "VIOLATION",
  missing: "NO AUDIT RECORD",
  unverified: "RECORD DOES NOT VERIFY",
};

/** Control characters (C0, DEL, C1) and bidirectional overrides: matching them is the point. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * A line for a terminal: PR titles, status contexts, logins and rule names come from records, and
 * a control character among them could move the cursor or rewrite what was printed before — each
 * is shown as an escape (`\u{1b}`) instead.
 */
function printable(line: string): string {
  return line.replace(CONTROLS, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The record that decided a link (its digest), from what was read of its commit. */
function decidingRecord(link: ChainLink, read: TracedRecords | undefined): Record<string, unknown> | undefined {
  if (link.record === null || read === undefined) return undefined;
  return [...read.records, ...read.verdicts].find((r) => r.digest === link.record);
}

/** The approvals of the environment in a merge or push record. */
function approvalsOf(record: Record<string, unknown> | undefined, environment: string): TracedApproval[] {
  const env = (Array.isArray(record?.environments) ? record.environments : []).filter(isObject).find((e) => e.environment === environment);
  if (!env) return [];
  const rules = Array.isArray(env.rules) ? env.rules.filter(isObject) : [];
  const glass = Array.isArray(env.break_glass_approved_by) ? env.break_glass_approved_by.filter(isObject) : [];
  const out = rules.flatMap((rule) => (Array.isArray(rule.approved_by) ? rule.approved_by.filter(isObject) : []).map((a) => ({ rule: String(rule.name), login: String(a.login), commit: String(a.commit), submitted_at: typeof a.submitted_at === "string" ? a.submitted_at : null })));
  return [...out, ...glass.map((a) => ({ rule: "break glass", login: String(a.login), commit: String(a.commit), submitted_at: typeof a.submitted_at === "string" ? a.submitted_at : null }))];
}

/** The deployment and applied verdicts of the environment on a commit. */
function verdictsOf(read: TracedRecords | undefined, environment: string): Record<string, unknown>[] {
  return (read?.verdicts ?? []).filter((v) => v.environment === environment);
}

function verdictLine(v: Record<string, unknown>): string {
  if (v.kind === "deployment") return `deployment ${String(v.state)} (run ${String(v.run_id)}, GitHub environment ${String(v.github_environment)}) ${String(v.digest)}`;
  const reporter = isObject(v.reporter) ? (v.reporter.type === "status" ? `status ${String(v.reporter.context)}` : `deployment ${String(v.reporter.deployment_id)}`) : "?";
  return `applied ${v.compliant === true ? "and approved" : "UNAPPROVED"} (reported by ${reporter} at ${String(v.reported_at)}) ${String(v.digest)}`;
}

/** The trace as text: a header, one entry per link newest first, and the verdict. */
export function renderTrace(trace: TraceView): string {
  const lines = [
    `Approval chain of ${trace.environment} in ${trace.repository} up to ${shortSha(trace.sha)}${trace.branch !== null ? ` on ${trace.branch}` : ""}`,
    `(policies at ${shortSha(trace.policyCommit)})`,
    "",
  ];
  const tip = verdictsOf(trace.read.get(trace.sha), trace.environment);
  if (tip.length > 0) lines.push(`Verdicts on ${shortSha(trace.sha)}:`, ...tip.map((v) => `  ${verdictLine(v)}`), "");
  for (const link of trace.chain.links) {
    const read = trace.read.get(link.sha);
    const change = link.pull_request !== null ? `#${link.pull_request}${link.title ? ` ${link.title}` : ""}` : "direct push";
    lines.push(`${MARK[link.status]} ${shortSha(link.sha)} ${change} — ${WORDS[link.status]}`);
    if (link.reason !== null) lines.push(`    ${link.reason}`);
    const record = decidingRecord(link, read);
    if (record && (record.kind === "merge" || record.kind === "push")) {
      lines.push(`    ${String(record.kind)} record ${String(record.digest)}`);
      for (const a of approvalsOf(record, trace.environment)) lines.push(`    approved by ${a.login} (${a.rule}) on ${shortSha(a.commit)}${a.submitted_at ? ` at ${a.submitted_at}` : ""}`);
    }
    if (link.sha !== trace.sha) for (const v of verdictsOf(read, trace.environment)) lines.push(`    ${verdictLine(v)}`);
  }
  if (trace.chain.links.length === 0) lines.push("  no change in the walk touched the environment");
  const ends: Record<Chain["end"], string> = {
    baseline: `stopped at ${shortSha(trace.chain.baseline ?? "")}, approved for ${trace.environment} before`,
    origin: `reached the change that brought ${trace.environment} under its policy`,
    root: "reached the repository's first commit",
    bound: "stopped at its bound before any approved verdict",
  };
  lines.push("", `The walk ${ends[trace.chain.end]}.`);
  if (trace.ok) lines.push(`Chain complete: every change that reached ${trace.environment} up to ${shortSha(trace.sha)} was approved.`);
  else lines.push(`Chain BROKEN:`, ...trace.problems.map((p) => `  - ${p}`));
  if (trace.warnings.length > 0) lines.push("", "Warnings (not counted as records):", ...trace.warnings.map((w) => `  - ${w}`));
  return `${lines.map(printable).join("\n")}\n`;
}

/** The trace as JSON. */
export function traceJson(trace: TraceView): Record<string, unknown> {
  return {
    repository: trace.repository,
    environment: trace.environment,
    sha: trace.sha,
    branch: trace.branch,
    policy_commit: trace.policyCommit,
    ok: trace.ok,
    problems: trace.problems,
    warnings: trace.warnings,
    end: trace.chain.end,
    baseline: trace.chain.baseline,
    verdicts: verdictsOf(trace.read.get(trace.sha), trace.environment),
    links: trace.chain.links.map((link) => {
      const read = trace.read.get(link.sha);
      const record = decidingRecord(link, read);
      return {
        sha: link.sha,
        status: link.status,
        pull_request: link.pull_request,
        title: link.title,
        reason: link.reason,
        record: record ?? null,
        approvals: approvalsOf(record, trace.environment),
        verdicts: link.sha === trace.sha ? [] : verdictsOf(read, trace.environment),
      };
    }),
  };
}
