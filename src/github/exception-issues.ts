// The issue that tracks a compliance exception (SPEC §4.3): one per exception, labelled
// `compliance-exception`, however many deliveries, retries and replicas handle it.
//
// Each issue carries a hidden marker naming its change (`acme/gitops#42` for a merged PR,
// `acme/gitops@<before>..<after>` for a direct push). Before opening one, the issues with the
// label, opened by this app and updated since the change, are searched for the marker. Two writers that both
// searched before either wrote both open one; each searches again after opening and closes
// every issue of the exception but the earliest (lowest number) with "Duplicate of #N" — an app
// cannot delete issues. The window left is the one of audit comments (audit-comments.ts): both
// second searches within about a second of both writes.
import { exceptionMarker } from "../audit/exception-marker.js";
import { recordWriter, type Author } from "../audit/writer.js";
import { GitHubError, requestFailed, type GitHubSession } from "./client.js";
import { duplicateIssueComment } from "../render/exception-issue.js";
import { postComment } from "./audit-comments.js";
import type { LruCache } from "./lru-cache.js";

/** The label of every exception issue. */
export const EXCEPTION_LABEL = "compliance-exception";

/** An exception issue. */
export interface ExceptionIssue {
  number: number;
  url: string | null;
}

interface ApiIssue {
  number?: unknown;
  body?: unknown;
  html_url?: unknown;
  state?: unknown;
  user?: Author | null;
  pull_request?: unknown;
  created_at?: unknown;
}

/** An exception issue (not a pull request), as listed. */
export interface ListedIssue {
  number: number;
  url: string | null;
  author: Author | null;
  body: string | null;
  open: boolean;
  /** ISO 8601, when GitHub says: a gap record must have ended before the issue that holds it was opened. */
  created_at: string | null;
}

/** An issue as listed, pull requests left out. */
function listedIssue(i: ApiIssue): ListedIssue[] {
  return typeof i.number === "number" && i.pull_request === undefined
    ? [
        {
          number: i.number,
          url: typeof i.html_url === "string" ? i.html_url : null,
          author: i.user ?? null,
          body: typeof i.body === "string" ? i.body : null,
          open: i.state !== "closed",
          created_at: typeof i.created_at === "string" ? i.created_at : null,
        },
      ]
    : [];
}

/** Pages of labelled issues searched at most (1,000 updated since the change). */
export const MAX_ISSUE_PAGES = 10;

/** The compliance-exception issues updated since `since` (ISO 8601) when given, oldest first, pull requests left out; at most MAX_ISSUE_PAGES pages. */
export async function listExceptionIssues(gh: GitHubSession, owner: string, repo: string, since: string | undefined, doing: string): Promise<{ items: ListedIssue[]; complete: boolean }> {
  const listed = await gh.list<ListedIssue>(
    "GET /repos/{owner}/{repo}/issues",
    { owner, repo, labels: EXCEPTION_LABEL, state: "all", sort: "created", direction: "asc", ...(since !== undefined ? { since } : {}) },
    doing,
    { maxPages: MAX_ISSUE_PAGES, items: (data) => (Array.isArray(data) ? (data as ApiIssue[]) : []).flatMap(listedIssue) },
  );
  return { items: listed.items, complete: listed.complete };
}

/** Pages of the app's own issues (100 each) read at most when looking for enforcement gaps. */
export const MAX_APP_ISSUE_PAGES = 10;

/**
 * The issues `creator` (the app's bot login) opened since `since` (epoch ms), newest first, pull
 * requests left out, at most MAX_APP_ISSUE_PAGES pages; `complete` false when more may have been
 * opened since. By author, not by label: anyone who can triage can take a label off, but only the
 * app opens issues as the app, so nobody else's issues can push the app's out of the listing.
 */
export async function listIssuesOpenedBy(gh: GitHubSession, owner: string, repo: string, creator: string, since: number, doing: (page: number) => string): Promise<{ items: ListedIssue[]; complete: boolean }> {
  const items: ListedIssue[] = [];
  // `since` filters on the last update, which is never before the creation: the pages end where creations do.
  for await (const page of gh.pages<ApiIssue>(
    "GET /repos/{owner}/{repo}/issues",
    { owner, repo, creator, state: "all", sort: "created", direction: "desc", since: new Date(since).toISOString() },
    doing,
    { maxPages: MAX_APP_ISSUE_PAGES },
  )) {
    for (const raw of page.items) {
      const created = typeof raw.created_at === "string" ? Date.parse(raw.created_at) : Number.NaN;
      if (created < since) return { items, complete: true };
      items.push(...listedIssue(raw));
    }
    if (!page.next) return { items, complete: true };
  }
  return { items, complete: false };
}

