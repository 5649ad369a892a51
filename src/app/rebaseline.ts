// The way out of a broken approval chain (SPEC §8): an issue carrying a re-baseline line, closed
// as completed by an approver of the environment, accepts the environment's chain on a gated
// branch up to a commit. The app checks who closed it (an approver of one of the environment's
// rules that need approvals, by the default branch's policies, who made none of the broken changes
// it accepts), walks the chain up to the commit, and writes a sealed `rebaseline` record in a
// compliance/audit check run on it — which ends later walks there — then says so on the issue.
import type { KeyObject } from "node:crypto";
import type { Logger } from "probot";
import { peopleBehind, rebaselineAsked, rebaselineTeams, rebaselineVia, type RebaselineRecord, type RebaselineRecordBody } from "../audit/rebaseline.js";
import { sealRecord } from "../audit/seal.js";
import { chainSummary } from "../audit/verdict-record.js";
import { policyAppliesTo } from "../engine/paths.js";
import { GitHubError } from "../github/client.js";
import { rebaselineCheckHeadline, rebaselineCheckText, rebaselineDone, rebaselineRefused } from "../render/rebaseline.js";
import { walkChain, type ReadRecords } from "./approval-chain.js";
import { ChainReads } from "./chain-reads.js";
import { publicKeyOf, type VerdictDependencies } from "./deployment-verdicts.js";
import type { DeploymentPorts, Job } from "./ports.js";

/** An issue closed as completed: plain data, so a retry can wait in a queue. */
export type RebaselineRequest = {
  owner: string;
  repo: string;
  defaultBranch: string;
  issue: number;
  body: string;
  /** Who opened it, and whether through this app (GitHub's `performed_via_github_app`). */
  openedBy: string | null;
  openedByApp: boolean;
  /** Who closed it, and whether that account is a bot. */
  closedBy: string;
  closedByBot: boolean;
  /** ISO 8601, GitHub's. */
  closedAt: string;
  installationId?: number;
  retryAttempt?: number;
};

/** The job that handles a closed issue asking for a re-baseline. */
export function rebaselineJob(request: RebaselineRequest, log?: Record<string, string | number>): Job<RebaselineRequest> {
  return {
    kind: "rebaseline",
    key: `rebaseline:${request.owner}/${request.repo}#${request.issue}`.toLowerCase(),
    ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
    payload: request,
    log: log ?? { repository: `${request.owner}/${request.repo}`, issue: request.issue },
  };
}

export type RebaselineOutcome = "rebaselined" | "already" | "refused" | "not_asked" | "failed";

/** Records re-baselines. */
export class Rebaseliner {
  private readonly publicKey: KeyObject | undefined;

  constructor(private readonly deps: VerdictDependencies) {
    this.publicKey = publicKeyOf(deps.signingKey);
  }

  /** Handles the closed issue; never rejects. A failure to read or write GitHub is tried again later. */
  async onClosed(request: RebaselineRequest, github: DeploymentPorts, log: Logger): Promise<RebaselineOutcome> {
    const key = rebaselineJob(request).key;
    try {
      const outcome = await this.handle(request, github, log);
      this.deps.later.cancelRetry(key);
      return outcome;
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      const attempt = (request.retryAttempt ?? 0) + 1;
      const scheduled = request.installationId !== undefined && this.deps.later.retry(key, rebaselineJob({ ...request, retryAttempt: attempt }), attempt);
      log.error(
        { repository: `${request.owner}/${request.repo}`, issue: request.issue, error: error.message, ...(scheduled ? { retry: attempt } : {}) },
        scheduled ? "cannot handle a re-baseline: trying again later" : "cannot handle a re-baseline, and no retry is left: close the issue again",
      );
      return "failed";
    }
  }

