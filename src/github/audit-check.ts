// Where the audit record of a direct push lives: a `compliance/audit` check run on the push's head
// commit, whose output text is the audit comment's body. Commenting on a commit would need
// contents: write (power to push), too much for a compliance app; a check run needs only the
// checks permission the app has, and cannot be deleted, not even by an admin.
import { parseAuditComment } from "../audit/comment.js";
import { checkRunWriter } from "../audit/writer.js";
import { fitCheckOutput } from "../render/check-output.js";
import { MAX_CHECK_TEXT } from "../render/limits.js";
import { AUDIT_CHECK } from "./checks.js";
import type { GitHubSession } from "./client.js";

interface ApiCheckRun {
  id?: number;
  app?: { id?: number; slug?: string } | null;
  output?: { text?: string | null } | null;
}

/**
 * Whether this app (`login`, its bot login) already recorded the push `before`→`sha` (any
 * compliance/audit run of the commit, not only the latest, whose record has that `before`): a
 * branch forced back to a commit that has a record of an earlier push is another push, with a
 * record of its own.
 */
export async function hasAuditCheck(gh: GitHubSession, request: { owner: string; repo: string; sha: string; before: string; login: string }): Promise<boolean> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
    { owner: request.owner, repo: request.repo, ref: request.sha, check_name: AUDIT_CHECK, filter: "all", per_page: 100 },
    `looking for the audit record on ${request.sha.slice(0, 7)}`,
  );
  const runs = (response.data as { check_runs?: ApiCheckRun[] } | undefined)?.check_runs ?? [];
  return runs.some((run) => {
    if (!checkRunWriter(run.app?.slug, request.login).ok) return false;
    const parsed = parseAuditComment(run.output?.text ?? "");
    return parsed?.ok === true && parsed.record["before"] === request.before;
  });
}

/**
 * Posts the record as a completed check run: failure for a violation (a red mark on the commit
 * that says so), success when every environment it reached was approved. `text` must fit whole
 * (the caller makes sure): a cut record would not verify.
 */
export async function postAuditCheck(
  gh: GitHubSession,
  request: { owner: string; repo: string; sha: string; compliant: boolean; title: string; summary: string; text: string; now: number; externalId?: string; neutral?: boolean },
): Promise<number | undefined> {
  if (Buffer.byteLength(request.text, "utf8") > MAX_CHECK_TEXT) throw new Error(`the audit record of ${request.sha.slice(0, 7)} does not fit in a check run`);
  const output = fitCheckOutput({ title: request.title, summary: request.summary });
  const response = await gh.request(
    "POST /repos/{owner}/{repo}/check-runs",
    {
      owner: request.owner,
      repo: request.repo,
      name: AUDIT_CHECK,
      head_sha: request.sha,
      // A push's record by default; a deployment's or an applied revision's names itself.
      external_id: request.externalId ?? `push:${request.sha}`,
      status: "completed",
      // An enforcement gap's record is neutral: a red mark on a branch's tip would say its commit failed something.
      conclusion: request.neutral === true ? "neutral" : request.compliant ? "success" : "failure",
      completed_at: new Date(request.now).toISOString(),
      output: { ...output, text: request.text },
    },
    `posting the audit record of ${request.sha.slice(0, 7)}`,
  );
  const id = (response.data as ApiCheckRun | undefined)?.id;
  return typeof id === "number" ? id : undefined;
}
