// One pull request judged: its facts from one head, the decision, and the checks that show it —
// one per environment judging its base branch, and compliance/policy. Posting is the caller's:
// a PR's own evaluation posts them on its head, a merge group combines those of all its PRs.
import { decide } from "../engine/index.js";
import type { Decision, Facts } from "../engine/types.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { PolicySet } from "../policy/types.js";
import { verdictOf, type PlannedCheck } from "../render/check-run.js";
import { renderEnvironmentCheck, type CheckContext } from "../render/environment-check.js";
import { withNotRequired } from "../render/policy-check.js";
import { oneCheckPerName } from "./check-plan.js";
import { gatherAtOneHead } from "./one-head.js";
import { policyCheck } from "./policy-check.js";
import type { Ports, PullRequest } from "./ports.js";

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

/** How a PR is judged: at `now`; links to `serverUrl`; and what enforcement could not make required on a branch (SPEC §5), for compliance/policy to say. */
export interface Judging {
  now: number;
  serverUrl?: string;
  notRequired?: (owner: string, repo: string, branch: string) => string[];
}

/** The PR's verdict at its current head; GitHub failures throw GitHubError. */
export async function judgePull(ports: Ports, pull: PullRequest, judging: Judging): Promise<PullJudgement> {
  const gathered = await gatherAtOneHead(ports, pull, judging.now);
  const judged = gathered.pull;
  if (judged.state !== "open") return { kind: "closed", pull: judged };
  const result = gathered.result;
  if (result.kind === "none") return { kind: "no_policies", pull: judged };

  const { facts, warnings } = result.gathered;
  const { policies, commit: policyCommit, blobs } = result.found;
  const decision = decide(policies, facts);
  const context: CheckContext = {
    repository: `${ports.owner}/${ports.repo}`,
    policyCommit,
    ...(judging.serverUrl !== undefined ? { serverUrl: judging.serverUrl } : {}),
    warnings,
  };
  const environmentChecks: PlannedCheck[] = decision.environments.map((env) => ({
    name: env.check,
    verdict: verdictOf(env.state),
    output: renderEnvironmentCheck(env, context),
  }));
  // compliance/policy reads the head's policy files by commit, so it cannot mix heads either.
  const policy = await policyCheck(ports.policies, {
    head: facts.head,
    files: facts.files,
    filesTruncated: facts.files_truncated,
    basePolicyFiles: sortByCodePoint(Object.keys(blobs)),
  });
  return {
    kind: "verdict",
    pull: judged,
    facts,
    policies,
    policyCommit,
    decision,
    // Validation rejects an environment named `policy`; this guard holds even if a name slips through.
    checks: oneCheckPerName([...environmentChecks, { ...policy, output: withNotRequired(policy.output, judging.notRequired?.(ports.owner, ports.repo, facts.base) ?? []) }]),
    warnings,
  };
}
