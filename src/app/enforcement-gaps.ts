// Enforcement gaps (SPEC §5) as this app recorded them: in the exception issues it opened when a gap
// ended, read back for a merge's record, for enforcement itself, and for the export.
import { gapFlagOf, parseGapBlock, type GapFlag, type GapRecord } from "../audit/enforcement-gap.js";
import { recordWriter } from "../audit/writer.js";
import type { ListedIssue } from "../github/exception-issues.js";
import type { Ports } from "./ports.js";

/** The gaps recorded in `issues` of a repository named one of `names`, by the app (`login`; any app when undefined), each with its issue as `#N`. */
export function gapsIn(issues: readonly ListedIssue[], names: readonly string[], login: string | undefined): { gap: GapRecord; issue: string | null }[] {
  const known = names.map((n) => n.toLowerCase());
  return issues.flatMap((issue) => {
    // Any GitHub App's without the app's login, as for records; never a person's.
    if (!recordWriter(issue.author, login).ok) return [];
    const gap = parseGapBlock(issue.body);
    return gap !== null && known.includes(gap.repository.toLowerCase()) ? [{ gap, issue: `#${issue.number}` }] : [];
  });
}

/** The gaps recorded in the app's exception issues updated since `since` (ISO 8601). */
export async function gapsSince(ports: Ports, login: string | undefined, since: string): Promise<{ gap: GapRecord; issue: string | null }[]> {
  const repository = `${ports.owner}/${ports.repo}`;
  const listed = await ports.audit.exceptionIssues(since, repository);
  return gapsIn(listed.items, [repository], login);
}

/**
 * The enforcement gap a change landed in: the gaps recorded in this app's exception issues updated
 * since the change (a gap's issue is opened when it ends, after the change), one listing of them;
 * null when none covers `branch` at `at` (epoch ms).
 */
export async function enforcementGapAt(ports: Ports, request: { login: string; branch: string; at: number }): Promise<GapFlag | null> {
  return gapFlagOf(await gapsSince(ports, request.login, new Date(request.at).toISOString()), request.branch, request.at);
}
