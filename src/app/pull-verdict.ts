// One pull request judged: its facts from one head, the decision, and the checks that show it —
// one per environment judging its base branch, and compliance/policy. Posting is the caller's:
// a PR's own evaluation posts them on its head, a merge group combines those of all its PRs.
import { decide } from "../engine/index.js";
import type { Decision, Facts } from "../engine/types.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { PolicySet } from "../policy/types.js";
import { oneCheckPerName, verdictOf, type PlannedCheck } from "../github/checks.js";
import { GatherFailed, type GitHubClient, type GitHubSession, type RequestCount } from "../github/client.js";
import type { FactsGatherer } from "../github/facts.js";
import { LruCache } from "../github/lru-cache.js";
import type { PullRequest, PullRequestReader } from "../github/pull-request.js";
import { renderEnvironmentCheck, type CheckContext } from "../render/environment-check.js";
import { withNotRequired } from "../render/policy-check.js";
import { gatherAtOneHead } from "./one-head.js";
import { policyCheck } from "./policy-check.js";

/** A PR judged at one head. */
export interface PullVerdict {
  kind: "verdict";
  /** The PR as read when its facts were confirmed: `pull.head.sha` is `facts.head`. */
  pull: PullRequest;
  facts: Facts;
  policies: PolicySet;
  policyCommit: string;
  decision: Decision;
  /** The environments' checks and compliance/policy, one per name. */
  checks: PlannedCheck[];
  warnings: string[];
}

export type PullJudgement =
  | PullVerdict
  /** The base branch has no policies: nothing judges the PR. */
  | { kind: "no_policies"; pull: PullRequest }
  /** The PR was closed while it was read. */
  | { kind: "closed"; pull: PullRequest };

export interface JudgeRequest {
  owner: string;
  repo: string;
  number: number;
  now: number;
  serverUrl?: string;
}

/** Judges pull requests; keeps the texts of policy files read at PR heads (content-addressed). */
export class PullJudge {
  /** Policy file texts read at PR heads for compliance/policy, by blob sha. */
  readonly headBlobs = new LruCache<string, string>({ maxEntries: 200 });

  constructor(
    private readonly gatherer: FactsGatherer,
    private readonly pulls: PullRequestReader,
    /** What enforcement could not make required on a branch (SPEC §5), for compliance/policy to say. */
    private readonly notRequired: (owner: string, repo: string, branch: string) => string[] = () => [],
  ) {}

  /** The PR's verdict at its current head; GitHub failures throw GatherFailed. `count` receives the gatherer's requests. */
  async judge(
    gh: GitHubSession,
    octokit: GitHubClient,
    request: JudgeRequest,
    pull: PullRequest,
    count: (requests: RequestCount) => void,
  ): Promise<PullJudgement> {
    const { owner, repo } = request;
    const gathered = await gatherAtOneHead(this.gatherer, this.pulls, gh, octokit, request, pull, (result) => count(result.requests));
    const judged = gathered.pull;
    if (judged.state !== "open") return { kind: "closed", pull: judged };
    const result = gathered.result;
    if (result.kind === "no_policies") return { kind: "no_policies", pull: judged };
    if (result.kind === "error") throw new GatherFailed(result.error);

    const { facts, policies } = result;
    const decision = decide(policies, facts);
    const context: CheckContext = {
      repository: `${owner}/${repo}`,
      policyCommit: result.policyCommit,
      ...(request.serverUrl !== undefined ? { serverUrl: request.serverUrl } : {}),
      warnings: result.warnings,
    };
    const environmentChecks: PlannedCheck[] = decision.environments.map((env) => ({
      name: env.check,
      verdict: verdictOf(env.state),
      output: renderEnvironmentCheck(env, context),
    }));
    // compliance/policy reads the head's policy files by commit, so it cannot mix heads either.
    const policy = await policyCheck(gh, {
      owner,
      repo,
      head: facts.head,
      files: facts.files,
      filesTruncated: facts.files_truncated,
      blobs: this.headBlobs,
      basePolicyFiles: sortByCodePoint(Object.keys(result.policyBlobs)),
    });
    return {
      kind: "verdict",
      pull: judged,
      facts,
      policies,
      policyCommit: result.policyCommit,
      decision,
      // Validation rejects an environment named `policy`; this guard holds even if a name slips through.
      checks: oneCheckPerName([...environmentChecks, { ...policy, output: withNotRequired(policy.output, this.notRequired(owner, repo, facts.base)) }]),
      warnings: result.warnings,
    };
  }
}
