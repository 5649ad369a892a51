// Who wrote a pull request's commits (SPEC §2, facts `contributors` and `unlinked`): the accounts
// GitHub links to each commit's author and committer, the co-authors its message names, and every
// identity that maps to no account — read from the PR's commit listing, nothing else.
import { WEB_FLOW } from "../engine/approvals.js";
import type { IdentityRole, UnlinkedIdentity } from "../engine/types.js";

/**
 * Bounds on what one commit message costs (a PR's author writes them): only its first 64 Ki
 * characters are searched for `Co-authored-by:` trailers, and at most 32 trailers are read.
 * Past either bound the commit's remaining co-authors are unknown, and that is said as an
 * unlinked identity of the commit — never silently dropped, which would let them approve.
 */
export const MAX_MESSAGE_SCAN = 65_536;
export const MAX_CO_AUTHORS = 32;

/**
 * Bounds on what a PR's commits put in its facts, checks and audit record, since anyone can
 * write any name, e-mail or noreply address into a commit: at most 100 logins are taken from
 * addresses (noreply co-authors and authors; the accounts GitHub itself links need real
 * accounts), at most 50 unlinked identities are listed, and each name and e-mail is cut to 128
 * characters. A login past the first bound is listed as unlinked instead (so under `block` it
 * still blocks, never silently dropped); identities past the second are counted in one last entry.
 */
export const MAX_ADDRESS_LOGINS = 100;
export const MAX_UNLINKED = 50;
export const MAX_IDENTITY_CHARS = 128;

/**
 * The e-mail of GitHub itself (the `web-flow` account), which commits web edits, merges and
 * reverts for the person who made them: as a COMMITTER it is nobody, the author being that
 * person. As an author or co-author it names no one — GitHub authors no commit itself; web
 * edits are authored by their user, apps by their bot — and anyone can write it into a commit
 * (`GIT_AUTHOR_EMAIL=noreply@github.com`), so there it is an unlinked identity like any other.
 */
const GITHUB_EMAIL = "noreply@github.com";

/**
 * A GitHub noreply address, `ID+login@users.noreply.github.com` or the older
 * `login@users.noreply.github.com`: the login is the account's, by GitHub's own convention.
 * Only github.com's form is read; a GitHub Enterprise Server's noreply domain is not guessed.
 */
const NOREPLY = /^(?:\d+\+)?([a-z0-9](?:[a-z0-9-]{0,38})(?:\[bot\])?)@users\.noreply\.github\.com$/i;

/**
 * A `Co-authored-by:` trailer: the key is case-insensitive, and whitespace may precede the colon
 * (`Co-authored-by : …`), as git reads trailer keys; a stricter reading would drop a co-author.
 */
const CO_AUTHOR = /^co-authored-by\s*:(.*)$/i;
/** `Name <e-mail>`; a trailer without the angle brackets is a name with no e-mail. */
const NAME_EMAIL = /^(.*?)\s*<([^<>]*)>$/;

interface ApiUser {
  login: string;
}

interface GitIdentity {
  name?: string;
  email?: string;
  /** ISO 8601. */
  date?: string;
}

/** One item of `GET /pulls/{n}/commits` (and of a comparison's `commits`), as far as it is read. */
export interface ApiCommit {
  sha: string;
  /** The account GitHub links to the git author's e-mail; null when none. */
  author: ApiUser | null;
  committer: ApiUser | null;
  commit: { author: GitIdentity | null; committer: GitIdentity | null; message?: string };
}

/** The people behind commits: logins (the PR author first, when given) and identities linked to nobody. */
export interface CommitIdentities {
  contributors: string[];
  unlinked: UnlinkedIdentity[];
}

interface CoAuthor {
  name: string;
  email: string;
}

/** The login of a GitHub noreply address, or null. */
export function noreplyLogin(email: string): string | null {
  return NOREPLY.exec(email.trim())?.[1] ?? null;
}

/**
 * The `Co-authored-by:` trailers of a commit message, read on any line, not only in git's last
 * paragraph: for separation of duties a co-author named anywhere is one more person who may not
 * approve, so the wider reading is the one that fails closed. `overflow` says the bounds were hit.
 */
export function coAuthorsOf(message: string): { coAuthors: CoAuthor[]; overflow: string | null } {
  const coAuthors: CoAuthor[] = [];
  const scanned = message.length > MAX_MESSAGE_SCAN ? message.slice(0, MAX_MESSAGE_SCAN) : message;
  for (const line of scanned.split(/\r\n|\r|\n/)) {
    const trailer = CO_AUTHOR.exec(line.trim());
    if (!trailer) continue;
    if (coAuthors.length === MAX_CO_AUTHORS) {
      return { coAuthors, overflow: `co-authors past the ${MAX_CO_AUTHORS}th Co-authored-by trailer` };
    }
    const value = (trailer[1] as string).trim();
    const parts = NAME_EMAIL.exec(value);
    coAuthors.push(parts ? { name: (parts[1] as string).trim(), email: (parts[2] as string).trim() } : { name: value, email: "" });
  }
  const overflow = message.length > MAX_MESSAGE_SCAN ? `co-authors past the first ${MAX_MESSAGE_SCAN / 1024} KiB of the message` : null;
  return { coAuthors, overflow };
}

