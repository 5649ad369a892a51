// The audit record of a change that reached environments (SPEC §4.2): its shape, and how it is
// built from the decision about the merged pull request (or the direct push) — pure, no I/O.
import type { CountedApproval, Decision, EnvironmentDecision, IdentityRole, State, UnlinkedIdentity } from "../engine/types.js";
import { sortLogins, WEB_FLOW } from "../engine/approvals.js";
import { loginKey } from "../engine/approvers.js";
import { compareCodePoints } from "../policy/code-point-order.js";
import { formatPolicyError } from "../policy/errors.js";
import { boundDescription, boundLinkedIssues, type LinkedIssue } from "./merge-why.js";

/** What a merge's audit record (and its export row) says about an enforcement gap it landed in (SPEC §5; enforcement-gap.ts). */
export interface GapFlag {
  /** Null: the gap's start is not known ("start unknown"), only that it ended at `until`. */
  from: string | null;
  until: string;
  by: string | null;
  /** The exception issue, `#12`, or the check run that holds the gap's record. */
  issue: string | null;
}

/** The only record version there is; a new one gets a new marker and a new number. */
export const AUDIT_RECORD_VERSION = 1;

/** An approval that counted for a rule (or for break glass), with the evidence to check it on GitHub. */
export interface AuditApproval {
  login: string;
  /** GitHub's review id; null when it was not known. */
  review_id: number | null;
  /** The commit the approval was given on. */
  commit: string;
  /** ISO 8601; null when it was not known. */
  submitted_at: string | null;
  /**
   * Why the reviewer counted, at evaluation time: `user` (listed by login), `team:org/slug`
   * (an active member of that team: the membership that made the approval count) or
   * `permission:<held>` (held at least the rule's permission on the repository).
   */
  via: string[];
}

export interface AuditRule {
  name: string;
  /** Approvals the rule requires. */
  required: number;
  satisfied: boolean;
  /** The approvals that counted, sorted by login. */
  approved_by: AuditApproval[];
}

/** An environment the change touched, and its decision when the change landed. */
export interface AuditEnvironment {
  environment: string;
  /** The policy file(s) of the environment; their blob shas are under the record's `policy.files`. */
  policy_file: string;
  /** The decision's state; never not_affected (such environments are left out of a record). */
  state: Exclude<State, "not_affected">;
  /** Approved through the break-glass path (SPEC §2 step 11): compliant, and a retrospective is due. */
  break_glass: boolean;
  /** The approvals that opened the break glass; empty unless `break_glass`. */
  break_glass_approved_by: AuditApproval[];
  /** How many in-scope paths the change touched. */
  files: number;
  /** How many of them no rule covered (any makes the state blocked). */
  uncovered: number;
  /** The freeze window in force, or null. */
  freeze: string | null;
  /** Approvers whose outstanding "changes requested" blocked, sorted. */
  changes_requested: string[];
  /** Whether the record's `unlinked` identities blocked this environment (its `options.unlinked_commits: block`). */
  unlinked_blocks: boolean;
  /** Why the state is error (file:line:col: message); empty otherwise. */
  errors: string[];
  /** The rules that applied, in policy file order. */
  rules: AuditRule[];
}

/**
 * A commit identity that maps to no GitHub account (SPEC §2, `unlinked`): whoever wrote it could
 * have approved the change, so separation of duties cannot be shown for it.
 */
export interface AuditUnlinked {
  /** The first commit that carries it. */
  commit: string;
  role: IdentityRole;
  name: string;
  email: string;
}

/** The policy version that judged the change: the base commit and the blob sha of each policy file. */
export interface PolicyVersion {
  commit: string;
  files: Record<string, string>;
}

interface RecordCommon {
  version: typeof AUDIT_RECORD_VERSION;
  repository: string;
  /** The branch the change landed on. */
  base: string;
  /**
   * Logins of commit authors, committers and co-authors (named with a GitHub noreply address),
   * sorted; for a merge, always including the PR's author.
   */
  contributors: string[];
  /**
   * Commit identities that map to no GitHub account, oldest commit first; always present, so an
   * empty list says none were found (records written before this field existed lack it).
   */
  unlinked: AuditUnlinked[];
  policy: PolicyVersion;
  /** Every environment the change touched (state other than not_affected), sorted by name. */
  environments: AuditEnvironment[];
  /** Every environment in `environments` was approved — break glass included (see `isCompliant`). */
  compliant: boolean;
  /** ISO 8601. */
  evaluated_at: string;
}

