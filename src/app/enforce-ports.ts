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
  /** Throws GitHubError when GitHub cannot be read. */
  policiesOn(branch: string): Promise<BranchPolicies>;
}

/** What GitHub enforces, and the writes that change it. Reads and writes throw GitHubError. */
export interface RequiredChecksGateway {
  /** The rulesets (this app's in full) and, for each literal branch, its active rules and classic protection. */
  find(literalBranches: readonly string[], appId: number): Promise<FoundEnforcement>;
  apply(change: EnforcementChange, appId: number): Promise<void>;
}

/** The exception issues of enforcement gaps: opened once per gap, read back for the gaps they record. */
export interface GapIssues {
  /** Opens the issue about `key` unless this app already did; returns its number and address. */
  open(request: { key: string; title: string; body: string; since: string }): Promise<{ number: number; url: string | null }>;
  /** The gaps recorded in this app's exception issues updated since `since` (ISO 8601), with each issue as `#N`. */
  gapsSince(since: string): Promise<{ gap: GapRecord; issue: string | null }[]>;
}

/** Everything enforcement needs of one repository, through one client. */
export interface EnforcementPorts {
  repository: { owner: string; repo: string };
  policies: EnforcementPolicies;
  rules: RequiredChecksGateway;
  issues: GapIssues;
  /** Requests made so far, for logs. */
  requests(): number;
}
