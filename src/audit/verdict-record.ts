// The records of the verdicts of SPEC §8, sealed like every audit record: the app's answer to a
// deployment that waited for it (`deployment`), and its check of a revision an operator applied (`applied`).
import type { Chain, ChainEnd, LinkStatus } from "./chain-types.js";
import type { AUDIT_RECORD_VERSION, PolicyVersion, Seal } from "./record.js";

/** One link of an approval chain as a verdict record keeps it: the commits that touched the environment (SPEC §8). */
export interface ChainEntry {
  sha: string;
  status: LinkStatus;
  pull_request: number | null;
  /** Digest of the record that decided the link, or null when there is none. */
  record: string | null;
  /** What is wrong with the link; null when nothing is. */
  reason: string | null;
}

/** What a verdict record says about the chain it judged. */
export interface ChainSummary {
  end: ChainEnd;
  /** The commit whose approved verdict the walk stopped at, when `end` is baseline. */
  baseline: string | null;
  links: ChainEntry[];
}

interface VerdictCommon {
  version: typeof AUDIT_RECORD_VERSION;
  repository: string;
  /** Always null: a verdict is about a commit, not a pull request. Present so every record has the same columns. */
  pull_request: null;
  /** The policy environment. */
  environment: string;
  /** The commit deployed, or applied. */
  sha: string;
  /** The gated branch the commit was found on; null when it is on none. */
  branch: string | null;
  /** The policies that judged it: those at the tip of the default branch. */
  policy: PolicyVersion;
  chain: ChainSummary;
  /** What is missing; empty when approved (compliant). */
  reasons: string[];
  compliant: boolean;
  evaluated_at: string;
}

/** The app's answer to a deployment that waited for it as a custom deployment protection rule (SPEC §8.1). */
export interface DeploymentRecordBody extends VerdictCommon {
  kind: "deployment";
  state: "approved" | "rejected";
  /** The GitHub environment the job deploys to. */
  github_environment: string;
  /** The workflow run that waits, and its deployment. */
  run_id: number;
  deployment_id: number | null;
  /** The ref the workflow deploys (a branch, tag or sha), and the event that started it. */
  ref: string | null;
  event: string | null;
  /** Who started it (the delivery's sender). */
  requested_by: string | null;
  /** The freeze window in force at the answer, or null. */
  freeze: string | null;
  /** The change behind the commit broke glass: it may deploy during a freeze, and over older violations. */
  break_glass: boolean;
  /** The older violations break glass went out over (records written before it existed lack it). */
  excepted?: string[];
}

/** Who reported a revision applied: a commit status (Flux, Argo CD) or a GitHub deployment's status (Argo CD). */
export type AppliedReporter =
  | { type: "status"; context: string; id: number | null; creator: string | null; target_url: string | null }
  | { type: "deployment"; environment: string; deployment_id: number; id: number | null; creator: string | null; target_url: string | null };

/** A revision a pull-based operator reported it applied, and whether its chain was approved (SPEC §8.2). */
export interface AppliedRecordBody extends VerdictCommon {
  kind: "applied";
  reporter: AppliedReporter;
  /** When the operator reported it (the status's or deployment status's time). */
  reported_at: string;
}

/** A verdict record before sealing. */
export type UnsealedVerdict = DeploymentRecordBody | AppliedRecordBody;
export type DeploymentRecord = DeploymentRecordBody & Seal;
export type AppliedRecord = AppliedRecordBody & Seal;
export type VerdictRecord = UnsealedVerdict & Seal;

/** The chain as a verdict record keeps it: the links that matter, without titles (the PR has them). */
export function chainSummary(chain: Chain): ChainSummary {
  return {
    end: chain.end,
    baseline: chain.baseline,
    links: chain.links.map((l) => ({ sha: l.sha, status: l.status, pull_request: l.pull_request, record: l.record, reason: l.reason })),
  };
}