/** A merged pull request (SPEC §4.2). */
export interface MergeRecordBody extends RecordCommon {
  kind: "merge";
  pull_request: number;
  title: string;
  /**
   * Why, in the author's words: the pull request's description at the merge, at most 4 KiB (a
   * longer one is cut, ending with DESCRIPTION_CUT_MARKER). Records written before it existed lack it.
   */
  description?: string;
  /**
   * The issues GitHub says the pull request closes, at most MAX_LINKED_ISSUES; null when GitHub
   * could not say (an API without them). Records written before it existed lack it.
   */
  linked_issues?: LinkedIssue[] | null;
  /** How many issues GitHub links, when more than are listed could be; absent otherwise. */
  linked_issues_total?: number;
  author: string;
  head_sha: string;
  merge_commit_sha: string;
  /** Null when GitHub does not say (a deleted account). */
  merged_by: string | null;
  merged_at: string;
  /**
   * Present when the merge landed while its branch was not guarded as its policies require (SPEC §5):
   * the gap, as its exception issue records it. Absent otherwise (and in records written before it existed).
   */
  enforcement_gap?: GapFlag;
}

/** A commit of a direct push: one that belongs to no merged pull request. */
export interface PushCommit {
  sha: string;
  /** GitHub logins; null when the commit's e-mail belongs to no account. */
  author: string | null;
  committer: string | null;
}

/** A direct push to a gated branch that changed in-scope paths outside any pull request (SPEC §4.3). */
export interface PushRecordBody extends RecordCommon {
  kind: "push";
  /** Always null: a push has no pull request. Present so every record has the same columns. */
  pull_request: null;
  pusher: string;
  /** ISO 8601, when the push happened (the head commit's time, as GitHub reports it). */
  pushed_at: string;
  before: string;
  after: string;
  /** The commits of the push that belong to no merged pull request, oldest first. */
  commits: PushCommit[];
}

/** A record of a change (a merge or a direct push) before sealing: what the digest and signature cover. */
export type UnsealedRecord = MergeRecordBody | PushRecordBody;

/** The seal of a record (SPEC §4.2). */
export interface Seal {
  /** `sha256:<hex>` of the canonical JSON of the record without `digest` and `signature`. */
  digest: string;
  /** `ed25519:<base64>` signature of those same bytes; absent when the app has no signing key. */
  signature?: string;
}

export type AuditRecord = UnsealedRecord & Seal;
export type MergeRecord = MergeRecordBody & Seal;
export type PushRecord = PushRecordBody & Seal;

/** What a merge record is built from: the merged pull request, and its decision as merged. */
export interface MergeRecordInput {
  /** `owner/name`. */
  repository: string;
  pull: {
    number: number;
    title: string;
    /** The description at the merge; null when it has none. */
    body: string | null;
    author: string;
    head_sha: string;
    merge_commit_sha: string;
    merged_by: string | null;
    merged_at: string;
    /** The base branch. */
    base: string;
  };
  /** Commit authors, committers and co-authors of the PR (facts `contributors`); the author is added. */
  contributors: readonly string[];
  /** The PR's commit identities linked to no GitHub account (facts `unlinked`). */
  unlinked: readonly UnlinkedIdentity[];
  /** The issues it closes as GitHub links them, and how many there are; null when GitHub could not say. */
  linkedIssues: { issues: readonly LinkedIssue[]; total: number } | null;
  decision: Decision;
  policy: PolicyVersion;
  /** ISO 8601. */
  evaluated_at: string;
  /** The enforcement gap the merge landed in, if any. */
  enforcementGap?: GapFlag | null;
}

/** What a push record is built from: the push, and the decision about its changes as a pull request would get. */
export interface PushRecordInput {
  repository: string;
  push: {
    branch: string;
    before: string;
    after: string;
    pusher: string;
    pushed_at: string;
    /** Only the commits that belong to no merged pull request. */
    commits: readonly PushCommit[];
    /** Logins found behind those commits besides their `author` and `committer`: co-authors (facts `contributors`). */
    contributors: readonly string[];
    /** Identities of those commits that map to no GitHub account. */
    unlinked: readonly UnlinkedIdentity[];
  };
  decision: Decision;
  policy: PolicyVersion;
  evaluated_at: string;
}

/** Distinct logins (case-insensitively, the first spelling kept), sorted. */
function distinctLogins(logins: Iterable<string>): string[] {
  const seen = new Map<string, string>();
  for (const login of logins) if (!seen.has(loginKey(login))) seen.set(loginKey(login), login);
  return sortLogins(seen.values());
}

function auditApproval(a: CountedApproval): AuditApproval {
  return {
    login: a.login,
    review_id: a.review_id ?? null,
    commit: a.commit,
    submitted_at: a.submitted_at ?? null,
    via: [...a.via],
  };
}

function auditUnlinked(u: UnlinkedIdentity): AuditUnlinked {
  return { commit: u.commit, role: u.role, name: u.name, email: u.email };
}

