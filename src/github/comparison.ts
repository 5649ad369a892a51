// A comparison of two commits (GET compare/{base}...{head}): the commits and the files between
// them, as far as GitHub's one page of it lists them.
import type { ChangedFile } from "../engine/types.js";
import { toChangedFile } from "./changed-files.js";
import type { GitHubSession } from "./client.js";
import type { ApiCommit } from "./commit-identities.js";

/** GitHub's comparison lists at most this many files. */
export const COMPARE_FILES_LIMIT = 300;

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
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/compare/{basehead}",
    { owner, repo, basehead: `${base}...${head}`, per_page: 100 },
    `comparing ${base.slice(0, 7)}...${head.slice(0, 7)}`,
  );
  const data = response.data as {
    total_commits?: number;
    commits?: (Partial<ApiCommit> & { sha?: string })[];
    files?: { filename?: string; status?: string; previous_filename?: string }[];
  };
  const commits = (data.commits ?? []).flatMap((c): ApiCommit[] =>
    typeof c.sha === "string" ? [{ sha: c.sha, author: c.author ?? null, committer: c.committer ?? null, commit: c.commit ?? { author: null, committer: null } }] : [],
  );
  const files = (data.files ?? []).flatMap((f): ChangedFile[] => (typeof f.filename === "string" ? [toChangedFile({ ...f, filename: f.filename, status: f.status ?? "modified" })] : []));
  return { commits, files, truncated: files.length >= COMPARE_FILES_LIMIT, complete: commits.length >= (data.total_commits ?? 0) };
}
