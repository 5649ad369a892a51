// The reading of a pull request as the use cases compose it from the ports over GitHub — its
// policies (at the tip of its base branch, or at a given commit), then its facts — with a
// GitHubError said as a value and the requests counted, so the adapters' tests compare results.
import type { Facts } from "../../src/engine/types.js";
import { GitHubPorts, type GitHubPortsOptions } from "../../src/app/github-ports.js";
import { GitHubError, type GitHubClient, type RequestCount } from "../../src/github/client.js";
import { pullRequestOf } from "../../src/github/pulls.js";
import type { PolicySet } from "../../src/policy/types.js";
import { OWNER, REPO } from "./fake-github.js";

export interface GatherRequest {
  owner: string;
  repo: string;
  pull_number: number;
  /** A webhook's pull_request; absent, the pull request is read. */
  pull?: unknown;
  now: number;
  /** Read the policies at this commit instead of the base branch's tip. */
  policyRef?: string;
}

export type GatherResult =
  | { kind: "facts"; facts: Facts; policies: PolicySet; policyCommit: string; policyBlobs: Record<string, string>; warnings: string[]; requests: RequestCount }
  | { kind: "no_policies"; noPolicies: true; policyCommit: string; requests: RequestCount }
  | { kind: "error"; error: string; requests: RequestCount };

export type GatheredFacts = Extract<GatherResult, { kind: "facts" }>;

/** Gatherings that share one set of process-wide caches, as the app's do. */
export function gatherer(options: GitHubPortsOptions = {}) {
  const ports = new GitHubPorts(options);
  const said = async <T>(octokit: GitHubClient, owner: string, repo: string, read: (bound: ReturnType<GitHubPorts["for"]>) => Promise<T>) => {
    const bound = ports.for(octokit, owner, repo);
    try {
      return await read(bound);
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error" as const, error: error.message, requests: bound.requests() };
      throw error;
    }
  };
  return {
    gather: (octokit: GitHubClient, request: GatherRequest): Promise<GatherResult> =>
      said(octokit, request.owner, request.repo, async (bound): Promise<GatherResult> => {
        const pull = request.pull !== undefined ? pullRequestOf(request.pull) : await bound.pulls.read(request.pull_number);
        const found = request.policyRef !== undefined ? await bound.policies.atCommit(request.policyRef, pull.base.ref) : await bound.policies.atBranchTip(pull.base.ref);
        if (found.kind === "none") return { kind: "no_policies", noPolicies: true, policyCommit: found.commit, requests: bound.requests() };
        const { facts, warnings } = await bound.facts.gather(pull, { policies: found.policies, policyCommit: found.commit, now: request.now });
        return { kind: "facts", facts, policies: found.policies, policyCommit: found.commit, policyBlobs: found.blobs, warnings, requests: bound.requests() };
      }),
    /** The policies at a commit of `branch` (a push is judged by those at its `before`). */
    policiesAt: (octokit: GitHubClient, request: { branch: string; commit: string }) =>
      said(octokit, OWNER, REPO, async (bound) => {
        const found = await bound.policies.atCommit(request.commit, request.branch);
        return found.kind === "none"
          ? { kind: "no_policies" as const, policyCommit: found.commit, requests: bound.requests() }
          : { kind: "policies" as const, policyCommit: found.commit, policyBlobs: found.blobs, requests: bound.requests() };
      }),
  };
}
