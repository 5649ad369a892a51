// Commits and files as GitHub lists them — a branch's history, a comparison, a pull request's or a
// commit's files — decoded from raw JSON into the one shape each is handed on in: what is not of
// the type GitHub documents is left out, so it reads as unknown, never as something else.
import type { ChangedFile, FileStatus } from "../engine/types.js";
import type { ApiCommit } from "./commit-identities.js";

/** A listed commit: who GitHub links to it, its git identities and message, its parents (first parent first). */
export interface ListedGitCommit extends ApiCommit {
  parents: string[];
  /** Its web address. */
  url: string | null;
}

/** A changed file with the blob it leaves (absent for a removal). */
export interface LandedFile extends ChangedFile {
  blob?: string;
}

const FILE_STATUSES: readonly FileStatus[] = ["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"];

type Raw = Record<string, unknown>;

function object(value: unknown): Raw | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Raw) : null;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The shas of a list of `{ sha }` (a commit's parents), in order. */
export function shasOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const sha = object(entry)?.["sha"];
    return typeof sha === "string" ? [sha] : [];
  });
}

function account(value: unknown): { login: string } | null {
  const login = object(value)?.["login"];
  return typeof login === "string" ? { login } : null;
}

function identity(value: unknown): { name?: string; email?: string; date?: string } | null {
  const who = object(value);
  if (who === null) return null;
  const [name, email, date] = [text(who["name"]), text(who["email"]), text(who["date"])];
  return { ...(name !== undefined ? { name } : {}), ...(email !== undefined ? { email } : {}), ...(date !== undefined ? { date } : {}) };
}

/** A commit of a listing (`GET commits`, a comparison's `commits`); null when it names no sha. */
export function decodeCommit(raw: unknown): ListedGitCommit | null {
  const c = object(raw);
  const sha = c?.["sha"];
  if (c === null || typeof sha !== "string") return null;
  const git = object(c["commit"]);
  const message = text(git?.["message"]);
  return {
    sha,
    url: text(c["html_url"]) ?? null,
    parents: shasOf(c["parents"]),
    author: account(c["author"]),
    committer: account(c["committer"]),
    commit: { author: identity(git?.["author"]), committer: identity(git?.["committer"]), ...(message !== undefined ? { message } : {}) },
  };
}

/** Every commit of a page of a listing. */
export function decodeCommits(data: unknown): ListedGitCommit[] {
  return Array.isArray(data) ? data.flatMap((c) => decodeCommit(c) ?? []) : [];
}

/** A file of a listing (a pull request's, a commit's, a comparison's); null when it names no file. An unknown status is "changed". */
export function decodeFile(raw: unknown): LandedFile | null {
  const file = object(raw);
  const path = file?.["filename"];
  if (file === null || typeof path !== "string") return null;
  const listed = file["status"];
  const status = typeof listed === "string" && (FILE_STATUSES as readonly string[]).includes(listed) ? (listed as FileStatus) : "changed";
  const previous = file["previous_filename"];
  const blob = file["sha"];
  return {
    path,
    status,
    ...(typeof previous === "string" && previous !== path ? { previous_path: previous } : {}),
    ...(typeof blob === "string" && status !== "removed" ? { blob } : {}),
  };
}

/** Every file of a list. */
export function decodeFiles(data: unknown): LandedFile[] {
  return Array.isArray(data) ? data.flatMap((f) => decodeFile(f) ?? []) : [];
}

/** The file as the engine takes it, without the blob it leaves. */
export function changedFile(file: LandedFile): ChangedFile {
  return file.previous_path !== undefined ? { path: file.path, status: file.status, previous_path: file.previous_path } : { path: file.path, status: file.status };
}
