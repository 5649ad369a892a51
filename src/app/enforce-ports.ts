// The ports of enforcement (SPEC §5): what the use case (enforce.ts) asks of GitHub about one
// repository, implemented over REST in github/enforcement-github.ts and faked in tests.
// (To be folded into ports.ts with the others.)
import type { GapRecord } from "../audit/enforcement-gap.js";
import type { EnforcementChange, FoundEnforcement } from "../engine/enforcement.js";
import type { PolicySet } from "../policy/types.js";

/** The policies of a branch: its policy set at its tip, none, or a branch that does not exist (yet). */
export type BranchPolicies = { kind: "policies"; policies: PolicySet; commit: string } | { kind: "no_policies"; commit: string } | { kind: "no_branch" };

/** Where the policies come from: read at a branch's tip, through the app's one policy cache. */
export interface EnforcementPolicies {
  /** The repository's default branch, whose policies name the branches to enforce. */
  defaultBranch(): Promise<string>;
  /** Throws GatherFailed when GitHub cannot be read. */
  policiesOn(branch: string): Promise<BranchPolicies>;
}

/** What GitHub enforces, and the writes that change it. Reads and writes throw GitHubRequestFailed. */
export interface RequiredChecksGateway {
  /** The rulesets (this app's in full) and, for each literal branch, its active rules and classic protection. */
  find(literalBranches: readonly string[], appId: number): Promise<FoundEnforcement>;
  apply(change: EnforcementChange, appId: number): Promise<void>;
}

/** The exception issues of enforcement gaps (and of protection removed): opened once per key. */
export interface GapIssues {
  /** Opens the issue about `key` unless this app already did; returns its number and address. Throws GitHubRequestFailed (410 when issues are turned off). */
  open(request: { key: string; title: string; body: string; since: string }): Promise<{ number: number; url: string | null }>;
}

/** A commit that landed on a branch. */
export interface LandedCommit {
  sha: string;
  /** The first line of its message. */
  title: string;
  /** ISO 8601, as its committer dates it. */
  at: string | null;
}

/**
 * The copy of a gap's record only the app can write — a compliance/audit check run, which nobody
 * can edit or delete — and the commits that landed in a gap. Throws GitHubRequestFailed.
 */
export interface GapEvidence {
  /**
   * Posts the record (`text`, with `title`) as a compliance/audit check run on the tip of each
   * of `branches` that exists (external id `enforcement:<branch>:<from>`), or on the default
   * branch's when none does. Returns the commits it went on.
   */
  keep(request: { gap: GapRecord; branches: string[]; title: string; text: string }): Promise<string[]>;
  /** The commits that landed on `branch` between `from` and `until` (ISO 8601), newest first, at most 100. */
  landed(branch: string, from: string, until: string): Promise<{ commits: LandedCommit[]; complete: boolean }>;
}

/** Everything enforcement needs of one repository, through one client. */
export interface EnforcementPorts {
  repository: { owner: string; repo: string };
  policies: EnforcementPolicies;
  rules: RequiredChecksGateway;
  issues: GapIssues;
  evidence: GapEvidence;
  /** Requests made so far, for logs. */
  requests(): number;
}
