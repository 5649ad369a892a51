// The policy files of a repository at one commit, read by blob so unchanged files are fetched once.
import { compareCodePoints } from "../policy/code-point-order.js";
import { policyFolderProblem } from "../policy/load.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { readGitTree, type TreeEntry } from "./git-objects.js";
import type { LruCache } from "./lru-cache.js";

/** A policy file as it is stored at a commit. */
export interface PolicyFile {
  path: string;
  /** The git blob sha: the audit record cites it as the policy version. */
  sha: string;
  text: string;
}

export interface PolicyFilesRequest {
  owner: string;
  repo: string;
  commit: string;
  /** The policy folder, `policies` by default. */
  dir: string;
  /** Which entries of the folder are policy files (the policy module decides). */
  isPolicyFile: (path: string, dir?: string) => boolean;
  /** Blob texts by blob sha: content-addressed, so they never go stale. */
  blobs: LruCache<string, string>;
  /**
   * Blob reads under way, by `owner/repo@sha`, shared by concurrent readers and removed once
   * settled (a failure is never cached). Optional: without it every reader fetches its own.
   */
  blobsInFlight?: Map<string, Promise<string>>;
}

/** Where a folder is: a repository, a commit and the folder's path. */
type FolderAt = Pick<PolicyFilesRequest, "owner" | "repo" | "commit" | "dir">;

const MAX_CACHED_TEXT = 256 * 1024;

/**
 * The contents API lists at most this many entries of a folder and says nothing when it cuts
 * the list: a full listing may be missing policy files, so the git tree is read instead.
 */
const CONTENTS_LIST_LIMIT = 1000;

interface ContentEntry {
  type: string;
  path: string;
  sha: string;
  /** Bytes, as GitHub lists them. */
  size?: number;
}

interface Blob {
  content?: string;
  encoding?: string;
}

