// A comparison of two commits (GET compare/{base}...{head}): the one reader of the resource — its
// status, merge base, commits and files, validated — and what `base...head` changed, as far as
// GitHub's first page of it lists.
import { collect, GitHubError, hasNextPage, type GitHubSession } from "./client.js";
import type { ApiCommit } from "./commit-identities.js";
import type { ChangedFile } from "../engine/types.js";
import { changedFile, decodeCommits, decodeFiles, type LandedFile, type ListedGitCommit } from "./git-listings.js";

/** GitHub's comparison lists at most this many files. */
export const COMPARE_FILES_LIMIT = 300;

const ROUTE = "GET /repos/{owner}/{repo}/compare/{basehead}";

export interface ComparisonRequest {
  owner: string;
  repo: string;
  base: string;
  head: string;
  /** What is being done, for GitHubError's message. */
  doing: string;
  /** Commits asked for per page. */
  perPage: number;
  /**
   * Pages of commits read at most, following GitHub's next link; absent: one request, asking for no
   * page. Either way the files are the first page's: GitHub lists them there only.
   */
  maxPages?: number;
}

/** What GitHub says of `base...head`. */
export interface ComparisonRead {
  /** `ahead` (head has every commit of base, and more), `behind`, `diverged` or `identical`; null when not said. */
  status: string | null;
  /** How many commits `base...head` has, as GitHub counts them; undefined when not said. */
  totalCommits: number | undefined;
  /** Where head leaves base; undefined when not said. */
  mergeBase: string | undefined;
  /** The commits listed, oldest first. */
  commits: ListedGitCommit[];
  /** The files changed, at most COMPARE_FILES_LIMIT. */
  files: LandedFile[];
  /** False when GitHub offered a page past the last one read. */
  complete: boolean;
}

type PageRead = Omit<ComparisonRead, "complete">;

function decodePage(data: unknown, doing: string): PageRead {
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new GitHubError(`GitHub returned no comparison while ${doing}`);
  const page = data as { status?: unknown; total_commits?: unknown; merge_base_commit?: { sha?: unknown } | null; commits?: unknown; files?: unknown };
  return {
    status: typeof page.status === "string" ? page.status : null,
    totalCommits: typeof page.total_commits === "number" ? page.total_commits : undefined,
    mergeBase: typeof page.merge_base_commit?.sha === "string" ? page.merge_base_commit.sha : undefined,
    commits: decodeCommits(page.commits),
    files: decodeFiles(page.files),
  };
}

/**
 * The comparison `base...head` (three dots: from their merge base). With `missing: "null"`, GitHub's
 * 404 (a commit it does not know, no history in common) is an answer: null. Throws GitHubError.
 */
export async function readComparison(gh: GitHubSession, request: ComparisonRequest & { missing: "null" }): Promise<ComparisonRead | null>;
export async function readComparison(gh: GitHubSession, request: ComparisonRequest): Promise<ComparisonRead>;
export async function readComparison(gh: GitHubSession, request: ComparisonRequest & { missing?: "null" }): Promise<ComparisonRead | null> {
  const { owner, repo, base, head, doing, perPage, maxPages } = request;
  const parameters = { owner, repo, basehead: `${base}...${head}` };
  if (maxPages === undefined) {
    const response = await gh.request(ROUTE, { ...parameters, per_page: perPage }, doing, request.missing === "null" ? { accept: [404] } : {});
    if (response.status === 404) return null;
    return { ...decodePage(response.data, doing), complete: !hasNextPage(response.headers) };
  }
  let first: PageRead | undefined;
  const listed = await collect(
    gh.pages(ROUTE, parameters, doing, {
      maxPages,
      perPage,
      items: (data) => {
        const page = decodePage(data, doing);
        first ??= page;
        return page.commits;
      },
    }),
  );
  return { status: first?.status ?? null, totalCommits: first?.totalCommits, mergeBase: first?.mergeBase, commits: listed.items, files: first?.files ?? [], complete: listed.complete };
}

export interface Comparison {
  /** The commits from the merge base to the head, oldest first. */
  commits: ApiCommit[];
  files: ChangedFile[];
  /** Whether GitHub may have left files out. */
  truncated: boolean;
  /** False when GitHub listed fewer commits than the comparison has. */
  complete: boolean;
}

/** What `base...head` changed: its commits (the first 100) and files (the first 300). */
export async function compareCommits(gh: GitHubSession, owner: string, repo: string, base: string, head: string): Promise<Comparison> {
  const read = await readComparison(gh, { owner, repo, base, head, perPage: 100, doing: `comparing ${base.slice(0, 7)}...${head.slice(0, 7)}` });
  const files = read.files.map(changedFile);
  return { commits: read.commits, files, truncated: files.length >= COMPARE_FILES_LIMIT, complete: read.commits.length >= (read.totalCommits ?? 0) };
}
