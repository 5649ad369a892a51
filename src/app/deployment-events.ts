// The deliveries of SPEC §8: `deployment_protection_rule` (a job waits for the app's answer), the
// reports of pull-based operators — a successful `status` (Flux, Argo CD) or `deployment_status`
// (Argo CD) — and an issue closed as completed (it may ask for a re-baseline), each turned into a
// request for its use case, nothing else.
import type { GateApp } from "./deliveries.js";
import type { AppliedReporter } from "../audit/verdict-record.js";
import { appliedJob } from "./applied-verify.js";
import { guarded, sourceOf, type DeliverySource, type RepositoryPayload } from "./delivery.js";
import { deploymentJob } from "./deployment-gate.js";
import { rebaselineJob } from "./rebaseline.js";
import type { Later } from "./ports.js";

/** What a body asking for a re-baseline holds: cheaper than parsing every closed issue. */
const REBASELINE_WORD = "compliance-gate rebaseline:";

interface User {
  login?: string;
  type?: string;
}

interface ProtectionRulePayload extends RepositoryPayload {
  environment?: string;
  event?: string;
  deployment_callback_url?: string;
  deployment?: { id?: number; sha?: string; ref?: string; environment?: string } | null;
  sender?: User | null;
}

interface StatusPayload extends RepositoryPayload {
  id?: number;
  sha?: string;
  context?: string;
  state?: string;
  target_url?: string | null;
  created_at?: string;
  updated_at?: string;
  sender?: User | null;
}

interface IssueClosedPayload extends RepositoryPayload {
  issue?: {
    number?: number;
    body?: string | null;
    state_reason?: string | null;
    closed_at?: string | null;
    pull_request?: unknown;
    user?: User | null;
    performed_via_github_app?: { id?: number | null } | null;
  } | null;
  sender?: User | null;
}

interface DeploymentStatusPayload extends RepositoryPayload {
  deployment_status?: { id?: number; state?: string; creator?: User | null; target_url?: string | null; created_at?: string; environment?: string } | null;
  deployment?: { id?: number; sha?: string; environment?: string; creator?: User | null; performed_via_github_app?: { id?: number | null } | null } | null;
}

/**
 * The workflow run a `deployment_callback_url` names, when it is this repository's
 * (`…/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`): the answer goes to
 * that route through the app's own client, never to an address taken from a payload.
 */
export function runIdOf(callbackUrl: string | undefined, source: DeliverySource): number | null {
  if (callbackUrl === undefined) return null;
  let path: string;
  try {
    path = new URL(callbackUrl).pathname;
  } catch {
    return null;
  }
  const m = /\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
  if (!m || m[1]?.toLowerCase() !== source.owner.toLowerCase() || m[2]?.toLowerCase() !== source.repo.toLowerCase()) return null;
  const id = Number(m[3]);
  return Number.isSafeInteger(id) ? id : null;
}

