// A GitHub deployment per environment at a merge commit (`audit.deployment`), so the environment's
// history on GitHub shows what the merge deployed. Idempotent like the audit comment: looked for
// first (this app's deployment of the commit to the environment), made one again after creating.
import { recordWriter, type Author } from "../audit/writer.js";
import { GitHubError, requestFailed, type GitHubSession } from "./client.js";
import { MAX_DEPLOYMENT_DESCRIPTION } from "../render/limits.js";

interface ApiDeployment {
  id?: number;
  creator?: Author | null;
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

async function ours(gh: GitHubSession, request: DeploymentRequest): Promise<number[]> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/deployments",
    { owner: request.owner, repo: request.repo, sha: request.sha, environment: request.environment, per_page: 100 },
    `listing deployments of ${request.sha.slice(0, 7)} to ${request.environment}`,
  );
  const listed = Array.isArray(response.data) ? (response.data as ApiDeployment[]) : [];
  return listed.flatMap((d) => (typeof d.id === "number" && recordWriter(d.creator, request.login).ok ? [d.id] : [])).sort((a, b) => a - b);
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
  const id = (response.data as ApiDeployment).id;
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
