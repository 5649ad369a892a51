// The git database of a repository as GitHub serves it (GET git/commits/{sha}, git/trees/{sha}):
// the one reader of each, validated — what is not of the type GitHub documents is left out.
import { GitHubError, type GitHubSession } from "./client.js";
import { shasOf } from "./git-listings.js";

/** A git commit: its message, author and parents (first parent first). */
export interface GitCommit {
  message?: string;
  author: { email?: string; date?: string } | null;
  parents: string[];
}

/**
 * The git commit `sha`. With `missing: "null"`, GitHub's 404 and 422 (a commit it does not have,
 * or no longer) are an answer: null. Throws GitHubError.
 */
export async function readGitCommit(gh: GitHubSession, owner: string, repo: string, sha: string, options: { doing: string; missing: "null" }): Promise<GitCommit | null>;
export async function readGitCommit(gh: GitHubSession, owner: string, repo: string, sha: string, options: { doing: string }): Promise<GitCommit>;
export async function readGitCommit(gh: GitHubSession, owner: string, repo: string, sha: string, options: { doing: string; missing?: "null" }): Promise<GitCommit | null> {
  const response = await gh.request("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", { owner, repo, commit_sha: sha }, options.doing, options.missing === "null" ? { accept: [404, 422] } : {});
  if (response.status >= 300) return null;
  const data = response.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new GitHubError(`GitHub returned no commit while ${options.doing}`);
  const { message, author, parents } = data as { message?: unknown; author?: { email?: unknown; date?: unknown } | null; parents?: unknown };
  const who = typeof author === "object" && author !== null ? author : null;
  return {
    ...(typeof message === "string" ? { message } : {}),
    author: who && { ...(typeof who.email === "string" ? { email: who.email } : {}), ...(typeof who.date === "string" ? { date: who.date } : {}) },
    parents: shasOf(parents),
  };
}

/** An entry of a git tree: a blob (a file, a symlink), a tree (a folder) or a commit (a submodule). */
export interface TreeEntry {
  path: string;
  type: string;
  sha: string;
  mode?: string;
  /** Bytes, for a blob. */
  size?: number;
}

/**
 * The git tree `sha` (a commit's sha reads its root tree), with every level below it when
 * `recursive`. `truncated` when GitHub did not list every entry (past 100,000 entries or 7 MB), or
 * listed none at all. Throws GitHubError.
 */
export async function readGitTree(gh: GitHubSession, owner: string, repo: string, sha: string, options: { doing: string; recursive?: boolean }): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
  const response = await gh.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", { owner, repo, tree_sha: sha, ...(options.recursive ? { recursive: "1" } : {}) }, options.doing);
  const data = response.data as { tree?: unknown; truncated?: unknown } | undefined;
  if (!Array.isArray(data?.tree)) return { entries: [], truncated: true };
  const entries = data.tree.flatMap((raw: unknown): TreeEntry[] => {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as { path?: unknown; type?: unknown; sha?: unknown; mode?: unknown; size?: unknown };
    if (typeof entry.path !== "string" || typeof entry.type !== "string" || typeof entry.sha !== "string") return [];
    return [{ path: entry.path, type: entry.type, sha: entry.sha, ...(typeof entry.mode === "string" ? { mode: entry.mode } : {}), ...(typeof entry.size === "number" ? { size: entry.size } : {}) }];
  });
  return { entries, truncated: data.truncated === true };
}
