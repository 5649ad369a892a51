// GitHub's deployments: the one reader of an environment's deployments; a deployment per
// environment at a merge commit (`audit.deployment`), so the environment's history on GitHub shows
// what the merge deployed — idempotent like the audit comment: looked for first (this app's
// deployment of the commit to the environment), made one again after creating; and the workflow
// runs waiting on this app as a custom deployment protection rule (SPEC §8.1), and their answer.
import { recordWriter, type Author } from "../audit/writer.js";
import { collect, GitHubError, requestFailed, type GitHubSession, type Page } from "./client.js";
import type { Listing } from "./history.js";
import { MAX_DEPLOYMENT_DESCRIPTION } from "../render/limits.js";

/** Pages of an environment's deployments (100 each) read at most. */
export const MAX_DEPLOYMENT_PAGES = 20;

/** A deployment as listed: what is not of the type GitHub documents is left out. */
interface ListedDeployment {
  id?: number;
  sha?: string;
  /** Epoch ms; NaN when GitHub does not say. */
  createdAt: number;
  creator: Author | null;
}

function decodeDeployments(data: unknown): ListedDeployment[] {
  if (!Array.isArray(data)) return [];
  return data.flatMap((raw: unknown): ListedDeployment[] => {
    if (typeof raw !== "object" || raw === null) return [];
    const d = raw as { id?: unknown; sha?: unknown; created_at?: unknown; creator?: { login?: unknown; type?: unknown } | null };
    const creator = typeof d.creator === "object" && d.creator !== null ? d.creator : null;
    return [
      {
        ...(typeof d.id === "number" ? { id: d.id } : {}),
        ...(typeof d.sha === "string" ? { sha: d.sha } : {}),
        createdAt: typeof d.created_at === "string" ? Date.parse(d.created_at) : Number.NaN,
        creator: creator && { login: typeof creator.login === "string" ? creator.login : null, type: typeof creator.type === "string" ? creator.type : null },
      },
    ];
  });
}

/** The deployments to `environment` (of `sha`, when given), newest first as GitHub lists them, page by page: the one reader of them. */
function deploymentPages(
  gh: GitHubSession,
  request: { owner: string; repo: string; environment: string; sha?: string; maxPages: number; doing: string },
): AsyncGenerator<Page<ListedDeployment>, void, undefined> {
  const { owner, repo, environment, sha } = request;
  return gh.pages("GET /repos/{owner}/{repo}/deployments", { owner, repo, ...(sha !== undefined ? { sha } : {}), environment }, request.doing, {
    maxPages: request.maxPages,
    items: decodeDeployments,
  });
}

/** The commits GitHub deployed to `environment` since `since`, newest first, at most MAX_DEPLOYMENT_PAGES pages. */
export async function listDeploymentShasSince(
  gh: GitHubSession,
  request: { owner: string; repo: string; environment: string; since: number },
): Promise<Listing<string>> {
  const shas: string[] = [];
  for await (const page of deploymentPages(gh, { ...request, maxPages: MAX_DEPLOYMENT_PAGES, doing: `listing the deployments to ${request.environment}` })) {
    for (const d of page.items) {
      if (d.createdAt < request.since) return { items: shas, complete: true };
      if (d.sha !== undefined) shas.push(d.sha);
    }
    if (!page.next) return { items: shas, complete: true };
  }
  return { items: shas, complete: false };
}

export interface DeploymentRequest {
  owner: string;
  repo: string;
  /** The merge commit. */
  sha: string;
  environment: string;
  description: string;
  /** Stored with the deployment: the PR and the record's digest. */
  payload: Record<string, unknown>;
  login: string;
}

export interface DeploymentWrite {
  id: number;
  created: boolean;
  /** Whether a `success` status was posted by this call. */
  status: boolean;
}

/** This app's deployments of the commit to the environment (the first 100), by id. */
async function ours(gh: GitHubSession, request: DeploymentRequest): Promise<number[]> {
  const { items } = await collect(deploymentPages(gh, { ...request, maxPages: 1, doing: `listing deployments of ${request.sha.slice(0, 7)} to ${request.environment}` }));
  return items.flatMap((d) => (d.id !== undefined && recordWriter(d.creator, request.login).ok ? [d.id] : [])).sort((a, b) => a - b);
}

