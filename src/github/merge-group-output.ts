// What a merge group's checks show (SPEC §3.1): the strictest verdict of every pull request (and
// every stretch of commits belonging to none) the group holds, naming each one that does not pass.
import { POLICY_CHECK, stricter, type PlannedCheck, type Verdict } from "./checks.js";
import type { CheckOutput } from "../render/check-output.js";
import { MAX_CHECK_TITLE as MAX_TITLE } from "../render/limits.js";
import { joinList, oneLine, text } from "../render/markdown.js";

/** One part of a merge group and the checks it gets on its own: a PR's, or commits that belong to none. */
export interface GroupPart {
  /** `#12`, or `abc1234` for commits that belong to no pull request. */
  label: string;
  checks: PlannedCheck[];
}

/** A merge queue must never wait on an approval: whatever does not pass fails the group. */
function groupVerdict(verdict: Verdict): Verdict {
  return verdict === "success" ? "success" : "failure";
}

/** What a part whose check does not pass is: an environment's check waits for approvals, compliance/policy for valid policies. */
function failed(name: string): string {
  return name === POLICY_CHECK ? "fails" : "not approved";
}

function notPassing(name: string, part: GroupPart): string {
  return `${part.label} ${failed(name)}`;
}

/** One check per name, the strictest of the parts', each part that does not pass named in its title and summary. */
export function combineGroupChecks(parts: readonly GroupPart[]): PlannedCheck[] {
  const names = [...new Set(parts.flatMap((part) => part.checks.map((check) => check.name)))].sort();
  return names.map((name) => {
    const held = parts.flatMap((part) => part.checks.filter((check) => check.name === name).map((check) => ({ part, check })));
    let verdict: Verdict = "success";
    for (const { check } of held) if (stricter(groupVerdict(check.verdict), verdict)) verdict = groupVerdict(check.verdict);
    const failing = held.filter(({ check }) => check.verdict !== "success");
    const only = held.length === 1 ? held[0] : undefined;
    if (only !== undefined && parts.length === 1) {
      // A group of one PR shows that PR's own check, said plainly when it does not pass.
      const title = only.check.verdict === "success" ? only.check.output.title : `${notPassing(name, only.part)}: ${only.check.output.title}`;
      return { name, verdict, output: { ...only.check.output, title: oneLine(title, MAX_TITLE) } };
    }
    return { name, verdict, output: groupOutput(name, parts.length, held, failing) };
  });
}

function groupOutput(
  name: string,
  size: number,
  held: readonly { part: GroupPart; check: PlannedCheck }[],
  failing: readonly { part: GroupPart; check: PlannedCheck }[],
): CheckOutput {
  const first = failing[0];
  const title =
    first === undefined
      ? `Every part of the merge group passes: ${joinList(held.map(({ part }) => part.label))}`
      : `${notPassing(name, first.part)}: ${first.check.output.title}${failing.length > 1 ? ` (and ${joinList(failing.slice(1).map(({ part }) => part.label))})` : ""}`;
  const lead =
    first === undefined
      ? `**Passed** — this merge group holds ${size} parts, and each passes \`${name}\` on its own.`
      : `**Failed** — this merge group holds ${size} parts; GitHub merges them together, so the group passes only when every one does. ` +
        `${joinList(failing.map(({ part }) => part.label))} ${failing.length === 1 ? "does" : "do"} not.`;
  const lines = held.map(({ part, check }) => `- ${part.label} — ${check.verdict === "success" ? "passes" : `**${failed(name)}**`}: ${text(check.output.title)}`);
  const details = failing.map(({ part, check }) => `### ${part.label}: ${text(check.output.title)}\n\n${check.output.summary}`);
  return { title: oneLine(title, MAX_TITLE), summary: [lead, lines.join("\n"), ...details].join("\n\n") };
}
