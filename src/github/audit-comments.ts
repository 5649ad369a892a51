// The one audit comment on a merged pull request (SPEC §4.1): found, written, and — when two
// writers raced — made one again.
//
// Idempotency without shared state: a redelivered webhook, a retry, a reconcile and a second
// replica may all try to record the same merge. Each one lists the PR's comments first and writes
// nothing when this app's audit comment is there. Two writers that both listed before either
// wrote will both write; each lists again after writing and deletes every audit comment of this
// app but the earliest (lowest id), so they converge on one. The window that is left: both
// writers' second listings miss the other's comment — GitHub shows a new comment to every reader
// within about a second, so the two writes and both listings must fall inside that second. Then
// two comments with equivalent records stay, until the next reconcile that looks at the PR, or
// the export (which takes the earliest), sees them.
import { parseAuditComment } from "../audit/comment.js";
import { recordWriter, type Author } from "../audit/writer.js";
import { GitHubError, requestFailed, type GitHubSession } from "./client.js";

/** A comment of this app that carries an audit record. */
export interface AuditComment {
  id: number;
  url: string | null;
}

/** A comment on a pull request (or issue), as listed. */
export interface ListedComment {
  id: number;
  url: string | null;
  author: Author | null;
  body: string | null;
}

interface ApiComment {
  id?: unknown;
  body?: unknown;
  html_url?: unknown;
  user?: Author | null;
}

/** Comments listed at most (3,000): a PR with more since its merge is not a PR people use. */
export const MAX_COMMENT_PAGES = 30;

/** The comments of pull request (or issue) #`number`, since `since` (ISO 8601) when given, at most MAX_COMMENT_PAGES pages. */
export async function listComments(gh: GitHubSession, owner: string, repo: string, number: number, since?: string): Promise<{ items: ListedComment[]; complete: boolean }> {
  const listed = await gh.list<ListedComment>(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    { owner, repo, issue_number: number, ...(since !== undefined ? { since } : {}) },
    `listing comments of #${number}`,
    {
      maxPages: MAX_COMMENT_PAGES,
      items: (data) =>
        (Array.isArray(data) ? (data as ApiComment[]) : []).flatMap((c) =>
          typeof c.id === "number" ? [{ id: c.id, url: typeof c.html_url === "string" ? c.html_url : null, author: c.user ?? null, body: typeof c.body === "string" ? c.body : null }] : [],
        ),
    },
  );
  return { items: listed.items, complete: listed.complete };
}

/** Comments on an issue or pull request: the one writer of comments. Its id and address; GitHubError when it cannot be written. */
export async function postComment(gh: GitHubSession, owner: string, repo: string, number: number, body: string, doing: string): Promise<AuditComment> {
  const route = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments";
  const response = await gh.request(route, { owner, repo, issue_number: number, body }, doing);
  const data = response.data as ApiComment | undefined;
  if (typeof data?.id !== "number") throw requestFailed(response.status, route, doing, "GitHub returned no comment id");
  return { id: data.id, url: typeof data.html_url === "string" ? data.html_url : null };
}

/**
 * This app's audit comments on a PR, earliest first. A comment by anyone else — whatever it
 * says, marker included — is never one. `since` (ISO 8601, the merge time) skips older comments:
 * an audit comment is always written after the merge.
 */
export async function auditCommentsOf(
  gh: GitHubSession,
  request: { owner: string; repo: string; number: number; login: string; since?: string },
): Promise<AuditComment[]> {
  const { owner, repo, number, login } = request;
  const listed = await listComments(gh, owner, repo, number, request.since);
  return listed.items
    .filter((c) => recordWriter(c.author, login).ok && c.body !== null && parseAuditComment(c.body) !== null)
    .map((c) => ({ id: c.id, url: c.url }))
    .sort((a, b) => a.id - b.id);
}

/** What writing the audit comment did. */
export interface AuditCommentWrite {
  /** The audit comment that stands: the earliest of this app's. */
  comment: AuditComment;
  /** Whether this call wrote the comment that stands. */
  written: boolean;
  /** Later duplicates deleted (written by a concurrent writer, or by this one when it lost). */
  deleted: number[];
}

/**
 * Deletes every audit comment but the earliest (as auditCommentsOf lists them); one already gone
 * (the other writer deleted it) is fine. Returns the ids deleted.
 */
export async function keepEarliest(gh: GitHubSession, owner: string, repo: string, comments: AuditComment[]): Promise<number[]> {
  const deleted: number[] = [];
  for (const duplicate of comments.slice(1)) {
    try {
      await gh.request(
        "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { owner, repo, comment_id: duplicate.id },
        `deleting the duplicate audit comment ${duplicate.id}`,
        { accept: [404] },
      );
      deleted.push(duplicate.id);
    } catch (error) {
      // Left in place: two equivalent records are better than a failed recording; the next look cleans up.
      if (!(error instanceof GitHubError)) throw error;
    }
  }
  return deleted;
}

/**
 * Writes the PR's audit comment unless this app already wrote one, then makes sure only one is
 * left. `listed`: this app's audit comments as the caller just listed them (saves listing again).
 */
export async function writeAuditComment(
  gh: GitHubSession,
  request: { owner: string; repo: string; number: number; login: string; since?: string; body: string },
  listed?: AuditComment[],
): Promise<AuditCommentWrite> {
  const { owner, repo, number } = request;
  const before = listed ?? (await auditCommentsOf(gh, request));
  const first = before[0];
  if (first !== undefined) return { comment: first, written: false, deleted: await keepEarliest(gh, owner, repo, before) };

  const own = await postComment(gh, owner, repo, number, request.body, `writing the audit comment on #${number}`);

  // Another writer may have written too: the earliest stays, whoever wrote it.
  const after = await auditCommentsOf(gh, request);
  const all = [...after.filter((c) => c.id !== own.id), own].sort((a, b) => a.id - b.id);
  const kept = all[0] as AuditComment;
  const deleted = await keepEarliest(gh, owner, repo, all);
  return { comment: kept, written: kept.id === own.id, deleted };
}
