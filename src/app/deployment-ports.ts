// What the deployment use cases (SPEC §8) ask of GitHub: the reads of an approval chain's walk, the
// policies of a branch, and the writes of an answer and a verdict record. github/deployment-github.ts
// implements it; tests fake it. Every read throws GitHubError when GitHub cannot be read.
import type { ChangedFile } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";

/** A commit of a branch's history, newest first, with its parents (first parent first). */
export interface HistoryCommit {
  sha: string;
  parents: string[];
}

/** The policies at a branch's tip, with the commit and blob sha of each file (the version a record cites). */
export interface BranchPolicies {
  policies: PolicySet;
  commit: string;
  blobs: Record<string, string>;
}

/** The reads of an approval chain's walk (SPEC §8). */
export interface ChainReads {
  /** The first-parent history from `sha`, newest first, at most `max` commits; `exhausted` when it reached the first commit. */
  firstParents(sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }>;
  /** The pull request merged into `branch` that GitHub associates with the commit, or null. */
  pullOf(sha: string, branch: string): Promise<{ number: number; title: string } | null>;
  /** The audit records this app wrote on the pull request (its audit comment). */
  mergeRecords(number: number): Promise<Record<string, unknown>[]>;
  /** The audit records this app wrote in the commit's compliance/audit check runs: push, deployment and applied records. */
  checkRecords(sha: string): Promise<Record<string, unknown>[]>;
  /** The files the commit changed (against its first parent). */
  commitFiles(sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }>;
  /** The policies at a commit of `branch`; null when it has none. */
  policiesAt(commit: string, branch: string): Promise<PolicySet | null>;
}

/** A verdict record to write: on the commit it judges, as a completed compliance/audit check run. */
export interface VerdictWrite {
  sha: string;
  /** Names the verdict among the commit's records: `deployment:<env>:<run>`, `applied:<env>:<reporter>`. */
  externalId: string;
  compliant: boolean;
  title: string;
  summary: string;
  /** Holds the sealed record whole. */
  text: string;
}

/** What the deployment gate and the applied-revision check ask of GitHub, besides the walk. */
export interface DeploymentGitHub extends ChainReads {
  /** The tip of a branch, or null when there is no such branch. */
  branchTip(branch: string): Promise<string | null>;
  /** The policies at the tip of `branch`; null when it has none. */
  branchPolicies(branch: string): Promise<BranchPolicies | null>;
  /** Whether `sha` is `branch`'s tip or one of its ancestors. */
  isOnBranch(sha: string, branch: string): Promise<boolean>;
  /** The commit and branch of a workflow run (`actions: read`); null when GitHub has no such run. */
  workflowRun(runId: number): Promise<{ sha: string; branch: string | null } | null>;
  /** Answers a workflow run waiting on this app as a custom deployment protection rule. */
  answerProtectionRule(runId: number, environment: string, state: "approved" | "rejected", comment: string): Promise<void>;
  /** Writes a verdict record. */
  writeVerdict(write: VerdictWrite): Promise<void>;
  /** Opens the exception issue about `key` unless this app already did; its number, or null when GitHub refused for good. */
  openException(key: string, title: string, body: string): Promise<number | null>;
}