  private async handle(request: RebaselineRequest, github: DeploymentPorts, log: Logger): Promise<RebaselineOutcome> {
    const ask = rebaselineAsked(request.body);
    if (ask === null) return "not_asked";
    const repository = `${request.owner}/${request.repo}`;
    const refuse = async (why: string): Promise<RebaselineOutcome> => {
      await github.deployments.commentOnIssue(request.issue, rebaselineRefused(why));
      log.warn({ repository, issue: request.issue, closed_by: request.closedBy, ...ask, why }, "a re-baseline was refused");
      return "refused";
    };

    // An issue someone else opened could slip the line past an approver closing it as done.
    if (!request.openedByApp && request.openedBy?.toLowerCase() !== request.closedBy.toLowerCase()) {
      return refuse(`the issue was opened by @${request.openedBy ?? "someone unknown"}: a re-baseline counts only in this app's exception issue, or in an issue the approver who closes it opened`);
    }
    const found = await github.ports.policies.atBranchTip(request.defaultBranch);
    const policy = found.kind === "policies" ? found.policies.policies.find((p) => p.environment === ask.environment) : undefined;
    if (found.kind !== "policies" || policy === undefined) return refuse(`no valid policy of ${ask.environment} on ${request.defaultBranch}`);
    if (!policyAppliesTo(policy, ask.branch, request.defaultBranch)) return refuse(`${ask.environment} does not deploy from ${ask.branch} (its scope.branches on ${request.defaultBranch})`);

    const needsPermission = policy.rules.some((r) => r.approvals > 0 && r.approvers.permission !== undefined);
    const directory = await github.deployments.directory(rebaselineTeams(policy, request.owner), request.closedBy, needsPermission);
    const via = rebaselineVia(policy, repository, { login: request.closedBy, bot: request.closedByBot, ...directory });
    if (via.length === 0) return refuse(`@${request.closedBy} is not an approver of a rule of ${ask.environment} that needs approvals`);

    const on = await github.deployments.isOnBranch(ask.sha, ask.branch);
    if (on !== true) return refuse(`${ask.sha.slice(0, 7)} is not on ${ask.branch}'s first-parent line${on === "unknown" ? " as far as it can be listed" : ""}`);

    const reads = new ChainReads(github);
    const existing = (await reads.checkRecords(ask.sha)).find((r) => r.kind === "rebaseline" && r.issue === request.issue && r.environment === ask.environment && r.branch === ask.branch);
    if (existing !== undefined) return "already";

    const read = new Map<string, ReadRecords>();
    const subject = { environment: ask.environment, branch: ask.branch, ...(this.publicKey ? { publicKey: this.publicKey } : {}) };
    const chain = await walkChain(reads, { repository, sha: ask.sha, branch: ask.branch, defaultBranch: request.defaultBranch, subject }, read);
    // Separation of duties: whoever made a broken change does not accept it.
    const broken = chain.links.filter((l) => l.status === "violation" || l.status === "missing" || l.status === "unverified");
    const behind = peopleBehind(broken.flatMap((l) => read.get(l.sha)?.records ?? []));
    if (behind.includes(request.closedBy.toLowerCase())) {
      return refuse(`@${request.closedBy} made one of the changes this would accept (${broken.map((l) => l.sha.slice(0, 7)).join(", ")}): another approver must close it`);
    }

    const body: RebaselineRecordBody = {
      version: 1,
      kind: "rebaseline",
      repository,
      pull_request: null,
      environment: ask.environment,
      branch: ask.branch,
      sha: ask.sha,
      issue: request.issue,
      accepted_by: request.closedBy,
      via,
      accepted_at: request.closedAt,
      chain: chainSummary(chain),
      accepted_problems: chain.problems,
      policy: { commit: found.commit, files: { ...found.blobs } },
      compliant: true,
      evaluated_at: new Date(this.deps.clock()).toISOString(),
    };
    const sealed = sealRecord(body, this.deps.signingKey);
    if (!sealed.ok) throw new Error(`cannot seal the re-baseline record: ${sealed.message}`);
    const record = sealed.record as RebaselineRecord;
    const text = rebaselineCheckText(record);
    if (text === null) return refuse(`the re-baseline's record of ${ask.sha.slice(0, 7)} is larger than a check run can hold`);
    await github.ports.audit.postRecord({ sha: ask.sha, externalId: `rebaseline:${ask.environment}:${request.issue}`, compliant: true, ...rebaselineCheckHeadline(record), text });
    await github.deployments.commentOnIssue(request.issue, rebaselineDone(record));
    log.info({ repository, issue: request.issue, accepted_by: request.closedBy, via, ...ask, accepted: chain.problems, digest: record.digest }, `re-baselined ${ask.environment} on ${ask.branch} at ${ask.sha.slice(0, 7)}`);
    return "rebaselined";
  }
}
