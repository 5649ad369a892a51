// What GitHub shows of a merge group's commits: the commits between the base branch and the
// group's head (with their parents), the merge queue's refs, and the files a stretch of commits
// changes — each file with the blob it leaves, so what lands can be compared with a PR's own files.
import type { ChangedFile, FileStatus } from "../engine/types.js";
import type { ApiCommit as IdentityCommit } from "./commit-identities.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { COMPARE_FILES_LIMIT } from "./comparison.js";

/** A commit of the group: its parents (first parent first) and the accounts GitHub links to it. */
export interface GroupCommit {
  sha: string;
  parents: string[];
  author: string | null;
  committer: string | null;
  /** The commit as GitHub lists it, for who wrote it (commit-identities.ts): its git identities and message. */
  git?: IdentityCommit;
}

/** The commits a merge group would add to its base branch. */
export interface GroupRange {
  /** Where the group leaves the base branch: below it, nothing is the group's. */
  mergeBase: string;
  commits: GroupCommit[];
}

interface ApiCommit {
  sha?: unknown;
  parents?: { sha?: unknown }[];
  author?: { login?: unknown; type?: unknown } | null;
  committer?: { login?: unknown; type?: unknown } | null;
  commit?: { author?: ApiIdentity | null; committer?: ApiIdentity | null; message?: unknown } | null;
}

interface ApiIdentity {
  name?: unknown;
  email?: unknown;
}

interface ApiComparison {
  total_commits?: unknown;
  merge_base_commit?: { sha?: unknown };
  commits?: ApiCommit[];
  files?: ApiFile[];
}

interface ApiFile {
  filename?: unknown;
  status?: unknown;
  previous_filename?: unknown;
  sha?: unknown;
}

const login = (user: { login?: unknown } | null | undefined): string | null => (typeof user?.login === "string" ? user.login : null);

/** The listed commit in the one shape who-wrote-it is read from; what GitHub leaves out stays out (and so reads as unlinked). */
function identityCommit(sha: string, c: ApiCommit): IdentityCommit {
  const account = (user: ApiCommit["author"]) =>
    typeof user?.login === "string" ? { login: user.login } : null;
  const git = (who: ApiIdentity | null | undefined) =>
    who ? { ...(typeof who.name === "string" ? { name: who.name } : {}), ...(typeof who.email === "string" ? { email: who.email } : {}) } : null;
  const message = c.commit?.message;
  return {
    sha,
    author: account(c.author),
    committer: account(c.committer),
    commit: { author: git(c.commit?.author), committer: git(c.commit?.committer), ...(typeof message === "string" ? { message } : {}) },
  };
}

/**
 * The commits of `base...head` (three dots: from their merge base), at most `maxCommits`; a longer
 * range throws, since what is not listed cannot be attributed.
 */
export async function compareRange(gh: GitHubSession, owner: string, repo: string, base: string, head: string, maxCommits: number): Promise<GroupRange> {
  let total: number | undefined;
  let mergeBase: string | undefined;
  const listed = await gh.list<ApiCommit>(
    "GET /repos/{owner}/{repo}/compare/{basehead}",
    { owner, repo, basehead: `${base}...${head}` },
    `listing the commits of the merge group ${head.slice(0, 7)}`,
    {
      maxPages: Math.ceil(maxCommits / 100),
      items: (data) => {
        const page = data as ApiComparison;
        if (typeof page.total_commits === "number") total ??= page.total_commits;
        if (typeof page.merge_base_commit?.sha === "string") mergeBase ??= page.merge_base_commit.sha;
        return page.commits ?? [];
      },
    },
  );
  if (total !== undefined && total > maxCommits) {
    throw new GitHubError(`the merge group ${head.slice(0, 7)} has ${total} commits, more than the ${maxCommits} this app attributes to pull requests`);
  }
  if (mergeBase === undefined || total === undefined || !listed.complete || listed.items.length < total) {
    throw new GitHubError(`the commits of the merge group ${head.slice(0, 7)} could not all be listed`);
  }
  const commits = listed.items.flatMap((c): GroupCommit[] =>
    typeof c.sha === "string"
      ? [
          {
            sha: c.sha,
            parents: (c.parents ?? []).flatMap((p) => (typeof p.sha === "string" ? [p.sha] : [])),
            author: login(c.author),
            committer: login(c.committer),
            git: identityCommit(c.sha, c),
          },
        ]
      : [],
  );
  return { mergeBase, commits };
}

