// The changed files of a pull request: GitHub's files list, or — past the 3,000 files that
// list stops at — a diff of the git trees of the merge base and the head; and those of one commit.
import type { ChangedFile } from "../engine/types.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { readComparison } from "./comparison.js";
import { changedFile, decodeFiles, type LandedFile } from "./git-listings.js";
import { readGitTree, type TreeEntry } from "./git-objects.js";

/** GitHub's pull request files endpoint lists at most this many files (30 pages of 100). */
const FILES_LIST_LIMIT = 3000;

export interface ChangedFilesRequest {
  owner: string;
  repo: string;
  pull_number: number;
  head: string;
  /** The commit the head is compared with for the tree fallback: the base branch's tip. */
  baseCommit: string;
  /** The pull request's `changed_files`, when the payload has it (review payloads do not). */
  changedFiles?: number;
}

export interface ChangedFiles {
  files: ChangedFile[];
  truncated: boolean;
  /** How the files were found, for logs. */
  source: "files" | "trees";
}

/**
 * The files one commit changed (GET commits/{sha}: its `files`, paged like a list), at most
 * FILES_LIST_LIMIT; `truncated` when there may be more.
 */
export async function listCommitFiles(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }> {
  const listed = await gh.list<LandedFile>(
    "GET /repos/{owner}/{repo}/commits/{ref}",
    { owner, repo, ref: sha },
    `reading the changed files of commit ${sha.slice(0, 7)}`,
    { maxPages: FILES_LIST_LIMIT / 100, items: (data) => decodeFiles((data as { files?: unknown } | undefined)?.files) },
  );
  const files = listed.items.map(changedFile);
  return { files, truncated: !listed.complete || files.length >= FILES_LIST_LIMIT };
}

/**
 * A pull request's changed files (GET pulls/{n}/files), each with the blob it leaves at the head,
 * on at most `maxPages` pages of 100 (GitHub lists 3,000 at most); `complete` false when GitHub offered more.
 */
export async function listPullFiles(gh: GitHubSession, owner: string, repo: string, number: number, maxPages: number): Promise<{ files: LandedFile[]; complete: boolean }> {
  const listed = await gh.list<LandedFile>(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
    { owner, repo, pull_number: number },
    `listing changed files of #${number}`,
    { maxPages, items: decodeFiles },
  );
  return { files: listed.items, complete: listed.complete };
}

/** Lists the changed files of a pull request, through the trees when the files list cannot hold them all. */
export async function listChangedFiles(gh: GitHubSession, request: ChangedFilesRequest): Promise<ChangedFiles> {
  const { owner, repo, pull_number } = request;
  const listed = await listPullFiles(gh, owner, repo, pull_number, FILES_LIST_LIMIT / 100);
  const count = listed.files.length;
  const known = request.changedFiles;
  // At the limit the list may have stopped early, unless the PR's own count says it did not.
  const cut = !listed.complete || (count >= FILES_LIST_LIMIT && known !== count);
  if (!cut && (known === undefined || count >= known)) {
    return { files: listed.files.map(changedFile), truncated: false, source: "files" };
  }
  return diffTrees(gh, request);
}

/** The changed files as the difference of two recursive git trees: renames show as a removal plus an addition. */
async function diffTrees(gh: GitHubSession, request: ChangedFilesRequest): Promise<ChangedFiles> {
  const { owner, repo, pull_number, head, baseCommit } = request;
  const { mergeBase } = await readComparison(gh, { owner, repo, base: baseCommit, head, perPage: 1, doing: `finding the merge base of #${pull_number}` });
  if (mergeBase === undefined) {
    throw new GitHubError(`GitHub's comparison of #${pull_number} has no merge base commit`);
  }
  const [before, after] = await Promise.all([
    readTree(gh, owner, repo, mergeBase, `reading the tree of the merge base ${mergeBase.slice(0, 7)} of #${pull_number}`),
    readTree(gh, owner, repo, head, `reading the tree of the head ${head.slice(0, 7)} of #${pull_number}`),
  ]);
  const files: ChangedFile[] = [];
  for (const [path, entry] of after.entries) {
    const old = before.entries.get(path);
    if (old === undefined) files.push({ path, status: "added" });
    else if (old.sha !== entry.sha || old.mode !== entry.mode) files.push({ path, status: "modified" });
  }
  for (const path of before.entries.keys()) {
    if (!after.entries.has(path)) files.push({ path, status: "removed" });
  }
  return { files, truncated: before.truncated || after.truncated, source: "trees" };
}

async function readTree(
  gh: GitHubSession,
  owner: string,
  repo: string,
  commit: string,
  doing: string,
): Promise<{ entries: Map<string, TreeEntry>; truncated: boolean }> {
  // The trees endpoint takes a commit sha and reads that commit's root tree.
  const tree = await readGitTree(gh, owner, repo, commit, { doing, recursive: true });
  const entries = new Map<string, TreeEntry>();
  // Blobs are files (and symlinks); commits are submodules, whose pointer change is a change of that path.
  for (const entry of tree.entries) {
    if (entry.type === "blob" || entry.type === "commit") entries.set(entry.path, entry);
  }
  return { entries, truncated: tree.truncated };
}
