// The CHANGE document of `simulate` and policy tests (SPEC §6.2): validated and turned into Facts.
import { z } from "zod";
import type { ChangedFile, Facts, IdentityRole, Review, UnlinkedIdentity } from "../engine/types.js";
import { PERMISSIONS, type PolicyError } from "../policy/types.js";
import { schemaErrors, type Locate } from "../policy/schema-errors.js";

const login = z.string({ error: "must be a login" }).min(1, { error: "must not be empty" });
const logins = z.array(login, { error: "must be a list of logins" });
const STATUSES = ["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"] as const;
const REVIEW_STATES = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"] as const;
const path = z.string({ error: "must be a path" }).min(1, { error: "must not be empty" });

const fileEntry = z.union(
  [
    path,
    z.strictObject({
      path,
      previous_path: path.optional(),
      status: z.enum(STATUSES, { error: `must be one of ${STATUSES.join(", ")}` }).optional(),
    }),
  ],
  { error: "must be a path, or { path, previous_path, status }" },
);

const review = z.strictObject({
  user: login,
  state: z.enum(REVIEW_STATES, { error: `must be one of ${REVIEW_STATES.join(", ")}` }),
  commit: z.string({ error: "must be a commit" }).min(1).optional(),
  bot: z.boolean({ error: "must be true or false" }).optional(),
  id: z.number({ error: "must be a review id" }).int().optional(),
  submitted_at: z.iso.datetime({ offset: true, error: "must be an RFC 3339 date-time" }).optional(),
});

const ROLES = ["author", "committer", "co-author"] as const satisfies readonly IdentityRole[];
/** `abc1234: carol <carol@laptop>`, or with a role: `abc1234 (co-author): carol <carol@laptop>`. */
const UNLINKED_LINE = /^([^\s:()]+)(?:\s+\((author|committer|co-author)\))?:\s*(\S.*)$/;
const UNLINKED_FORMS =
  'must be "COMMIT: NAME <EMAIL>" (optionally "COMMIT (co-author): NAME <EMAIL>"), or { commit, role, name, email }';

/** A commit identity linked to no GitHub account, as the `unlinked` fact holds it (the role defaults to author). */
const unlinkedEntry = z.union(
  [
    z.string({ error: UNLINKED_FORMS }).regex(UNLINKED_LINE, { error: UNLINKED_FORMS }),
    z
      .strictObject({
        commit: z.string({ error: "must be a commit" }).min(1, { error: "must not be empty" }),
        // A refinement, not an enum: a bad role then gets its own message, not the union's.
        role: z
          .string({ error: `must be one of ${ROLES.join(", ")}` })
          .refine((r) => (ROLES as readonly string[]).includes(r), { error: `must be one of ${ROLES.join(", ")}` })
          .optional(),
        name: z.string({ error: "must be a name" }).optional(),
        email: z.string({ error: "must be an e-mail address" }).optional(),
      })
      .refine((u) => (u.name ?? "").trim() !== "" || (u.email ?? "").trim() !== "", { error: "must give a name or an e-mail" }),
  ],
  { error: UNLINKED_FORMS },
);

/** The CHANGE document's schema. */
const changeSchema = z.strictObject({
  repository: z.string({ error: "must be OWNER/NAME" }).regex(/^[^/\s]+\/[^/\s]+$/, { error: "must be OWNER/NAME" }).optional(),
  base: z.string({ error: "must be a branch name" }).min(1, { error: "must not be empty" }),
  default_branch: z.string({ error: "must be a branch name" }).min(1).optional(),
  head: z.string({ error: "must be a commit" }).min(1).optional(),
  author: login,
  contributors: logins.optional(),
  co_authors: logins.optional(),
  unlinked: z.array(unlinkedEntry, { error: "must be a list of commit identities" }).optional(),
  labels: z.array(z.string({ error: "must be a label" }), { error: "must be a list of labels" }).optional(),
  files: z.array(fileEntry, { error: "must be a list of changed files" }),
  files_truncated: z.boolean({ error: "must be true or false" }).optional(),
  reviews: z.array(review, { error: "must be a list of reviews" }).optional(),
  teams: z.record(z.string(), logins, { error: "must map team slugs to lists of logins" }).optional(),
  permissions: z
    .record(z.string(), z.enum(PERMISSIONS, { error: `must be one of ${PERMISSIONS.join(", ")}` }), {
      error: "must map logins to permissions",
    })
    .optional(),
  now: z.iso.datetime({ offset: true, error: "must be an RFC 3339 date-time such as 2026-12-01T10:00:00Z" }).optional(),
});

