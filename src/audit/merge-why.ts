// Why a change was made, as a merge record keeps it (SPEC §4.2): the pull request's description and the
// issues it closes, each bounded — pure, no I/O.

/** The most of a pull request's description a merge record keeps, in UTF-8 bytes (4 KiB), before its cut marker. */
export const MAX_DESCRIPTION_BYTES = 4096;
/** What ends a description that was cut. */
export const DESCRIPTION_CUT_MARKER = "\n\n[… cut by compliance-gate: the description is longer than 4 KiB]";
/** The most linked issues a merge record lists; `linked_issues_total` says how many GitHub knows. */
export const MAX_LINKED_ISSUES = 20;
/** The most of a linked issue's title a record keeps, in characters. */
const MAX_ISSUE_TITLE = 256;

/** An issue the pull request closes, as GitHub links them (`Fixes #12`, or linked by hand): why the change was made. */
export interface LinkedIssue {
  /** `owner/name` of the issue's repository. */
  repository: string;
  number: number;
  title: string;
}

/** A description as a record keeps it: at most MAX_DESCRIPTION_BYTES of it, never cut inside a character, marked when cut. */
export function boundDescription(body: string | null): string {
  const text = body ?? "";
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_DESCRIPTION_BYTES) return text;
  let end = MAX_DESCRIPTION_BYTES;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString("utf8") + DESCRIPTION_CUT_MARKER;
}

export function boundLinkedIssues(found: { issues: readonly LinkedIssue[]; total: number } | null): { linked_issues: LinkedIssue[] | null; linked_issues_total?: number } {
  if (found === null) return { linked_issues: null };
  const issues = found.issues.slice(0, MAX_LINKED_ISSUES).map((i) => ({ repository: i.repository, number: i.number, title: [...i.title].slice(0, MAX_ISSUE_TITLE).join("") }));
  return { linked_issues: issues, ...(found.total > issues.length ? { linked_issues_total: found.total } : {}) };
}

