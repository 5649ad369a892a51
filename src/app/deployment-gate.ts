// Push-based deployments (SPEC §8.1): the app is a custom deployment protection rule. A job that
// deploys to a GitHub environment waits until the app answers; it approves only when the commit is
// on a gated branch, its environment's approval chain is whole, and no freeze is on now (unless
// the commit's own change broke glass). Every answer is a sealed `deployment` record, written before
// the answer; a request that cannot be judged is rejected with the reason, never approved.
import type { KeyObject } from "node:crypto";
import type { Logger } from "probot";
import { judgeDeployment, type DeploymentVerdict } from "../audit/chain.js";
import { type PolicyVersion } from "../audit/record.js";
import { chainSummary, type DeploymentRecord, type DeploymentRecordBody } from "../audit/verdict-record.js";
import { activeFreeze } from "../engine/freeze.js";
import { GitHubError } from "../github/client.js";
import type { Policy } from "../policy/types.js";
import { protectionComment } from "../render/deployment-verdict.js";
import { ChainReads } from "./chain-reads.js";
import { branchOfRef, locateAndWalk, publicKeyOf, sealVerdict, writeVerdict, type Located, type VerdictDependencies } from "./deployment-verdicts.js";
import type { DeploymentPorts, Job } from "./ports.js";

/** A workflow run waiting on the app (the `deployment_protection_rule` delivery): plain data, so a retry can wait in a queue. */
export type DeploymentRequest = {
  owner: string;
  repo: string;
  defaultBranch: string;
  runId: number;
  /** The GitHub environment the job deploys to. */
  environment: string;
  /** The commit deployed; null when the delivery does not say (then it cannot be judged). */
  sha: string | null;
  ref: string | null;
  event: string | null;
  sender: string | null;
  deploymentId: number | null;
  /** The installation whose client answers; without one, no retry can be made. */
  installationId?: number;
  retryAttempt?: number;
};

/** The job that answers a deployment waiting on the app. */
export function deploymentJob(request: DeploymentRequest, log?: Record<string, string | number>): Job<DeploymentRequest> {
  return {
    kind: "answer-deployment",
    // A re-run keeps the run id and gets a new deployment: it is a request of its own.
    key: `deploy:${request.owner}/${request.repo}#${request.runId}:${request.environment}:${request.deploymentId ?? "?"}`.toLowerCase(),
    ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
    payload: request,
    log: log ?? { repository: `${request.owner}/${request.repo}`, run_id: request.runId },
  };
}

/** One policy environment's verdict on the deployment. */
interface Judged {
  environment: string;
  policy: PolicyVersion;
  verdict: DeploymentVerdict;
  located: Located;
}

const NO_POLICY: PolicyVersion = { commit: "", files: {} };
const EMPTY: Located = { branch: null, branches: [], chain: { links: [], end: "bound", baseline: null, complete: false, problems: [] } };

const sameEnvironment = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Answers deployment protection rules. */
export class DeploymentGate {
  private readonly publicKey: KeyObject | undefined;

  constructor(private readonly deps: VerdictDependencies) {
    this.publicKey = publicKeyOf(deps.signingKey);
  }

  /** Judges, records and answers the request; never rejects. A failed answer is tried again later, with a fresh client. */
  async onRequest(request: DeploymentRequest, github: DeploymentPorts, log: Logger): Promise<"approved" | "rejected" | "failed"> {
    const key = deploymentJob(request).key;
    try {
      const records = await this.recordsFor(request, new ChainReads(github), log);
      const state = records.every((r) => r.state === "approved") ? "approved" : "rejected";
      const comment = records.map((r) => protectionComment(r)).join("\n\n");
      await github.deployments.answerProtectionRule(request.runId, request.environment, state, comment);
      this.deps.later.cancelRetry(key);
      log.info(
        { repository: `${request.owner}/${request.repo}`, run_id: request.runId, environment: request.environment, sha: request.sha, state, reasons: records.flatMap((r) => r.reasons), digests: records.map((r) => r.digest) },
        `deployment of run ${request.runId} to ${request.environment} ${state}`,
      );
      return state;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const attempt = (request.retryAttempt ?? 0) + 1;
      const scheduled = request.installationId !== undefined && this.deps.later.retry(key, deploymentJob({ ...request, retryAttempt: attempt }), attempt);
      log.error(
        { repository: `${request.owner}/${request.repo}`, run_id: request.runId, environment: request.environment, error: message, ...(scheduled ? { retry: attempt } : {}) },
        scheduled ? "cannot answer a deployment: trying again later" : "cannot answer a deployment, and no retry is left: it waits until GitHub times it out",
      );
      return "failed";
    }
  }

