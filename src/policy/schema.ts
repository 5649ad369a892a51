// The one definition of a policy file's shape (SPEC §1): types, ranges, defaults, messages and
// editor help. What a schema cannot say lives in semantics.ts; the JSON Schema is generated from this.
import { z } from "zod";
import { DATE_TIME_PATTERN, TIME_RANGE_PATTERN, WHOLE_DAY } from "./freeze.js";
import { POLICY_DIR } from "./folder.js";
import { MAX_GLOB_LENGTH, MAX_GLOBS_PER_LIST } from "./glob-bounds.js";
import { POLICY_PERMISSIONS, UNLINKED_COMMITS, type Day } from "./types.js";

/** Environment names: they become check names (`compliance/<environment>`). */
export const ENVIRONMENT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Environment names no policy may use: `compliance/policy` is the check that validates policy
 * files (SPEC §3.2), and an environment of that name would post over it, or be posted over.
 */
export const RESERVED_ENVIRONMENTS: readonly string[] = ["policy"];

/** Days in the order people write them. */
const WEEK_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const satisfies readonly Day[];

/** The most approvals a rule (or break glass) may ask for. */
const MAX_APPROVALS = 20;

/** Messages shared by the schema and the semantic checks, so both say the same thing. */
export const MESSAGES = {
  approvals: `must be an integer from 0 to ${MAX_APPROVALS}`,
  boolean: "must be true or false",
  dateTime: "must be an RFC 3339 date-time with a time zone, e.g. 2026-12-20T00:00:00Z",
  day: `must be one of ${WEEK_DAYS.join(", ")}`,
  environment:
    "must be 1 to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit",
  reservedEnvironment:
    "is reserved: its check would be `compliance/policy`, the check that validates policy files; name the environment differently",
  nonEmptyString: "must be a non-empty string",
  timeRange: 'must be a time range "HH:MM-HH:MM" from 00:00 to 24:00 (24:00 only as the end), e.g. "18:00-06:00"',
  timeZone: "must be an IANA time zone such as Europe/Berlin or UTC",
} as const;

const nonEmptyString = (description: string) =>
  z.string({ error: MESSAGES.nonEmptyString }).min(1, { error: MESSAGES.nonEmptyString }).meta({ description });

const flag = (defaultValue: boolean, description: string) =>
  z.boolean({ error: MESSAGES.boolean }).default(defaultValue).meta({ description });

// Lengths are enforced by semantics.ts, whose messages name the glob or list; `maxLength` and `maxItems` tell editors.
const glob = z.string({ error: "must be a glob (a string)" }).meta({
  description:
    "A minimatch glob over repository-relative paths: `*` stays within a folder, `**` crosses folders and matches dot files. No leading `/` or `!`, no `..`. At most 1,024 characters, 256 patterns once its braces are expanded, and 64 `**` in a pattern.",
  maxLength: MAX_GLOB_LENGTH,
});

/** A GitHub environment name as a deployment or an Actions job names it: up to 255 characters, compared case-insensitively as GitHub does. */
const githubEnvironment = z
  .string({ error: "must be a GitHub environment name (a non-empty string)" })
  .min(1, { error: "must be a GitHub environment name (a non-empty string)" })
  .max(255, { error: "must be at most 255 characters, GitHub's limit for an environment name" });

// Checked like a path glob by semantics.ts (bounded, no leading `/` or `!`), then matched against a status's context.
const statusContextGlob = z.string({ error: "must be a glob (a string)" }).meta({
  description: "A glob over commit status contexts, e.g. `kustomization/apps-production/*`: `*` stays within a `/`-separated part, `**` crosses them.",
  maxLength: MAX_GLOB_LENGTH,
});

const globList = (description: string) => z.array(glob, { error: "must be a list of globs" }).meta({ description, maxItems: MAX_GLOBS_PER_LIST });

const requiredGlobs = (description: string) =>
  z
    .array(glob, { error: "must be a list of globs" })
    .min(1, { error: "must list at least one glob" })
    .meta({ description, maxItems: MAX_GLOBS_PER_LIST });

const approvals = (description: string) =>
  z
    .number({ error: MESSAGES.approvals })
    .int({ error: MESSAGES.approvals })
    .min(0, { error: MESSAGES.approvals })
    .max(MAX_APPROVALS, { error: MESSAGES.approvals })
    .meta({ description });

const TEAM_MESSAGE = "must be a team slug such as `sre` or `acme/sre` (without `@`)";
const LOGIN_MESSAGE = "must be a GitHub login such as `alice` (without `@`)";

