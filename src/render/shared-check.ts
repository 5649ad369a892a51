// One check run shown for several verdicts: GitHub keeps one check of a name per commit, so pull
// requests that share a head commit, or two checks of one name, are shown in a single output.
import type { CheckOutput } from "./check-output.js";

/** A pull request whose head is the commit, and its base branch when known. */
interface SharingPull {
  number: number;
  base: string | undefined;
}

/** `#42 into main, #43 into release`. */
function listPulls(pulls: readonly SharingPull[]): string {
  return [...pulls]
    .sort((a, b) => a.number - b.number)
    .map((pull) => (pull.base === undefined ? `#${pull.number}` : `#${pull.number} into \`${pull.base}\``))
    .join(", ");
}

/** Check `name` of pull request `winner` (the strictest), with a note saying it is shown for all of `pulls`. */
export function sharedHeadOutput(name: string, pulls: readonly SharingPull[], winner: number, output: CheckOutput): CheckOutput {
  const note =
    `> **This commit is the head of several pull requests** (${listPulls(pulls)}). ` +
    `GitHub keeps one \`${name}\` per commit, so it shows the strictest of their verdicts: this one is #${winner}'s.\n\n`;
  return { ...output, summary: note + output.summary };
}

/** Two equally strict checks of one name: the first's output, then the other's title and summary below a rule. */
export function sameNameOutput(first: CheckOutput, other: CheckOutput): CheckOutput {
  return { ...first, summary: `${first.summary}\n\n---\n\n**${other.title}**\n\n${other.summary}` };
}
