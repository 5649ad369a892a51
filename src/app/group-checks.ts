// A merge group's checks (SPEC §3.1): one per name, the strictest verdict of the parts the group
// holds; a merge queue never waits on an approval, so whatever does not pass fails the group.
import { POLICY_CHECK, stricter, type PlannedCheck, type Verdict } from "../github/checks.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import { groupOutput, onePartOutput, type PartCheck } from "../render/merge-group.js";

/** One part of a merge group and the checks it gets on its own: a PR's, or commits that belong to none. */
export interface GroupPart {
  /** `#12`, or `abc1234 (no pull request)` for commits that belong to no pull request. */
  label: string;
  checks: PlannedCheck[];
}

/** A merge queue must never wait on an approval: whatever does not pass fails the group. */
function groupVerdict(verdict: Verdict): Verdict {
  return verdict === "success" ? "success" : "failure";
}

/** One check per name, the strictest of the parts', each part that does not pass named in its title and summary. */
export function combineGroupChecks(parts: readonly GroupPart[]): PlannedCheck[] {
  const names = sortByCodePoint([...new Set(parts.flatMap((part) => part.checks.map((check) => check.name)))]);
  return names.map((name) => {
    const held: PartCheck[] = [];
    let verdict: Verdict = "success";
    for (const part of parts) {
      for (const check of part.checks.filter((c) => c.name === name)) {
        if (stricter(groupVerdict(check.verdict), verdict)) verdict = groupVerdict(check.verdict);
        held.push({ label: part.label, passes: check.verdict === "success", output: check.output });
      }
    }
    const kind = name === POLICY_CHECK ? "policy" : "environment";
    const only = held.length === 1 ? held[0] : undefined;
    // A group of one PR shows that PR's own check.
    if (only !== undefined && parts.length === 1) return { name, verdict, output: onePartOutput(kind, only) };
    return { name, verdict, output: groupOutput(name, kind, parts.length, held) };
  });
}
