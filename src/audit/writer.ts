// Who may write an audit record: a GitHub App, and the pinned one when it is given. One rule for
// the app's "is this change recorded already" and for the export that finds the records.

/** The author of a comment, issue or deployment, as GitHub shows it. */
export interface Author {
  login?: string | null;
  type?: string | null;
}

/** Whether an author may have written records; when not, why (for an export's problems). */
export type WriterVerdict = { ok: true } | { ok: false; why: string };

/** The login GitHub gives the app whose slug is `slug`: `compliance-gate` writes as `compliance-gate[bot]`. */
export function botLogin(slug: string): string {
  return `${slug}[bot]`;
}

/**
 * Whether `author` may write audit records: a GitHub App — a human can copy the audit marker into
 * a comment; only GitHub sets `type: Bot`, with the login `<slug>[bot]`, and a slug is unique on
 * the server — and, when `app` (a bot login) is given, that app. Logins compare case-insensitively.
 */
export function recordWriter(author: Author | null | undefined, app?: string): WriterVerdict {
  const login = typeof author?.login === "string" ? author.login : "a deleted account";
  if (author?.type !== "Bot") return { ok: false, why: `@${login} is not a GitHub App` };
  if (app !== undefined && (typeof author.login !== "string" || author.login.toLowerCase() !== app.toLowerCase())) {
    return { ok: false, why: `@${login} is not @${app}` };
  }
  return { ok: true };
}

/** The same rule for a check run, which GitHub attributes to the app (by slug) that wrote it: only apps write check runs. */
export function checkRunWriter(slug: string | null | undefined, app?: string): WriterVerdict {
  if (typeof slug !== "string" || slug === "") return { ok: false, why: "GitHub names no app that wrote it" };
  return recordWriter({ login: botLogin(slug), type: "Bot" }, app);
}
