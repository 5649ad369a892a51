// The CHANGE document of `simulate` and policy tests (SPEC §6.2): validated and turned into Facts.
import { z } from "zod";
import type { ChangedFile, Facts, Review } from "../engine/types.js";
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

/** The CHANGE document's schema. */
export const changeSchema = z.strictObject({
  repository: z.string({ error: "must be OWNER/NAME" }).regex(/^[^/\s]+\/[^/\s]+$/, { error: "must be OWNER/NAME" }).optional(),
  base: z.string({ error: "must be a branch name" }).min(1, { error: "must not be empty" }),
  default_branch: z.string({ error: "must be a branch name" }).min(1).optional(),
  head: z.string({ error: "must be a commit" }).min(1).optional(),
  author: login,
  contributors: logins.optional(),
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

export type Change = z.infer<typeof changeSchema>;

export type ParsedChange = { ok: true; facts: Facts } | { ok: false; errors: PolicyError[] };

function toFile(entry: z.infer<typeof fileEntry>): ChangedFile {
  if (typeof entry === "string") return { path: entry, status: "modified" };
  const status = entry.status ?? (entry.previous_path !== undefined ? "renamed" : "modified");
  return entry.previous_path !== undefined ? { path: entry.path, status, previous_path: entry.previous_path } : { path: entry.path, status };
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
  const contributors = [...(change.contributors ?? [])];
  if (!contributors.some((c) => c.toLowerCase() === change.author.toLowerCase())) contributors.unshift(change.author);
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