/** GitHub's message in an error body (`{"message": "Not Found"}`), if any. */
function messageOf(data: unknown): string | undefined {
  const message = (data as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : undefined;
}

/**
 * Reads the policy files directly in `dir` at `commit`, sorted by path; null when there is no such
 * folder. Only GitHub's plain "Not Found" means that: a 404 saying anything else (GitHub's
 * "No commit found for the ref …" while a new commit replicates) is a failure, never "no policies".
 */
export async function readPolicyFiles(gh: GitHubSession, request: PolicyFilesRequest): Promise<PolicyFile[] | null> {
  const { owner, repo, commit, dir } = request;
  const listing = await gh.request(
    "GET /repos/{owner}/{repo}/contents/{path}",
    { owner, repo, path: dir, ref: commit },
    `listing ${dir}/ at ${commit.slice(0, 7)}`,
    { accept: [404] },
  );
  if (listing.status === 404) {
    const message = messageOf(listing.data);
    if (message === "Not Found") return null;
    throw new GitHubError(
      `GitHub answered 404${message ? ` "${message.slice(0, 200)}"` : " without a message"} while listing ${dir}/ at ${commit.slice(0, 7)}: ` +
        "that does not say the folder is missing, so the policies are unknown",
    );
  }
  if (!Array.isArray(listing.data)) {
    // A file (or link) where the folder should be: there is no policy folder.
    if (typeof (listing.data as { type?: unknown } | undefined)?.type === "string") return null;
    throw new GitHubError(`GitHub returned no listing of ${dir}/ at ${commit.slice(0, 7)}`);
  }
  let listed = listing.data as ContentEntry[];
  if (listed.length >= CONTENTS_LIST_LIMIT) listed = await listFolderByTree(gh, request);
  const entries = listed
    .filter((entry) => entry.type === "file" && request.isPolicyFile(entry.path, dir))
    .sort((a, b) => compareCodePoints(a.path, b.path));
  // A pull request can fill the folder (its head is validated): the listing is bounded before a
  // blob is fetched, and what was fetched is measured again, should a listing leave a size out.
  const at = `${dir}/ at ${commit.slice(0, 7)}`;
  const listedBytes = entries.reduce((sum, entry) => sum + (typeof entry.size === "number" ? entry.size : 0), 0);
  const tooMuch = policyFolderProblem(at, entries.length, listedBytes);
  if (tooMuch) throw new GitHubError(tooMuch);
  const files = await Promise.all(
    entries.map(async (entry) => ({ path: entry.path, sha: entry.sha, text: await readBlob(gh, request, entry) })),
  );
  const readTooMuch = policyFolderProblem(at, files.length, files.reduce((sum, file) => sum + Buffer.byteLength(file.text, "utf8"), 0));
  if (readTooMuch) throw new GitHubError(readTooMuch);
  return files;
}

/** Reads one tree (a commit's root tree when given a commit sha); fails when GitHub cut it off. */
async function readTree(gh: GitHubSession, request: FolderAt, sha: string, what: string): Promise<TreeEntry[]> {
  const tree = await readGitTree(gh, request.owner, request.repo, sha, { doing: `reading the git tree of ${what} at ${request.commit.slice(0, 7)}` });
  if (tree.truncated) {
    throw new GitHubError(`GitHub could not list every entry of ${what} at ${request.commit.slice(0, 7)}: its policy files are unknown`);
  }
  return tree.entries;
}

/** The tree entry of the folder `dir` at the request's commit, walked down from the root tree; undefined when absent. */
async function folderEntry(gh: GitHubSession, request: FolderAt): Promise<{ sha: string } | undefined> {
  let sha = request.commit;
  let at = "the repository root";
  for (const segment of request.dir.split("/").filter((s) => s !== "")) {
    const entry = (await readTree(gh, request, sha, at)).find((e) => e.path === segment);
    if (entry?.type !== "tree") return undefined;
    sha = entry.sha;
    at = at === "the repository root" ? `${segment}/` : `${at}${segment}/`;
  }
  return { sha };
}

/** The folder's entries from the git trees API, which lists up to 100,000 where the contents API stops at 1,000. */
async function listFolderByTree(gh: GitHubSession, request: FolderAt): Promise<ContentEntry[]> {
  const folder = await folderEntry(gh, request);
  if (!folder) throw new GitHubError(`GitHub listed ${CONTENTS_LIST_LIMIT} entries in ${request.dir}/ at ${request.commit.slice(0, 7)}, but its git tree has no such folder`);
  const entries = await readTree(gh, request, folder.sha, `${request.dir}/`);
  return entries.flatMap((entry) =>
    entry.type === "blob" ? [{ type: "file", path: `${request.dir}/${entry.path}`, sha: entry.sha, ...(entry.size !== undefined ? { size: entry.size } : {}) }] : [],
  );
}

/**
 * A second, independent look (the git tree) at whether `dir` exists at a commit, for when the
 * contents API says it does not where policies were seen before. Throws GitHubError unless the
 * tree confirms the folder is gone.
 */
export async function confirmNoPolicyFolder(gh: GitHubSession, request: FolderAt): Promise<void> {
  if ((await folderEntry(gh, request)) !== undefined) {
    throw new GitHubError(
      `GitHub says ${request.dir}/ is missing at ${request.commit.slice(0, 7)}, but the commit's git tree holds it: the policies are unknown`,
    );
  }
}

/**
 * The read under way for `key`, or a new one: concurrent callers share one request. The entry is
 * removed once the read settles, so a failure is never handed to a later caller.
 */
export function singleFlight<T>(inFlight: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  const pending = inFlight.get(key);
  if (pending !== undefined) return pending;
  const started: Promise<T> = read().finally(() => {
    if (inFlight.get(key) === started) inFlight.delete(key);
  });
  inFlight.set(key, started);
  return started;
}

async function readBlob(gh: GitHubSession, request: PolicyFilesRequest, entry: ContentEntry): Promise<string> {
  const cached = request.blobs.get(entry.sha);
  if (cached !== undefined) return cached;
  const inFlight = request.blobsInFlight;
  if (inFlight === undefined) return fetchBlob(gh, request, entry);
  // Keyed by repository too: a failure (a 404 in one repository) is never handed to a reader of another.
  const key = `${request.owner}/${request.repo}`.toLowerCase() + `@${entry.sha}`;
  return singleFlight(inFlight, key, () => fetchBlob(gh, request, entry));
}

async function fetchBlob(gh: GitHubSession, request: PolicyFilesRequest, entry: ContentEntry): Promise<string> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
    { owner: request.owner, repo: request.repo, file_sha: entry.sha },
    `reading ${entry.path} at ${request.commit.slice(0, 7)}`,
  );
  const blob = response.data as Blob;
  if (typeof blob.content !== "string") {
    throw new GitHubError(`GitHub returned no content for ${entry.path} at ${request.commit.slice(0, 7)}`);
  }
  const text =
    blob.encoding === "base64" ? Buffer.from(blob.content, "base64").toString("utf8") : blob.content;
  // Policy files over 256 KiB are invalid anyway: not worth a place in the cache.
  if (text.length <= MAX_CACHED_TEXT) request.blobs.set(entry.sha, text);
  return text;
}