/** Who may approve; shared by rules and break glass. */
export const approversSchema = z
  .strictObject(
    {
      teams: z
        .array(
          z
            .string({ error: TEAM_MESSAGE })
            .regex(/^(?:[A-Za-z0-9][A-Za-z0-9-]*\/)?[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: TEAM_MESSAGE }),
          { error: "must be a list of team slugs" },
        )
        .default([])
        .meta({
          description:
            "Teams whose active members may approve (child teams included): a slug in the repository owner's organization, or `org/slug`.",
        }),
      users: z
        .array(z.string({ error: LOGIN_MESSAGE }).regex(/^[A-Za-z0-9][A-Za-z0-9-]*(?:\[bot\])?$/, { error: LOGIN_MESSAGE }), {
          error: "must be a list of GitHub logins",
        })
        .default([])
        .meta({ description: "GitHub logins that may approve. A bot's approval counts only when it is listed here by exact login." }),
      permission: z
        .enum(POLICY_PERMISSIONS, { error: `must be one of ${POLICY_PERMISSIONS.join(", ")}` })
        .optional()
        .meta({ description: "Anyone with at least this permission on the repository may approve." }),
    },
    { error: "must be a mapping of `teams`, `users` and/or `permission`" },
  )
  .meta({ description: "Who may approve: listed users, active members of listed teams, or anyone with a permission." });

/** One rule: the approvals a set of paths needs. */
export const ruleSchema = z
  .strictObject(
    {
      name: nonEmptyString("Unique in the file; shown in checks and the audit record."),
      paths: requiredGlobs("The paths this rule applies to."),
      exclude: globList("Paths this rule does not apply to.").default([]),
      approvals: approvals("How many distinct approvers must approve (0 to 20; 0 means the rule is satisfied outright)."),
      approvers: approversSchema.optional(),
    },
    { error: "must be a mapping with `name`, `paths`, `approvals` and `approvers`" },
  )
  .meta({ description: "Every rule that matches a changed path must be satisfied: rules add up." });

/**
 * A freeze window, one-off (`from`/`until`) or recurring (`days`, `time`, `timezone`).
 * Both forms share one object so that mixing them gets one clear error (semantics.ts)
 * rather than a union's guesswork; the JSON Schema adds the either/or for editors.
 */
export const freezeWindowSchema = z
  .strictObject(
    {
      name: nonEmptyString("Shown in the check while the window is active."),
      from: z
        .string({ error: MESSAGES.dateTime })
        .regex(DATE_TIME_PATTERN, { error: MESSAGES.dateTime })
        .optional()
        .meta({ description: "One-off window: first instant of the freeze (RFC 3339 with a zone).", format: "date-time" }),
      until: z
        .string({ error: MESSAGES.dateTime })
        .regex(DATE_TIME_PATTERN, { error: MESSAGES.dateTime })
        .optional()
        .meta({ description: "One-off window: the instant the freeze ends (exclusive; after `from`).", format: "date-time" }),
      days: z
        .array(z.enum(WEEK_DAYS, { error: MESSAGES.day }), { error: `must be a list of days (${WEEK_DAYS.join(" ")})` })
        .min(1, { error: "must list at least one day" })
        .optional()
        .meta({ description: "Recurring window: the days it starts on." }),
      time: z
        .string({ error: MESSAGES.timeRange })
        .regex(TIME_RANGE_PATTERN, { error: MESSAGES.timeRange })
        .optional()
        .meta({
          description: `Recurring window: local time range, default "${WHOLE_DAY}". An end before the start runs past midnight into the next day.`,
          default: WHOLE_DAY,
        }),
      timezone: z
        .string({ error: MESSAGES.timeZone })
        .optional()
        .meta({ description: "Recurring window: IANA time zone of `time`, default UTC.", default: "UTC" }),
    },
    { error: "must be a mapping: a one-off window (`name`, `from`, `until`) or a recurring one (`name`, `days`, `time`, `timezone`)" },
  )
  .meta({ description: "A window in which changes are blocked: one-off (`from`, `until`) or recurring (`days`, `time`, `timezone`)." });

/** The emergency path. */
export const breakGlassSchema = z
  .strictObject(
    {
      label: nonEmptyString("The pull request label that invokes break glass."),
      approvals: approvals("How many break-glass approvers must approve (0 to 20)."),
      approvers: approversSchema.optional(),
    },
    { error: "must be a mapping with `label`, `approvals` and `approvers`" },
  )
  .meta({
    description:
      "Emergency path: a labelled pull request with these approvals is approved despite pending rules or blockers; its merge opens a retrospective issue.",
  });

