// The exception issue of an enforcement gap (SPEC §5, "drift is evidence"): who weakened which
// branch's required checks, what changed, when, how long the branch was unguarded, that the app
// restored it — and the gap's record, which the merge recorder and `audit export` read back.
import { GAP_MARKER, type GapRecord, type UnsealedGap } from "../audit/enforcement-gap.js";
import { exceptionMarker } from "../audit/exception-marker.js";
import { fitBlocks, type Block } from "./fit.js";
import { MAX_BODY } from "./limits.js";
import { code, mention, oneLine, quiet, text } from "./markdown.js";

/** A gap record's block in a body (audit/enforcement-gap.ts reads it back): the marker, then the JSON in a fenced block. */
export function gapBlock(record: GapRecord): string {
  return `${GAP_MARKER}\n<details><summary>Enforcement gap record</summary>\n\n\`\`\`json\n${JSON.stringify(record, null, 2)}\n\`\`\`\n</details>`;
}

/** How long, in words: `3 minutes`, `2 hours 5 minutes`, `under a second`. */
export function duration(ms: number): string {
  if (ms < 1000) return "under a second";
  const s = Math.round(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), "day"],
    [Math.floor((s % 86_400) / 3600), "hour"],
    [Math.floor((s % 3600) / 60), "minute"],
    [s % 60, "second"],
  ];
  return parts
    .filter(([n]) => n > 0)
    .slice(0, 2)
    .map(([n, unit]) => `${n} ${unit}${n === 1 ? "" : "s"}`)
    .join(" ");
}

/** The issue's title. */
export function enforcementIssueTitle(gap: UnsealedGap): string {
  const where = gap.branches.join(", ");
  const who = gap.by !== null ? ` by ${gap.by}` : "";
  return oneLine(`Compliance exception: required checks weakened on ${where}${who}`, 256);
}

/** The commits that landed on a branch inside a gap, as listed when the gap was recorded. */
export interface LandedOn {
  branch: string;
  commits: { sha: string; title: string; at: string | null }[];
  /** False when more landed than were listed. */
  complete: boolean;
}

/** The window in words: from about when (or "a time that is not known"), until when, how long. */
function windowLine(gap: UnsealedGap): string {
  const until = gap.restored ? `until ${quiet(gap.until)}, when compliance-gate restored them` : `still on at ${quiet(gap.until)}: compliance-gate could not restore them`;
  const where = gap.branches.map(code).join(", ");
  if (gap.from === null) {
    return `**Unguarded since a time that is not known** (the app had not verified the requirement since it started), ${until}. Every merge into ${where} before then is flagged "start unknown" in \`compliance-gate audit export\`: review them.`;
  }
  const long = gap.restored ? `: ${duration(Date.parse(gap.until) - Date.parse(gap.from))}` : "";
  return `**Unguarded from about ${quiet(gap.from)}** (the earliest it can have begun: the last time the requirement was verified, or GitHub's date of the change) ${until}${long}. Pull requests merged into ${where} in that time could have merged without the approvals their policies require; their audit records and \`compliance-gate audit export\` flag them (\`enforcement_gap\`).`;
}

function landedBlock(landed: readonly LandedOn[]): Block[] {
  return landed.map((l) => ({
    lead: `**Landed on ${code(l.branch)} in the window**${l.complete ? "" : " (the first 100)"}`,
    items: l.commits.length === 0 ? ["nothing"] : l.commits.map((c) => `${code(c.sha.slice(0, 7))} ${text(oneLine(c.title, 120))}${c.at !== null ? ` (${quiet(c.at)})` : ""}`),
  }));
}