  /**
   * The deployment records of the request: those already written for this very deployment (a
   * redelivery or a retry answers as before), else new ones, written now — a write that fails is
   * logged and the answer goes out all the same (a job must not wait on the record). A re-run of
   * the workflow keeps its run id but waits with a new deployment: it is judged anew, so an
   * approval given before a freeze does not stick, and neither does a rejection GitHub's brief
   * failure caused. A request that names no deployment is always judged anew.
   */
  private async recordsFor(asked: DeploymentRequest, reads: ChainReads, log: Logger): Promise<DeploymentRecord[]> {
    let request = asked;
    let judged: Judged[];
    try {
      // The delivery names the deployment's commit; when it does not, the waiting run does (actions: read).
      if (request.sha === null) {
        const run = await reads.github.deployments.workflowRun(request.runId);
        if (run !== null) request = { ...request, sha: run.sha, ref: request.ref ?? run.branch };
      }
      if (request.sha !== null && request.deploymentId !== null) {
        const existing = (await reads.checkRecords(request.sha)).filter(
          (r) =>
            r.kind === "deployment" &&
            r.run_id === request.runId &&
            r.deployment_id === request.deploymentId &&
            typeof r.github_environment === "string" &&
            sameEnvironment(r.github_environment, request.environment),
        );
        if (existing.length > 0) return existing as unknown as DeploymentRecord[];
      }
      judged = await this.judge(request, reads);
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      judged = [this.cannotJudge(request, `cannot judge the deployment: ${error.message}`)];
    }
    const now = new Date(this.deps.clock()).toISOString();
    const records = judged.map((j) => sealVerdict(this.body(request, j, now), this.deps.signingKey));
    if (request.sha !== null) {
      for (const record of records) {
        try {
          await writeVerdict(reads.github, record, `deployment:${record.environment}:${request.runId}:${request.deploymentId ?? "?"}`);
        } catch (error) {
          if (!(error instanceof GitHubError)) throw error;
          log.error({ run_id: request.runId, environment: record.environment, digest: record.digest, error: error.message }, "the deployment record could not be written: answering all the same");
        }
      }
    }
    return records;
  }

  private cannotJudge(request: DeploymentRequest, reason: string, policy: PolicyVersion = NO_POLICY, environment = request.environment): Judged {
    return { environment, policy, located: EMPTY, verdict: { state: "rejected", freeze: null, break_glass: false, reasons: [reason], excepted: [] } };
  }

  /**
   * The verdict of every policy that guards the GitHub environment; GitHubError when GitHub cannot
   * be read. The policies are the default branch's, whatever branch deploys: whoever can push a
   * branch writes the policies on it, and must not choose the rules that judge its deployment.
   */
  private async judge(request: DeploymentRequest, reads: ChainReads): Promise<Judged[]> {
    const { sha, environment, defaultBranch } = request;
    if (sha === null) return [this.cannotJudge(request, "neither the request nor its workflow run names a commit")];
    const hint = branchOfRef(request.ref) ?? defaultBranch;
    const found = await reads.github.ports.policies.atBranchTip(defaultBranch);
    if (found.kind !== "policies") return [this.cannotJudge(request, `${defaultBranch} has no policies: nothing says who may deploy to ${environment}`)];
    const version: PolicyVersion = { commit: found.commit, files: { ...found.blobs } };
    if (found.policies.invalid.length > 0) {
      const files = found.policies.invalid.map((p) => p.file).join(", ");
      return [this.cannotJudge(request, `the policies on ${defaultBranch} cannot all be read (${files} invalid): cannot tell who guards ${environment}`, version)];
    }
    const guards = found.policies.policies.filter((p) => p.deploy.environments.some((e) => sameEnvironment(e, environment)));
    if (guards.length === 0) return [this.cannotJudge(request, `no policy on ${defaultBranch} guards the GitHub environment ${environment} (deploy.environments)`, version)];
    const judged: Judged[] = [];
    for (const policy of guards) judged.push(await this.judgeOne(request, reads, policy, hint, version, sha));
    return judged;
  }

  private async judgeOne(request: DeploymentRequest, reads: ChainReads, policy: Policy, hint: string, version: PolicyVersion, sha: string): Promise<Judged> {
    const located = await locateAndWalk(reads, {
      repository: `${request.owner}/${request.repo}`,
      sha,
      policy,
      hint,
      defaultBranch: request.defaultBranch,
      ...(this.publicKey ? { publicKey: this.publicKey } : {}),
    });
    const freeze = activeFreeze(policy.freeze, this.deps.clock());
    const verdict = judgeDeployment({ environment: policy.environment, sha, branch: located.branch, branches: located.branches, chain: located.chain, freeze });
    return { environment: policy.environment, policy: version, verdict, located };
  }

  private body(request: DeploymentRequest, judged: Judged, now: string): DeploymentRecordBody {
    return {
      version: 1,
      kind: "deployment",
      repository: `${request.owner}/${request.repo}`,
      pull_request: null,
      environment: judged.environment,
      github_environment: request.environment,
      sha: request.sha ?? "",
      branch: judged.located.branch,
      state: judged.verdict.state,
      run_id: request.runId,
      deployment_id: request.deploymentId,
      ref: request.ref,
      event: request.event,
      requested_by: request.sender,
      freeze: judged.verdict.freeze,
      break_glass: judged.verdict.break_glass,
      excepted: judged.verdict.excepted,
      policy: judged.policy,
      chain: chainSummary(judged.located.chain),
      reasons: judged.verdict.reasons,
      compliant: judged.verdict.state === "approved",
      evaluated_at: now,
    };
  }
}