/** A policy file as written, with the schema's defaults applied. */
export const policySchema = z
  .strictObject(
    {
      version: z.literal(1, { error: "must be 1" }).meta({ description: "Policy format version; only 1 exists." }),
      environment: z
        .string({ error: MESSAGES.environment })
        .regex(ENVIRONMENT_PATTERN, { error: MESSAGES.environment })
        .optional()
        .meta({ description: "Environment name, used in the check name `compliance/<environment>`. Default: the file name without extension." }),
      description: z.string({ error: "must be a string" }).optional().meta({ description: "Shown in check output." }),
      scope: z
        .strictObject(
          {
            branches: z
              .array(glob, { error: "must be a list of branch globs" })
              .min(1, { error: "must list at least one branch glob (leave `branches` out to mean the default branch)" })
              .optional()
              .meta({ description: "Base branches (globs) this environment deploys from. Default: the repository's default branch.", maxItems: MAX_GLOBS_PER_LIST }),
            paths: requiredGlobs("The paths that belong to this environment."),
            exclude: globList("Paths left out of the environment even when `paths` match them.").default([]),
          },
          { error: "must be a mapping with `paths` (and optionally `branches` and `exclude`)" },
        )
        .meta({ description: "Which changes belong to this environment." }),
      rules: z
        .array(ruleSchema, { error: "must be a list of rules" })
        .min(1, { error: "must list at least one rule" })
        .meta({ description: "Who must approve which paths. Every in-scope path must be covered by a rule." }),
      options: z
        .strictObject(
          {
            allow_author: flag(false, "The pull request author's approval counts."),
            allow_contributors: flag(
              false,
              "Approvals by contributors count: the authors and committers of the pull request's commits, and co-authors named with a GitHub noreply address.",
            ),
            dismiss_stale: flag(true, "Only approvals of the current head commit count."),
            block_on_changes_requested: flag(true, "An eligible approver's outstanding \"changes requested\" blocks."),
            request_reviews: flag(false, "Request reviews from the users and teams whose approval is still missing."),
            unlinked_commits: z
              .enum(UNLINKED_COMMITS, { error: `must be one of ${UNLINKED_COMMITS.join(", ")}` })
              .default("warn")
              .meta({
                description:
                  "A commit author, committer or co-author that maps to no GitHub account could be anyone, an approver included: `warn` says so in the check and the audit record; `block` blocks the environment (break glass still overrides).",
              }),
          },
          { error: "must be a mapping of options" },
        )
        .prefault({})
        .meta({ description: "How approvals are counted." }),
      freeze: z
        .array(freezeWindowSchema, { error: "must be a list of freeze windows" })
        .default([])
        .meta({ description: "Windows in which changes are blocked." }),
      break_glass: breakGlassSchema.optional(),
      audit: z
        .strictObject(
          {
            comment: flag(true, "Write the audit comment on merge."),
            issue_on_exception: flag(true, "Open an issue for break-glass merges and violations."),
            deployment: flag(false, "Record a GitHub deployment for this environment on merge."),
          },
          { error: "must be a mapping of audit settings" },
        )
        .prefault({})
        .meta({ description: "The audit trail written on merge." }),
      enforce: z
        .strictObject(
          {
            required_check: flag(
              false,
              "Keep the branch protection of every literal branch in `scope.branches` requiring this environment's check.",
            ),
          },
          { error: "must be a mapping of enforcement settings" },
        )
        .prefault({})
        .meta({ description: "Guard rails the app keeps in place." }),
      deploy: z
        .strictObject(
          {
            environments: z
              .array(githubEnvironment, { error: "must be a list of GitHub environment names" })
              .min(1, { error: "must list at least one GitHub environment (leave `deploy` out to mean the policy's own environment)" })
              .optional()
              .meta({
                description:
                  "GitHub Actions environments this policy gates as a custom deployment protection rule (SPEC §8.1). Default: the policy's environment name.",
              }),
          },
          { error: "must be a mapping with `environments`" },
        )
        .prefault({})
        .meta({ description: "Push-based deployments this policy gates: a pipeline job deploying to these GitHub environments waits for the app." }),
      verify: z
        .strictObject(
          {
            statuses: z
              .array(statusContextGlob, { error: "must be a list of commit status context globs" })
              .default([])
              .meta({
                description:
                  "Commit status contexts (globs) of the operator that reports what it applied, e.g. Flux's `kustomization/apps-production/*` (SPEC §8.2).",
                maxItems: MAX_GLOBS_PER_LIST,
              }),
            deployments: z
              .array(githubEnvironment, { error: "must be a list of GitHub deployment environment names" })
              .default([])
              .meta({ description: "GitHub deployment environments the operator reports to, e.g. Argo CD Notifications' `deployment.environment` (SPEC §8.2)." }),
          },
          { error: "must be a mapping with `statuses` and/or `deployments`" },
        )
        .prefault({})
        .meta({ description: "Pull-based operators whose reports of an applied revision the app verifies against the approval chain." }),
    },
    { error: "the top level must be a mapping of policy keys (`version`, `scope`, `rules`, …)" },
  )
  .meta({
    title: "compliance-gate policy",
    description: `One environment's approval policy: ${POLICY_DIR}/<environment>.yml in a GitOps environment repository.`,
  });

/** A policy file as written, after the schema's defaults: the input of `toPolicy`. */
export type PolicyInput = z.output<typeof policySchema>;
