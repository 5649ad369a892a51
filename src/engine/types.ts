// The facts of a pull request and the decision about them (SPEC §2): plain data, no I/O.
import type { Permission, PolicyError } from "../policy/types.js";

export type FileStatus = "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";

export interface ChangedFile {
  path: string;
  status: FileStatus;
  /** For renames and copies: where the file came from. */
  previous_path?: string;
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";

export interface Review {
  /** GitHub's review id, when known (the audit record cites it). */
  id?: number;
  user: string;
  state: ReviewState;
  /** The commit the review was made on. */
  commit: string;
  bot: boolean;
  /** ISO 8601, when known. */
  submitted_at?: string;
}

/** Which git identity of a commit: its author, its committer, or a `Co-authored-by:` trailer. */
export type IdentityRole = "author" | "committer" | "co-author";

/**
 * A commit identity that maps to no GitHub account (SPEC §2, fact `unlinked`): its writer cannot
 * be told apart from the approvers, so separation of duties cannot be shown for it.
 */
export interface UnlinkedIdentity {
  /** The first commit that carries it (oldest first), full sha. */
  commit: string;
  /** Its role in that commit. */
  role: IdentityRole;
  /** As git records it; may be empty. */
  name: string;
  /** As git records it; may be empty. */
  email: string;
}

/** Everything the decision needs to know about a pull request. */
export interface Facts {
  /** `owner/name`, when known; its owner qualifies bare team slugs. */
  repository?: string;
  base: string;
  /** The repository's default branch: the scope of policies without `scope.branches`. */
  default_branch: string;
  head: string;
  author: string;
  /**
   * Logins of commit authors and committers (the author is always one), and of `Co-authored-by:`
   * trailers with a GitHub noreply address.
   */
  contributors: string[];
  /** Commit identities that map to no GitHub account, each once (by name and e-mail), oldest commit first. */
  unlinked: UnlinkedIdentity[];
  labels: string[];
  files: ChangedFile[];
  files_truncated: boolean;
  /** Chronological. */
  reviews: Review[];
  /**
   * Active members of teams, keyed by team reference. Keys may be `org/slug` or a bare
   * `slug` (meaning the repository owner's org); the engine qualifies both sides.
   */
  teams: Record<string, string[]>;
  /** Repository permission of reviewers, by login. */
  permissions: Record<string, Permission>;
  /** Evaluation time, epoch milliseconds. */
  now: number;
}

export type State = "approved" | "pending" | "blocked" | "error" | "not_affected";

export type IgnoredReason = "author" | "contributor" | "stale" | "bot" | "not_an_approver" | "dismissed";

export interface IgnoredReview {
  user: string;
  reason: IgnoredReason;
}

/** An approval that counted, with what an audit record needs to cite it. */
export interface CountedApproval {
  login: string;
  review_id?: number;
  commit: string;
  submitted_at?: string;
  /** Why this reviewer is an approver: `user`, `team:org/slug`, or `permission:write`. */
  via: string[];
}

/** Who could still approve a rule, for titles, @mentions and review requests. */
export interface Needed {
  users: string[];
  /** Qualified `org/slug` (or bare slug when the repository is unknown). */
  teams: string[];
  permission?: Permission;
}

export interface RuleDecision {
  name: string;
  required: number;
  satisfied: boolean;
  missing: number;
  /** In-scope paths this rule applies to, sorted. */
  files: string[];
  /** Logins whose approval counted, sorted. */
  approved_by: string[];
  approvals: CountedApproval[];
  /** Reviews with an APPROVED (or DISMISSED) stance that did not count, by user. */
  ignored: IgnoredReview[];
  needed: Needed;
}

export interface BreakGlassDecision {
  label: string;
  /** Whether the PR carries the label. */
  labelled: boolean;
  required: number;
  satisfied: boolean;
  /** `max(0, required - counted)`. */
  missing: number;
  approved_by: string[];
  approvals: CountedApproval[];
  ignored: IgnoredReview[];
  /** Who could still approve the break glass; empty once satisfied. */
  needed: Needed;
}

export interface EnvironmentDecision {
  environment: string;
  check: string;
  /** The policy file(s) this environment comes from. */
  file: string;
  description?: string;
  state: State;
  break_glass: boolean;
  /** One line saying what is missing, or that nothing is. */
  title: string;
  /** In-scope paths (SPEC §2 step 2), sorted. */
  files: string[];
  /** In-scope paths no rule covers, sorted. */
  uncovered: string[];
  /** Name of the active freeze window, or null. */
  freeze: string | null;
  /** Applicable rules, in file order. */
  rules: RuleDecision[];
  /** Approvers of an applicable rule whose stance is CHANGES_REQUESTED (when that blocks), sorted. */
  changes_requested: string[];
  /** The PR's commit identities that map to no GitHub account; empty when the environment is not affected or not evaluated (error). */
  unlinked: UnlinkedIdentity[];
  /** Whether `unlinked` blocks this environment (`options.unlinked_commits: block`), or is only warned about. */
  unlinked_blocks: boolean;
  /** Present when the policy has a break-glass path. */
  break_glass_detail?: BreakGlassDecision;
  /** Validation or evaluation errors behind an `error` state. */
  errors: PolicyError[];
}

export interface Decision {
  /** Environments whose branches match the base, sorted by name. */
  environments: EnvironmentDecision[];
}
