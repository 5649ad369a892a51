// A stand-in kept while the use cases move onto the ports: the old gatherer's answers, as values,
// from the new adapters (policy-source, pull-facts, directory). Removed once nothing calls it.
import { POLICY_DIR } from "../policy/folder.js";
import type { PolicySet } from "../policy/types.js";
import { GitHubError, GitHubSession, type GitHubClient, type RequestCount } from "./client.js";
import { DirectoryCache, GitHubDirectory } from "./directory.js";
import { GitHubPolicySource, PolicyCache, type PolicyReader } from "./policy-source.js";
import { GitHubPullFacts } from "./pull-facts.js";
import { PullMemory, pullRequestOf, readPull } from "./pulls.js";
import type { Facts } from "../engine/types.js";

export type { PolicyReader } from "./policy-source.js";

export interface FactsGathererOptions {
  policy?: PolicyReader;
  membershipTtlMs?: number;
  clock?: () => number;
}

export interface GatherRequest {
  owner: string;
  repo: string;
  pull_number: number;
  pull?: unknown;
  now: number;
  policyRef?: string;
}

export interface GatheredFacts {
  kind: "facts";
  facts: Facts;
  policies: PolicySet;
  policyCommit: string;
  policyBlobs: Record<string, string>;
  warnings: string[];
  requests: RequestCount;
}

export interface NoPolicies {
  kind: "no_policies";
  noPolicies: true;
  policyCommit: string;
  requests: RequestCount;
}

export interface GatherError {
  kind: "error";
  error: string;
  requests: RequestCount;
}

export type GatherResult = GatheredFacts | NoPolicies | GatherError;

export interface PoliciesFound {
  kind: "policies";
  policies: PolicySet;
  policyCommit: string;
  requests: RequestCount;
}

export type PolicyProbe = PoliciesFound | NoPolicies | GatherError;

export interface PoliciesAt extends PoliciesFound {
  policyBlobs: Record<string, string>;
}

export class FactsGatherer {
  readonly policyCache: PolicyCache;
  readonly directoryCache: DirectoryCache;

  constructor(options: FactsGathererOptions = {}) {
    this.policyCache = new PolicyCache({ ...(options.policy ? { policy: options.policy } : {}), ...(options.clock ? { clock: options.clock } : {}) });
    this.directoryCache = new DirectoryCache({
      ...(options.membershipTtlMs !== undefined ? { membershipTtlMs: options.membershipTtlMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  async gather(octokit: GitHubClient, request: GatherRequest): Promise<GatherResult> {
    const gh = new GitHubSession(octokit);
    const { owner, repo, pull_number } = request;
    try {
      const pull = request.pull !== undefined ? pullRequestOf(request.pull) : await readPull(gh, new PullMemory(), owner, repo, pull_number);
      const source = new GitHubPolicySource(this.policyCache, gh, owner, repo);
      const found = request.policyRef !== undefined ? await source.atCommit(pull.base.ref, request.policyRef) : await source.atBranchTip(pull.base.ref);
      if (found.kind === "none") return { kind: "no_policies", noPolicies: true, policyCommit: found.commit, requests: gh.count };
      const directory = new GitHubDirectory(this.directoryCache, gh, owner, repo);
      const gathered = await new GitHubPullFacts(gh, owner, repo, directory).gather(pull, { policies: found.policies, policyCommit: found.commit, now: request.now });
      return { kind: "facts", facts: gathered.facts, policies: found.policies, policyCommit: found.commit, policyBlobs: found.blobs, warnings: gathered.warnings, requests: gh.count };
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error", error: error.message, requests: gh.count };
      throw error;
    }
  }

  async probe(octokit: GitHubClient, request: { owner: string; repo: string; base: string }): Promise<PolicyProbe> {
    const gh = new GitHubSession(octokit);
    try {
      const found = await new GitHubPolicySource(this.policyCache, gh, request.owner, request.repo).atBranchTip(request.base);
      if (found.kind === "none") return { kind: "no_policies", noPolicies: true, policyCommit: found.commit, requests: gh.count };
      return { kind: "policies", policies: found.policies, policyCommit: found.commit, requests: gh.count };
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error", error: error.message, requests: gh.count };
      throw error;
    }
  }

  async probeAt(octokit: GitHubClient, request: { owner: string; repo: string; branch: string; commit: string }): Promise<PoliciesAt | NoPolicies | GatherError> {
    const gh = new GitHubSession(octokit);
    try {
      const found = await new GitHubPolicySource(this.policyCache, gh, request.owner, request.repo).atCommit(request.branch, request.commit);
      if (found.kind === "none") return { kind: "no_policies", noPolicies: true, policyCommit: found.commit, requests: gh.count };
      return { kind: "policies", policies: found.policies, policyCommit: found.commit, policyBlobs: found.blobs, requests: gh.count };
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error", error: error.message, requests: gh.count };
      throw error;
    }
  }
}

export function gatherFacts(octokit: GitHubClient, request: GatherRequest, options: FactsGathererOptions = {}): Promise<GatherResult> {
  return new FactsGatherer(options).gather(octokit, request);
}

export { POLICY_DIR };
