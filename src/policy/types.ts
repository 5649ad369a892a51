// The policy language as the engine sees it: validated, defaulted, plain data (SPEC §1).

/** A repository permission a rule may ask for, weakest first. */
export const PERMISSIONS = ["read", "triage", "write", "maintain", "admin"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Permissions a policy may name in `approvers.permission`. */
export const POLICY_PERMISSIONS = ["write", "maintain", "admin"] as const;
type PolicyPermission = (typeof POLICY_PERMISSIONS)[number];

export const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Day = (typeof DAYS)[number];

/** Who may approve: listed users, members of listed teams, or anyone with a permission. */
export interface Approvers {
  /** Team references as written in the policy: `slug` (the repository owner's org) or `org/slug`. */
  teams: string[];
  users: string[];
  permission?: PolicyPermission;
}

export interface Rule {
  name: string;
  paths: string[];
  exclude: string[];
  approvals: number;
  approvers: Approvers;
}

/** What a commit identity that maps to no GitHub account does to a decision (SPEC §2). */
export const UNLINKED_COMMITS = ["warn", "block"] as const;
type UnlinkedCommits = (typeof UNLINKED_COMMITS)[number];

export interface Options {
  allow_author: boolean;
  allow_contributors: boolean;
  dismiss_stale: boolean;
  block_on_changes_requested: boolean;
  request_reviews: boolean;
  unlinked_commits: UnlinkedCommits;
}

/** A window with a fixed start and end (UTC instants, `until` exclusive). */
interface OneOffFreeze {
  kind: "one-off";
  name: string;
  /** Epoch milliseconds. */
  from: number;
  /** Epoch milliseconds, exclusive. */
  until: number;
}

/**
 * A window that recurs on some weekdays between two local times in a time zone.
 * `start`/`end` are minutes since local midnight; `end` may be 1440 ("24:00").
 * When `end <= start` the window runs past midnight into the next day (`days`
 * name the day it starts on).
 */
export interface RecurringFreeze {
  kind: "recurring";
  name: string;
  days: Day[];
  start: number;
  end: number;
  timezone: string;
}

export type Freeze = OneOffFreeze | RecurringFreeze;

export interface BreakGlass {
  label: string;
  approvals: number;
  approvers: Approvers;
}

export interface Audit {
  comment: boolean;
  issue_on_exception: boolean;
  deployment: boolean;
}

interface Enforce {
  required_check: boolean;
}

/** The GitHub Actions environments a policy gates (SPEC §8.1). */
export interface Deploy {
  /** GitHub environment names; the policy's own environment name when the file names none. */
  environments: string[];
}

/** Who reports what a pull-based operator applied (SPEC §8.2). */
export interface Verify {
  /** Commit status context globs (Flux's `kustomization/<name>/<id>`, Argo CD's label). */
  statuses: string[];
  /** GitHub deployment environment names (Argo CD Notifications' deployments). */
  deployments: string[];
}

/** A valid policy file, with every default filled in. */
export interface Policy {
  /** Repository-relative path of the file, e.g. `policies/production.yml`. */
  file: string;
  environment: string;
  description?: string;
  scope: {
    /** Base branch globs; undefined means "the repository's default branch". */
    branches?: string[];
    paths: string[];
    exclude: string[];
  };
  rules: Rule[];
  options: Options;
  freeze: Freeze[];
  break_glass?: BreakGlass;
  audit: Audit;
  enforce: Enforce;
  deploy: Deploy;
  verify: Verify;
}

/** One thing wrong with a policy file: where, which field, what. */
export interface PolicyError {
  file: string;
  /** 1-based; absent when the YAML gives no position. */
  line?: number;
  /** 1-based; absent when the YAML gives no position. */
  column?: number;
  /** Field path such as `rules[1].approvals`; empty for the whole file. */
  field: string;
  message: string;
}

/** A policy file that could not be used: its environment fails closed. */
export interface InvalidPolicy {
  file: string;
  /** The `environment` key when readable, else the file name without extension. */
  environment: string;
  errors: PolicyError[];
}

/** Every policy file of a repository's `policies/` folder, valid or not. */
export interface PolicySet {
  policies: Policy[];
  invalid: InvalidPolicy[];
}

/** Something worth saying about a valid policy set that does not make it invalid. */
export interface PolicyWarning {
  file: string;
  line?: number;
  column?: number;
  field: string;
  message: string;
}