type ParsedChange = { ok: true; facts: Facts } | { ok: false; errors: PolicyError[] };

function toFile(entry: z.infer<typeof fileEntry>): ChangedFile {
  if (typeof entry === "string") return { path: entry, status: "modified" };
  const status = entry.status ?? (entry.previous_path !== undefined ? "renamed" : "modified");
  return entry.previous_path !== undefined ? { path: entry.path, status, previous_path: entry.previous_path } : { path: entry.path, status };
}

/** `Name <e-mail>`, `<e-mail>` or a bare name, as git writes an identity. */
function nameAndEmail(value: string): { name: string; email: string } {
  const parts = /^(.*?)\s*<([^<>]*)>$/.exec(value.trim());
  return parts ? { name: (parts[1] as string).trim(), email: (parts[2] as string).trim() } : { name: value.trim(), email: "" };
}

function toUnlinked(entry: z.infer<typeof unlinkedEntry>): UnlinkedIdentity {
  if (typeof entry !== "string") {
    return { commit: entry.commit, role: (entry.role as IdentityRole | undefined) ?? "author", name: entry.name ?? "", email: entry.email ?? "" };
  }
  const [, commit, role, identity] = UNLINKED_LINE.exec(entry) as RegExpExecArray;
  return { commit: commit as string, role: (role as IdentityRole | undefined) ?? "author", ...nameAndEmail(identity as string) };
}

/** Each identity once, as the gatherer lists them: by name and e-mail, the first commit and role kept. */
function distinctUnlinked(entries: readonly UnlinkedIdentity[]): UnlinkedIdentity[] {
  const seen = new Map<string, UnlinkedIdentity>();
  for (const u of entries) {
    const key = `${u.name}\0${u.email.toLowerCase()}`;
    if (!seen.has(key)) seen.set(key, u);
  }
  return [...seen.values()];
}

/**
 * Validates a CHANGE value and turns it into Facts. `field` prefixes error field paths
 * (a policy test's change sits at `[3].change`); `now` is used when the change gives none.
 */
export function parseChange(file: string, value: unknown, locate: Locate, now: number, field = ""): ParsedChange {
  const result = changeSchema.safeParse(value);
  if (!result.success) return { ok: false, errors: schemaErrors(file, result.error, locate, changeSchema, field) };
  const change = result.data;
  const head = change.head ?? "HEAD";
  // Co-authors are contributors as the gatherer reads them: named with a GitHub noreply address.
  const contributors: string[] = [];
  for (const login of [change.author, ...(change.contributors ?? []), ...(change.co_authors ?? [])]) {
    if (!contributors.some((c) => c.toLowerCase() === login.toLowerCase())) contributors.push(login);
  }
  const reviews: Review[] = (change.reviews ?? []).map((r) => ({
    ...(r.id !== undefined ? { id: r.id } : {}),
    user: r.user,
    state: r.state,
    commit: r.commit ?? head,
    // GitHub Apps review as `name[bot]`; say `bot: false` to override.
    bot: r.bot ?? r.user.endsWith("[bot]"),
    ...(r.submitted_at !== undefined ? { submitted_at: r.submitted_at } : {}),
  }));
  return {
    ok: true,
    facts: {
      ...(change.repository !== undefined ? { repository: change.repository } : {}),
      base: change.base,
      default_branch: change.default_branch ?? change.base,
      head,
      author: change.author,
      contributors,
      unlinked: distinctUnlinked((change.unlinked ?? []).map(toUnlinked)),
      labels: change.labels ?? [],
      files: change.files.map(toFile),
      files_truncated: change.files_truncated ?? false,
      reviews,
      teams: change.teams ?? {},
      permissions: change.permissions ?? {},
      now: change.now !== undefined ? Date.parse(change.now) : now,
    },
  };
}