/** Registers the handlers; `appId` tells the app's own deployments (audit.deployment) from an operator's. */
export function onDeploymentEvents(app: GateApp, later: Later, appId: () => number | undefined): void {
  app.on(
    "deployment_protection_rule.requested",
    guarded(async (context) => {
      const payload: ProtectionRulePayload = context.payload;
      const source = sourceOf(payload);
      if (!source) return;
      const runId = runIdOf(payload.deployment_callback_url, source);
      const environment = payload.environment ?? payload.deployment?.environment;
      if (runId === null || environment === undefined) {
        context.log.error({ repository: `${source.owner}/${source.repo}`, callback: payload.deployment_callback_url }, "a deployment protection rule without a run of this repository or an environment: cannot answer it");
        return;
      }
      const job = deploymentJob({
        owner: source.owner,
        repo: source.repo,
        defaultBranch: source.defaultBranch ?? "main",
        runId,
        environment,
        sha: typeof payload.deployment?.sha === "string" ? payload.deployment.sha : null,
        ref: typeof payload.deployment?.ref === "string" ? payload.deployment.ref : null,
        event: payload.event ?? null,
        sender: payload.sender?.login ?? null,
        deploymentId: typeof payload.deployment?.id === "number" ? payload.deployment.id : null,
        ...(source.installationId !== undefined ? { installationId: source.installationId } : {}),
      }, { name: "event", id: context.id });
      await later.enqueue(job);
    }),
  );

  app.on(
    "issues.closed",
    guarded(async (context) => {
      const payload: IssueClosedPayload = context.payload;
      const source = sourceOf(payload);
      const issue = payload.issue;
      const closer = payload.sender?.login;
      // Closed as not planned accepts nothing; only a body with the line asks for anything.
      if (!source || typeof issue?.number !== "number" || issue.pull_request !== undefined || closer === undefined) return;
      if ((issue.state_reason ?? "completed") !== "completed" || typeof issue.body !== "string" || !issue.body.includes(REBASELINE_WORD)) return;
      const job = rebaselineJob({
        owner: source.owner,
        repo: source.repo,
        defaultBranch: source.defaultBranch ?? "main",
        issue: issue.number,
        body: issue.body,
        openedBy: issue.user?.login ?? null,
        openedByApp: appId() !== undefined && issue.performed_via_github_app?.id === appId(),
        closedBy: closer,
        closedByBot: payload.sender?.type === "Bot",
        closedAt: issue.closed_at ?? new Date().toISOString(),
        ...(source.installationId !== undefined ? { installationId: source.installationId } : {}),
      }, { name: "event", id: context.id });
      await later.enqueue(job);
    }),
  );

  app.on(
    "status",
    guarded(async (context) => {
      const payload: StatusPayload = context.payload;
      const source = sourceOf(payload);
      // Only a success says a revision was applied; CI's statuses are ignored by the policies' globs.
      if (!source || payload.state !== "success" || typeof payload.sha !== "string" || typeof payload.context !== "string") return;
      const reporter: AppliedReporter = { type: "status", context: payload.context, id: payload.id ?? null, creator: payload.sender?.login ?? null, target_url: payload.target_url ?? null };
      const job = appliedJob({
        owner: source.owner,
        repo: source.repo,
        defaultBranch: source.defaultBranch ?? "main",
        sha: payload.sha,
        reporter,
        reportedAt: payload.updated_at ?? payload.created_at ?? new Date().toISOString(),
        ...(source.installationId !== undefined ? { installationId: source.installationId } : {}),
      }, { name: "event", id: context.id });
      await later.enqueue(job);
    }),
  );

  app.on(
    "deployment_status",
    guarded(async (context) => {
      const payload: DeploymentStatusPayload = context.payload;
      const source = sourceOf(payload);
      const status = payload.deployment_status;
      const deployment = payload.deployment;
      if (!source || status?.state !== "success" || typeof deployment?.sha !== "string" || typeof deployment.id !== "number") return;
      // The app's own deployments (audit.deployment on merge) record merges; they report nothing applied.
      const own = appId();
      if (own !== undefined && deployment.performed_via_github_app?.id === own) return;
      const environment = status.environment ?? deployment.environment;
      if (environment === undefined) return;
      const reporter: AppliedReporter = {
        type: "deployment",
        environment,
        deployment_id: deployment.id,
        id: status.id ?? null,
        creator: status.creator?.login ?? deployment.creator?.login ?? null,
        target_url: status.target_url ?? null,
      };
      const job = appliedJob({
        owner: source.owner,
        repo: source.repo,
        defaultBranch: source.defaultBranch ?? "main",
        sha: deployment.sha,
        reporter,
        reportedAt: status.created_at ?? new Date().toISOString(),
        ...(source.installationId !== undefined ? { installationId: source.installationId } : {}),
      }, { name: "event", id: context.id });
      await later.enqueue(job);
    }),
  );
}