/** The issue body: marker, what happened and how long, what was restored, what landed meanwhile, and the gap's record last. */
export function enforcementIssueBody(key: string, gap: GapRecord, options: { landed?: readonly LandedOn[]; limit?: number } = {}): string {
  const who = gap.by !== null ? mention(gap.by) : "Someone";
  const event = gap.event !== null ? ` (${code(gap.event)})` : "";
  const outcome = gap.restored ? "compliance-gate restored them." : "compliance-gate could not restore them.";
  const opening =
    gap.by !== null
      ? `${who} weakened the required checks that make compliance-gate's decisions binding${event}. ${outcome}`
      : `compliance-gate found the required checks that make its decisions binding weakened, at ${quiet(gap.found_at)}${gap.event !== null ? `, while handling ${code(gap.event)}` : ""}. ${outcome} Who did it is not known: the app had not verified the requirement since it started, or the change reached it by no event.`;
  return fitBlocks(
    [
      exceptionMarker(key),
      `### ⚠️ Required checks weakened\n\n${opening}`,
      { lead: "**What changed**", items: gap.what.map(quiet) },
      windowLine(gap),
      ...landedBlock(options.landed ?? []),
      "**Follow-up**: confirm whether the change was intended and authorised, review any merge in the window, write down the conclusion here and close this issue. To change what is required, change the policies (`enforce.required_check`) in a reviewed pull request instead. The record below is sealed (its digest, and its signature when the app signs): an edit makes it fail verification, and a copy is kept in a `compliance/audit` check run nobody can edit.",
    ],
    { limit: options.limit ?? MAX_BODY, footer: gapBlock(gap), note: () => "_Part of this description was left out to fit GitHub's size limit; the record below is complete._" },
  );
}

/** The check run that keeps the gap's record (title and text): the same record, where nobody can edit it. */
export function enforcementCheckTitle(gap: UnsealedGap): string {
  return oneLine(`Enforcement gap: required checks weakened on ${gap.branches.join(", ")}${gap.from !== null ? ` from ${gap.from}` : ""}`, 200);
}

/** The issue opened once when drift keeps being undone after the app restored it MAX_RESTORES_PER_HOUR times. */
export function undoneIssue(key: string, request: { branches: string[]; restores: number; until: string; by: string | null; what: string[] }): { title: string; body: string } {
  const where = request.branches.join(", ");
  return {
    title: oneLine(`Compliance exception: the required checks of ${where} keep being undone`, 256),
    body: fitBlocks(
      [
        exceptionMarker(key),
        `### ⚠️ The required checks keep being undone\n\ncompliance-gate restored the required checks of ${request.branches.map(code).join(", ")} ${request.restores} times within an hour, and they were weakened again${request.by !== null ? ` (last by ${mention(request.by)})` : ""}. It stops restoring them until ${quiet(request.until)} so as not to fight whatever undoes them (another registration of the app, a settings tool, a script). Until then the branches are not guarded, and \`compliance/policy\` says so on their pull requests.`,
        { lead: "**Last found**", items: request.what.map(quiet) },
        "**Follow-up**: find what keeps changing the ruleset (the repository's settings audit log names it), stop it, and run `compliance-gate enforce --apply` or wait for the next event.",
      ],
      { limit: MAX_BODY, note: () => "_Part of this description was left out to fit GitHub's size limit._" },
    ),
  };
}

/** The issue opened when protection is taken off branches that were guarded (the policies stopped asking, or the default branch changed). */
export function removedIssue(key: string, request: { branches: string[]; by: string | null; event: string | null; policyCommit: string; defaultBranch: string }): { title: string; body: string } {
  const where = request.branches.join(", ");
  const who = request.by !== null ? `${mention(request.by)}'s change${request.event !== null ? ` (${code(request.event)})` : ""}` : "A change";
  return {
    title: oneLine(`Compliance notice: required checks removed from ${where}`, 256),
    body: fitBlocks(
      [
        exceptionMarker(key),
        `### Required checks removed\n\n${who} left the policies of ${code(request.defaultBranch)}${request.policyCommit !== "" ? ` (at ${code(request.policyCommit.slice(0, 7))})` : ""} no longer asking for the required checks of ${request.branches.map(code).join(", ")}, so compliance-gate took them off: pull requests into those branches can merge without its checks.`,
        "**Follow-up**: confirm the policy change (or the change of default branch) was intended and reviewed, and close this issue.",
      ],
      { limit: MAX_BODY, note: () => "_Part of this description was left out to fit GitHub's size limit._" },
    ),
  };
}
