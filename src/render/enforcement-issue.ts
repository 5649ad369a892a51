// The exception issue of an enforcement gap (SPEC §5, "drift is evidence"): who weakened which
// branch's required checks, what changed, when, how long the branch was unguarded, that the app
// restored it — and the gap's record, which the merge recorder and `audit export` read back.
import { gapBlock, type GapRecord } from "../audit/enforcement-gap.js";
import { exceptionMarker } from "../audit/exception-marker.js";
import { fitBlocks } from "./fit.js";
import { MAX_BODY } from "./limits.js";
import { code, mention, oneLine, quiet } from "./markdown.js";

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
export function enforcementIssueTitle(gap: GapRecord): string {
  const where = gap.branches.join(", ");
  const who = gap.by !== null ? ` by ${gap.by}` : "";
  return oneLine(`Compliance exception: required checks weakened on ${where}${who}`, 256);
}

/** The issue body: marker, what happened and how long, what was restored, and the gap's record last. */
export function enforcementIssueBody(key: string, gap: GapRecord): string {
  const who = gap.by !== null ? mention(gap.by) : "Someone";
  const event = gap.event !== null ? ` (${code(gap.event)})` : "";
  const opening =
    gap.by !== null || gap.event !== null
      ? `${who} weakened the required checks that make compliance-gate's decisions binding${event}. compliance-gate restored them.`
      : `compliance-gate found the required checks that make its decisions binding weakened, at ${quiet(gap.found_at)}, and restored them. Who did it is not known: it happened while no event reached the app.`;
  const window =
    gap.from !== null
      ? `**Unguarded** from ${quiet(gap.from)} until ${quiet(gap.until)}: ${duration(Date.parse(gap.until) - Date.parse(gap.from))}. Pull requests merged into ${gap.branches.map(code).join(", ")} in that time could have merged without the approvals their policies require; their audit records and \`compliance-gate audit export\` flag them (\`enforcement_gap\`).`
      : `**Unguarded** until ${quiet(gap.until)}, since a time that is not known. Review what merged into ${gap.branches.map(code).join(", ")} before then.`;
  return fitBlocks(
    [
      exceptionMarker(key),
      `### ⚠️ Required checks weakened\n\n${opening}`,
      { lead: "**What changed**", items: gap.what.map(quiet) },
      window,
      "**Follow-up**: confirm whether the change was intended and authorised, review any merge in the window, write down the conclusion here and close this issue. To change what is required, change the policies (`enforce.required_check`) in a reviewed pull request instead.",
    ],
    { limit: MAX_BODY, footer: gapBlock(gap), note: () => "_Part of this description was left out to fit GitHub's size limit; the record below is complete._" },
  );
}