/** A ref the merge queue writes: `gh-readonly-queue/<base>/pr-<number>-<sha it is stacked on>`, at the entry's commit. */
export interface QueueRef {
  number: number;
  /** The commit the entry is stacked on, from the ref's name. */
  parent: string;
  /** The entry's commit: where the ref points. */
  sha: string;
}

/** Refs listed at most: a queue holds up to 100 entries per base branch in GitHub's settings. */
const MAX_REF_PAGES = 2;

/**
 * The merge queue's refs of a base branch. GitHub writes them, but does not stop anyone with write
 * access from creating a branch of the same name: a ref alone proves nothing (see merge-group.ts).
 */
export async function queueRefs(gh: GitHubSession, owner: string, repo: string, base: string): Promise<{ refs: QueueRef[]; complete: boolean }> {
  const prefix = `refs/heads/gh-readonly-queue/${base}/`;
  const listed = await gh.list<{ ref?: unknown; object?: { sha?: unknown; type?: unknown } }>(
    "GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
    { owner, repo, ref: `heads/gh-readonly-queue/${base}/` },
    `listing the merge queue's refs of ${base}`,
    { maxPages: MAX_REF_PAGES },
  );
  const refs = listed.items.flatMap((entry): QueueRef[] => {
    if (typeof entry.ref !== "string" || !entry.ref.startsWith(prefix) || typeof entry.object?.sha !== "string") return [];
    const name = /^pr-(\d+)-([0-9a-f]{40})$/.exec(entry.ref.slice(prefix.length));
    return name ? [{ number: Number(name[1]), parent: name[2] as string, sha: entry.object.sha }] : [];
  });
  return { refs, complete: listed.complete };
}

/** A changed file with the blob it leaves (absent for a removal). */
export interface LandedFile extends ChangedFile {
  blob?: string;
}

const FILE_STATUSES: readonly FileStatus[] = ["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"];

function landed(file: ApiFile): LandedFile[] {
  if (typeof file.filename !== "string") return [];
  const status = typeof file.status === "string" && (FILE_STATUSES as readonly string[]).includes(file.status) ? (file.status as FileStatus) : "changed";
  return [
    {
      path: file.filename,
      status,
      ...(typeof file.previous_filename === "string" && file.previous_filename !== file.filename ? { previous_path: file.previous_filename } : {}),
      ...(typeof file.sha === "string" && status !== "removed" ? { blob: file.sha } : {}),
    },
  ];
}

/** What the commits from `base` to `head` change; `complete` false when GitHub's list may be cut. */
export async function filesBetween(gh: GitHubSession, owner: string, repo: string, base: string, head: string): Promise<{ files: LandedFile[]; complete: boolean }> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/compare/{basehead}",
    { owner, repo, basehead: `${base}...${head}`, per_page: 1 },
    `comparing ${base.slice(0, 7)}...${head.slice(0, 7)}`,
  );
  const files = ((response.data as ApiComparison).files ?? []).flatMap(landed);
  return { files, complete: files.length < COMPARE_FILES_LIMIT };
}

/** A PR's changed files with the blob each leaves at its head; `complete` false past `maxFiles`. */
export async function pullFileBlobs(gh: GitHubSession, owner: string, repo: string, number: number, maxFiles: number): Promise<{ files: LandedFile[]; complete: boolean }> {
  const listed = await gh.list<ApiFile>(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
    { owner, repo, pull_number: number },
    `listing changed files of #${number}`,
    { maxPages: Math.ceil(maxFiles / 100) },
  );
  return { files: listed.items.flatMap(landed), complete: listed.complete };
}
