// What a merge group's checks show (SPEC §3.1): every part the group holds — a pull request, or a
// stretch of commits belonging to none — with its own verdict, naming each one that does not pass.
import type { CheckOutput } from "./check-output.js";
import { MAX_CHECK_TITLE } from "./limits.js";
import { joinList, oneLine, shortSha, text } from "./markdown.js";

/** One part's own check of a name, as the group's check shows it. */
export interface PartCheck {
  /** `#12`, or `abc1234 (no pull request)` (unownedLabel). */
  label: string;
  passes: boolean;
  output: CheckOutput;
}

/** Which check is shown: compliance/policy, or an environment's. */
type CheckKind = "policy" | "environment";

/** What a part whose check does not pass is: an environment's check waits for approvals, compliance/policy for valid policies. */
function failed(kind: CheckKind): string {
  return kind === "policy" ? "fails" : "not approved";
}

function notPassing(kind: CheckKind, part: PartCheck): string {
  return `${part.label} ${failed(kind)}`;
}

/** The check of a group of one part: that part's own, said plainly in the title when it does not pass. */
export function onePartOutput(kind: CheckKind, part: PartCheck): CheckOutput {
  const title = part.passes ? part.output.title : `${notPassing(kind, part)}: ${part.output.title}`;
  return { ...part.output, title: oneLine(title, MAX_CHECK_TITLE) };
}

/** Check `name` of a group of `size` parts: whether all pass, one line per part, and the summary of each that does not. */
export function groupOutput(name: string, kind: CheckKind, size: number, held: readonly PartCheck[]): CheckOutput {
  const failing = held.filter((part) => !part.passes);
  const first = failing[0];
  const title =
    first === undefined
      ? `Every part of the merge group passes: ${joinList(held.map((part) => part.label))}`
      : `${notPassing(kind, first)}: ${first.output.title}${failing.length > 1 ? ` (and ${joinList(failing.slice(1).map((part) => part.label))})` : ""}`;
  const lead =
    first === undefined
      ? `**Passed** — this merge group holds ${size} parts, and each passes \`${name}\` on its own.`
      : `**Failed** — this merge group holds ${size} parts; GitHub merges them together, so the group passes only when every one does. ` +
        `${joinList(failing.map((part) => part.label))} ${failing.length === 1 ? "does" : "do"} not.`;
  const lines = held.map((part) => `- ${part.label} — ${part.passes ? "passes" : `**${failed(kind)}**`}: ${text(part.output.title)}`);
  const details = failing.map((part) => `### ${part.label}: ${text(part.output.title)}\n\n${part.output.summary}`);
  return { title: oneLine(title, MAX_CHECK_TITLE), summary: [lead, lines.join("\n"), ...details].join("\n\n") };
}

/** The label of a stretch of a group's commits, ending at `head`, that belongs to no pull request. */
export function unownedLabel(head: string): string {
  return `${shortSha(head)} (no pull request)`;
}

/** The check of commits that belong to no pull request: why they are judged as a direct push, then the check itself. */
export function unownedOutput(commits: readonly string[], output: CheckOutput): CheckOutput {
  const which = joinList(commits.map(shortSha).slice(0, 5)) + (commits.length > 5 ? ` and ${commits.length - 5} more` : "");
  const why =
    `Commit${commits.length === 1 ? "" : "s"} ${which} of this merge group belong${commits.length === 1 ? "s" : ""} to no pull request ` +
    "(no merge_group event or provable merge queue entry names them), so they are judged as a direct push: without reviews.";
  return { ...output, summary: `${why}\n\n${output.summary}` };
}
