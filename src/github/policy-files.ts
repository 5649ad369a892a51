// The policy files of a repository at one commit, read by blob so unchanged files are fetched once.
import { GatherFailed, type GitHubSession } from "./client.js";
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
}

const MAX_CACHED_TEXT = 256 * 1024;

interface ContentEntry {
  type: string;
  path: string;
  sha: string;
}

interface Blob {
  content?: string;
  encoding?: string;
}

/** Reads the policy files directly in `dir` at `commit`, sorted by path; null when there is no such folder. */
export async function readPolicyFiles(gh: GitHubSession, request: PolicyFilesRequest): Promise<PolicyFile[] | null> {
  const { owner, repo, commit, dir } = request;
  const listing = await gh.request(
    "GET /repos/{owner}/{repo}/contents/{path}",
    { owner, repo, path: dir, ref: commit },
    `listing ${dir}/ at ${commit.slice(0, 7)}`,
    { accept: [404] },
  );
  // A 404, or a file where the folder should be: this repository has no policies.
  if (listing.status === 404 || !Array.isArray(listing.data)) return null;
  const entries = (listing.data as ContentEntry[])
    .filter((entry) => entry.type === "file" && request.isPolicyFile(entry.path, dir))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return Promise.all(
    entries.map(async (entry) => ({ path: entry.path, sha: entry.sha, text: await readBlob(gh, request, entry) })),
  );
}

async function readBlob(gh: GitHubSession, request: PolicyFilesRequest, entry: ContentEntry): Promise<string> {
  const cached = request.blobs.get(entry.sha);
  if (cached !== undefined) return cached;
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
    { owner: request.owner, repo: request.repo, file_sha: entry.sha },
    `reading ${entry.path} at ${request.commit.slice(0, 7)}`,
  );
  const blob = response.data as Blob;
  if (typeof blob.content !== "string") {
    throw new GatherFailed(`GitHub returned no content for ${entry.path} at ${request.commit.slice(0, 7)}`);
  }
  const text =
    blob.encoding === "base64" ? Buffer.from(blob.content, "base64").toString("utf8") : blob.content;
  // Policy files over 256 KiB are invalid anyway: not worth a place in the cache.
  if (text.length <= MAX_CACHED_TEXT) request.blobs.set(entry.sha, text);
  return text;
}