function hasMarker(body: string | null | undefined, marker: string): boolean {
  return typeof body === "string" && body.split(/\r\n|\r|\n/).some((line) => line.trim() === marker);
}

/** This app's exception issues about `key`, earliest first, with whether each is open. */
async function issuesOf(
  gh: GitHubSession,
  request: { owner: string; repo: string; key: string; login: string; since?: string },
): Promise<(ExceptionIssue & { open: boolean })[]> {
  const marker = exceptionMarker(request.key);
  const listed = await listExceptionIssues(gh, request.owner, request.repo, request.since, `searching the ${EXCEPTION_LABEL} issues for ${request.key}`);
  return listed.items
    .filter((i) => recordWriter(i.author, request.login).ok && hasMarker(i.body, marker))
    .map((i) => ({ number: i.number, url: i.url, open: i.open }))
    .sort((a, b) => a.number - b.number);
}

/** Creates the label once per repository and process; "already exists" (422) is as good as created. */
async function ensureLabel(gh: GitHubSession, owner: string, repo: string, known: LruCache<string, true>): Promise<void> {
  const key = `${owner}/${repo}`.toLowerCase();
  if (known.get(key)) return;
  await gh.request(
    "POST /repos/{owner}/{repo}/labels",
    { owner, repo, name: EXCEPTION_LABEL, color: "b60205", description: "A change reached an environment outside its approval policy (compliance-gate)" },
    `creating the ${EXCEPTION_LABEL} label`,
    { accept: [422] },
  );
  known.set(key, true);
}

/** Closes later duplicates of the earliest issue, each with a comment pointing at it. */
async function closeDuplicates(gh: GitHubSession, owner: string, repo: string, issues: (ExceptionIssue & { open: boolean })[]): Promise<number[]> {
  const kept = issues[0];
  if (kept === undefined) return [];
  const closed: number[] = [];
  for (const duplicate of issues.slice(1)) {
    if (!duplicate.open) continue;
    try {
      await postComment(gh, owner, repo, duplicate.number, duplicateIssueComment(kept.number), `marking #${duplicate.number} a duplicate`);
      await gh.request(
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
        { owner, repo, issue_number: duplicate.number, state: "closed", state_reason: "not_planned" },
        `closing the duplicate #${duplicate.number}`,
      );
      closed.push(duplicate.number);
    } catch (error) {
      // A duplicate left open is noise, not lost evidence; the next look closes it.
      if (!(error instanceof GitHubError)) throw error;
    }
  }
  return closed;
}

/** What opening the exception issue did. */
export interface ExceptionIssueWrite {
  issue: ExceptionIssue;
  /** Whether this call opened the issue that stands. */
  opened: boolean;
  /** Later duplicates closed. */
  closed: number[];
}

/**
 * Opens the exception issue about `key` unless this app already did; the marker line must be in
 * `body`. `since` (ISO 8601: the merge or push) bounds the search to issues updated since.
 */
export async function openExceptionIssue(
  gh: GitHubSession,
  request: { owner: string; repo: string; key: string; login: string; since?: string; title: string; body: string; labels: LruCache<string, true> },
): Promise<ExceptionIssueWrite> {
  const { owner, repo } = request;
  if (!hasMarker(request.body, exceptionMarker(request.key))) throw new Error(`an exception issue body must carry the marker of ${request.key}`);
  const before = await issuesOf(gh, request);
  const first = before[0];
  if (first !== undefined) return { issue: { number: first.number, url: first.url }, opened: false, closed: await closeDuplicates(gh, owner, repo, before) };

  await ensureLabel(gh, owner, repo, request.labels);
  const response = await gh.request(
    "POST /repos/{owner}/{repo}/issues",
    { owner, repo, title: request.title, body: request.body, labels: [EXCEPTION_LABEL] },
    `opening the exception issue for ${request.key}`,
  );
  const data = response.data as ApiIssue;
  if (typeof data.number !== "number") throw requestFailed(response.status, "POST /repos/{owner}/{repo}/issues", `opening the exception issue for ${request.key}`, "GitHub returned no issue number");
  const own = { number: data.number, url: typeof data.html_url === "string" ? data.html_url : null, open: true };
  const after = await issuesOf(gh, request);
  const all = [...after.filter((i) => i.number !== own.number), own].sort((a, b) => a.number - b.number);
  const kept = all[0] as ExceptionIssue;
  return { issue: { number: kept.number, url: kept.url }, opened: kept.number === own.number, closed: await closeDuplicates(gh, owner, repo, all) };
}