function auditEnvironment(env: EnvironmentDecision, state: Exclude<State, "not_affected">): AuditEnvironment {
  return {
    environment: env.environment,
    policy_file: env.file,
    state,
    break_glass: env.break_glass,
    break_glass_approved_by: env.break_glass ? (env.break_glass_detail?.approvals ?? []).map(auditApproval) : [],
    files: env.files.length,
    uncovered: env.uncovered.length,
    freeze: env.freeze,
    changes_requested: [...env.changes_requested],
    unlinked_blocks: env.unlinked_blocks,
    errors: env.errors.map(formatPolicyError),
    rules: env.rules.map((rule) => ({
      name: rule.name,
      required: rule.required,
      satisfied: rule.satisfied,
      approved_by: rule.approvals.map(auditApproval),
    })),
  };
}

/**
 * The environments a record lists: every evaluated environment the change touched, i.e. all
 * but not_affected ones — what the change deployed to. An environment in error is listed (its
 * files could not be judged, so it may have been touched) and makes the record non-compliant.
 */
export function affectedEnvironments(decision: Decision): AuditEnvironment[] {
  const out: AuditEnvironment[] = [];
  for (const env of decision.environments) {
    if (env.state === "not_affected") continue;
    out.push(auditEnvironment(env, env.state));
  }
  return out.sort((a, b) => compareCodePoints(a.environment, b.environment));
}

/**
 * Whether a change was compliant: every environment it touched was approved. An approval
 * through break glass is compliant — the policy provides that path and the state is approved
 * (SPEC §2 step 11); SPEC §4.3 makes a violation "not approved", and break glass an exception
 * of its own, flagged by `break_glass` on the environment and followed by a retrospective.
 */
export function isCompliant(environments: readonly AuditEnvironment[]): boolean {
  return environments.every((env) => env.state === "approved");
}

function policyVersion(policy: PolicyVersion): PolicyVersion {
  return { commit: policy.commit, files: { ...policy.files } };
}

/** The record of a merged pull request (without digest and signature), from its decision as merged. */
export function buildMergeRecord(input: MergeRecordInput): MergeRecordBody {
  const environments = affectedEnvironments(input.decision);
  const { pull } = input;
  return {
    version: AUDIT_RECORD_VERSION,
    kind: "merge",
    repository: input.repository,
    pull_request: pull.number,
    title: pull.title,
    description: boundDescription(pull.body),
    ...boundLinkedIssues(input.linkedIssues),
    author: pull.author,
    contributors: distinctLogins([pull.author, ...input.contributors].filter((l) => loginKey(l) !== WEB_FLOW)),
    unlinked: input.unlinked.map(auditUnlinked),
    base: pull.base,
    head_sha: pull.head_sha,
    merge_commit_sha: pull.merge_commit_sha,
    merged_by: pull.merged_by,
    merged_at: pull.merged_at,
    ...(input.enforcementGap ? { enforcement_gap: { ...input.enforcementGap } } : {}),
    policy: policyVersion(input.policy),
    environments,
    compliant: isCompliant(environments),
    evaluated_at: input.evaluated_at,
  };
}

/**
 * The record of a direct push (without digest and signature). Its environments are judged as a
 * pull request with no reviews would be, so the push is compliant only when every rule it
 * touched needs no approval; otherwise it is a violation (SPEC §4.3).
 */
export function buildPushRecord(input: PushRecordInput): PushRecordBody {
  const environments = affectedEnvironments(input.decision);
  const { push } = input;
  const people = [...push.commits.flatMap((c) => [c.author, c.committer]), ...push.contributors].filter(
    (l): l is string => l !== null && loginKey(l) !== WEB_FLOW,
  );
  return {
    version: AUDIT_RECORD_VERSION,
    kind: "push",
    repository: input.repository,
    pull_request: null,
    base: push.branch,
    pusher: push.pusher,
    pushed_at: push.pushed_at,
    before: push.before,
    after: push.after,
    contributors: distinctLogins(people),
    unlinked: push.unlinked.map(auditUnlinked),
    commits: push.commits.map((c) => ({ sha: c.sha, author: c.author, committer: c.committer })),
    policy: policyVersion(input.policy),
    environments,
    compliant: isCompliant(environments),
    evaluated_at: input.evaluated_at,
  };
}

/**
 * How a record is named in output: `owner/name#42` for a merge, `owner/name@abc1234` for a push,
 * `owner/name@abc1234 deployment to production` for a verdict;
 * null when `record` has neither form (not a record, or one damaged beyond naming).
 */
export function recordLabel(record: unknown): string | null {
  if (typeof record !== "object" || record === null) return null;
  const r = record as Record<string, unknown>;
  if (typeof r.repository !== "string") return null;
  if (typeof r.pull_request === "number") return `${r.repository}#${r.pull_request}`;
  if (r.kind === "push" && typeof r.after === "string") return `${r.repository}@${r.after.slice(0, 7)}`;
  if ((r.kind === "deployment" || r.kind === "applied" || r.kind === "rebaseline") && typeof r.sha === "string" && typeof r.environment === "string") {
    return `${r.repository}@${r.sha.slice(0, 7)} ${r.kind} to ${r.environment}`;
  }
  return null;
}
