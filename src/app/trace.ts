// `audit trace` (SPEC §8.3): the approval chain of an environment up to a revision — every change in
// it that touched the environment, with the record that approved it (or what is missing), and the
// deployment and applied verdicts found on the way — gathered as the app's gate gathers it.
import type { KeyObject } from "node:crypto";
import { GitHubError } from "../github/client.js";
import type { ReadRecords } from "./approval-chain.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { Policy } from "../policy/types.js";
import type { TraceView } from "../render/trace.js";
import { ChainReads } from "./chain-reads.js";
import type { DeploymentPorts } from "./ports.js";
import { candidateBranches, locateAndWalk } from "./deployment-verdicts.js";

export interface TraceRequest {
  github: DeploymentPorts;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** The policy environment. */
  environment: string;
  /** The revision; default: the tip of the environment's branch. */
  sha?: string;
  /** The branch to look at first (its tip, without `sha`); default: see defaultTraceBranch. */
  branch?: string;
  publicKey?: KeyObject;
}

/** The traced chain (render/trace.ts's TraceView), with what the walk read of each of its commits. */
export interface Trace extends TraceView {
  read: Map<string, ReadRecords>;
}

/** The environments the default branch's policies name, for a message when `environment` is not one. */
export class UnknownEnvironment extends Error {
  constructor(
    readonly environment: string,
    readonly known: string[],
  ) {
    super(`no policy names the environment ${environment} (${known.length > 0 ? `known: ${known.join(", ")}` : "no policies"})`);
  }
}

/** A trace that needs --branch: the environment's branches are globs matching several branches, or none. */
export class BranchNeeded extends Error {}

/**
 * The branch a trace looks at first: the first literal scope branch, else the default branch when
 * the policy applies to it, else — its branches being globs — the one branch they match. With a
 * sha given, any branch the policy deploys from will do: the walk looks for the sha on each.
 */
async function defaultTraceBranch(github: DeploymentPorts, policy: Policy, defaultBranch: string, shaGiven: boolean): Promise<string> {
  const literal = candidateBranches(policy, defaultBranch, defaultBranch).branches[0];
  if (literal !== undefined || shaGiven) return literal ?? defaultBranch;
  const listed = await github.ports.repository.branches(`${github.ports.owner}/${github.ports.repo}`);
  const matching = candidateBranches(policy, defaultBranch, defaultBranch, listed.items).branches;
  if (matching.length === 1 && listed.complete) return matching[0] as string;
  throw new BranchNeeded(`${policy.environment} deploys from ${(policy.scope.branches ?? []).join(", ")}, which match ${matching.length === 0 ? "no branch" : `${matching.length} branches (${matching.join(", ")})`}: name one with --branch, or give --sha`);
}

/** Traces the chain; GitHubError when GitHub cannot be read, UnknownEnvironment when no policy names the environment. */
export async function traceChain(request: TraceRequest): Promise<Trace> {
  const { github, environment, defaultBranch } = request;
  const repository = `${request.owner}/${request.repo}`;
  const lookup = await github.ports.policies.atBranchTip(defaultBranch);
  const found = lookup.kind === "policies" ? lookup : null;
  const policy = found?.policies.policies.find((p) => p.environment === environment);
  if (found === null || policy === undefined) {
    if (found?.policies.invalid.some((p) => p.environment === environment)) throw new GitHubError(`the policy of ${environment} on ${defaultBranch} is invalid: run compliance-gate validate`);
    throw new UnknownEnvironment(environment, sortByCodePoint((found?.policies.policies ?? []).map((p) => p.environment)));
  }
  const branch = request.branch ?? (await defaultTraceBranch(github, policy, defaultBranch, request.sha !== undefined));
  const sha = request.sha ?? (await github.deployments.branchTip(branch));
  if (sha === null) throw new GitHubError(`the branch ${branch} does not exist`);
  const read = new Map<string, ReadRecords>();
  const reads = new ChainReads(github);
  const located = await locateAndWalk(reads, { repository, sha, policy, hint: branch, defaultBranch, ...(request.publicKey ? { publicKey: request.publicKey } : {}) }, read);
  const problems = [...(located.branch === null ? [`${sha.slice(0, 7)} is not on a branch ${environment} deploys from (${located.branches.join(", ") || "no branch"})`] : []), ...located.chain.problems];
  return { repository, environment, sha, branch: located.branch, branches: located.branches, policyCommit: found.commit, chain: located.chain, read, ok: problems.length === 0, problems, warnings: reads.warnings() };
}