/**
 * The PR author and everyone behind the commits (SPEC §2): the account GitHub links to each
 * commit's author and committer (web-flow, GitHub itself, as committer is not a person), and each
 * co-author whose e-mail is a noreply address or an e-mail GitHub links to an account on another
 * commit of the PR. Every other identity is unlinked, listed once (by name and e-mail) with the
 * first commit and role that carry it: a laptop's identity is usually both author and committer.
 * An author or committer GitHub links to nobody stays unlinked even when its e-mail has the
 * noreply form (GitHub would have linked a genuine one); that login is still a contributor,
 * which can only exclude someone. GitHub itself (web-flow, `noreply@github.com`) as an author or
 * co-author is unlinked too: it hides who wrote the commit (see GITHUB_EMAIL).
 */
export function commitIdentities(commits: readonly ApiCommit[], author?: string): CommitIdentities {
  const contributors = new Map<string, string>(author === undefined ? [] : [[author.toLowerCase(), author]]);
  const unlinked = new Map<string, UnlinkedIdentity>();
  /** Identities past MAX_UNLINKED, by key, and the first of them. */
  const unlisted = new Set<string>();
  let firstUnlisted: UnlinkedIdentity | undefined;
  let addressLogins = 0;
  const contributor = (login: string): void => {
    const key = login.toLowerCase();
    if (key !== WEB_FLOW && !contributors.has(key)) contributors.set(key, login);
  };
  /** A login read from an address, not linked by GitHub: false once MAX_ADDRESS_LOGINS are taken. */
  const fromAddress = (login: string): boolean => {
    // web-flow's noreply address names nobody (see GITHUB_EMAIL): left unlinked
    if (login.toLowerCase() === WEB_FLOW) return false;
    if (contributors.has(login.toLowerCase())) return true;
    if (addressLogins === MAX_ADDRESS_LOGINS) return false;
    addressLogins += 1;
    contributor(login);
    return true;
  };
  const unknown = (commit: string, role: IdentityRole, rawName: string, rawEmail: string): void => {
    const name = cut(rawName);
    const email = cut(rawEmail);
    const key = `${name}\0${email.toLowerCase()}`;
    if (unlinked.has(key) || unlisted.has(key)) return;
    if (unlinked.size < MAX_UNLINKED) {
      unlinked.set(key, { commit, role, name, email });
      return;
    }
    unlisted.add(key);
    firstUnlisted ??= { commit, role, name, email };
  };

  // E-mails GitHub links to an account on some commit of the PR: a co-author named with one is that account.
  const linked = new Map<string, string>();
  for (const commit of commits) {
    for (const role of ["author", "committer"] as const) {
      const email = commit.commit[role]?.email?.trim().toLowerCase();
      const login = commit[role]?.login;
      // GitHub's own address names no co-author: it stays unlinked (see GITHUB_EMAIL).
      if (email && login && login.toLowerCase() !== WEB_FLOW && !linked.has(email)) linked.set(email, login);
    }
  }

  for (const commit of commits) {
    for (const role of ["author", "committer"] as const) {
      const login = commit[role]?.login;
      const name = commit.commit[role]?.name ?? "";
      const email = commit.commit[role]?.email ?? "";
      const github = login?.toLowerCase() === WEB_FLOW || (!login && email.trim().toLowerCase() === GITHUB_EMAIL);
      // GitHub committing for the person who authored the commit (a web edit, a merge): nobody.
      if (github && role === "committer") continue;
      if (login && !github) {
        contributor(login);
        continue;
      }
      if (github) {
        unknown(commit.sha, role, name || "GitHub", email || GITHUB_EMAIL);
        continue;
      }
      const noreply = noreplyLogin(email);
      if (noreply !== null) fromAddress(noreply);
      unknown(commit.sha, role, name, email);
    }
    const { coAuthors, overflow } = coAuthorsOf(commit.commit.message ?? "");
    for (const { name, email } of coAuthors) {
      const folded = email.toLowerCase();
      const account = linked.get(folded);
      const noreply = noreplyLogin(email);
      if (account !== undefined) contributor(account);
      else if (noreply === null || !fromAddress(noreply)) unknown(commit.sha, "co-author", name, email);
    }
    if (overflow !== null) unknown(commit.sha, "co-author", overflow, "");
  }
  const listed = [...unlinked.values()];
  if (firstUnlisted !== undefined) {
    const more = unlisted.size.toLocaleString("en-US");
    listed.push({ ...firstUnlisted, name: `${more} more identities linked to no GitHub account, not listed`, email: "" });
  }
  return { contributors: [...contributors.values()], unlinked: listed };
}

/** A name or e-mail as listed: at most MAX_IDENTITY_CHARS characters, cut with an ellipsis. */
function cut(value: string): string {
  if (value.length <= MAX_IDENTITY_CHARS) return value;
  // Code points, so no surrogate pair is split; sliced first, so a huge name costs no more.
  return `${Array.from(value.slice(0, 2 * MAX_IDENTITY_CHARS)).slice(0, MAX_IDENTITY_CHARS - 1).join("")}…`;
}