async function postSuccess(gh: GitHubSession, request: DeploymentRequest, id: number): Promise<void> {
  await gh.request(
    "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    { owner: request.owner, repo: request.repo, deployment_id: id, state: "success", description: request.description.slice(0, MAX_DEPLOYMENT_DESCRIPTION), auto_inactive: true },
    `marking deployment ${id} to ${request.environment} successful`,
  );
}

/**
 * Records the deployment of `sha` to the environment with a `success` status, unless this app
 * already did (then only a missing status is added: a crash may have come between the two).
 */
export async function recordDeployment(gh: GitHubSession, request: DeploymentRequest): Promise<DeploymentWrite> {
  const { owner, repo } = request;
  const existing = (await ours(gh, request))[0];
  if (existing !== undefined) {
    const statuses = await gh.request(
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
      { owner, repo, deployment_id: existing, per_page: 1 },
      `reading the statuses of deployment ${existing}`,
    );
    const has = Array.isArray(statuses.data) && statuses.data.length > 0;
    if (!has) await postSuccess(gh, request, existing);
    return { id: existing, created: false, status: !has };
  }
  const response = await gh.request(
    "POST /repos/{owner}/{repo}/deployments",
    {
      owner,
      repo,
      ref: request.sha,
      environment: request.environment,
      // The merge already happened: nothing may be merged into the ref, no check may hold it up.
      auto_merge: false,
      required_contexts: [],
      description: request.description.slice(0, MAX_DEPLOYMENT_DESCRIPTION),
      payload: request.payload,
    },
    `creating the deployment of ${request.sha.slice(0, 7)} to ${request.environment}`,
  );
  const id = (response.data as { id?: unknown } | undefined)?.id;
  // 202 is GitHub merging the default branch into the ref instead of deploying: not a deployment.
  if (typeof id !== "number") throw requestFailed(response.status, "POST /repos/{owner}/{repo}/deployments", `creating the deployment to ${request.environment}`, "GitHub created no deployment");
  await postSuccess(gh, request, id);

  // A concurrent writer's deployment: the earliest stays; a later one is made inactive, then deleted.
  const all = [...new Set([...(await ours(gh, request)), id])].sort((a, b) => a - b);
  for (const duplicate of all.slice(1)) {
    try {
      await gh.request(
        "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        { owner, repo, deployment_id: duplicate, state: "inactive", description: "duplicate of an earlier record of this deployment" },
        `retiring the duplicate deployment ${duplicate}`,
      );
      await gh.request("DELETE /repos/{owner}/{repo}/deployments/{deployment_id}", { owner, repo, deployment_id: duplicate }, `deleting the duplicate deployment ${duplicate}`, { accept: [404] });
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
    }
  }
  return { id: all[0] as number, created: all[0] === id, status: true };
}

/** The commit and branch of a workflow run (`actions: read`); null when GitHub has no such run. */
export async function readWorkflowRun(gh: GitHubSession, owner: string, repo: string, runId: number): Promise<{ sha: string; branch: string | null } | null> {
  const response = await gh.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", { owner, repo, run_id: runId }, `reading workflow run ${runId}`, { accept: [404] });
  const data = response.data as { head_sha?: unknown; head_branch?: unknown } | undefined;
  if (response.status === 404 || typeof data?.head_sha !== "string") return null;
  return { sha: data.head_sha, branch: typeof data.head_branch === "string" ? data.head_branch : null };
}

/** Answers a workflow run waiting on this app as a custom deployment protection rule. */
export async function answerProtectionRule(gh: GitHubSession, owner: string, repo: string, answer: { runId: number; environment: string; state: "approved" | "rejected"; comment: string }): Promise<void> {
  const { runId, environment, state, comment } = answer;
  await gh.request(
    "POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
    { owner, repo, run_id: runId, environment_name: environment, state, comment },
    `answering the deployment of run ${runId} to ${environment}`,
  );
}
