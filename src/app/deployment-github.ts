// The deployment use cases' GitHub (the DeploymentGitHub port of ports.ts) over one installation's client: the
// reads of an approval chain's walk, a branch's policies, the answer to a deployment protection rule,
// and the verdict records in compliance/audit check runs. Reads throw GitHubError.
import type { LruCache } from "../github/lru-cache.js";
import type { BranchPolicies, DeploymentGitHub, HistoryCommit, MergedPull, VerdictWrite } from "./ports.js";
import { recordsInCheckRuns, recordsInComments, type Findings } from "../audit/population.js";
import type { ChangedFile } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { listComments } from "../github/audit-comments.js";
import { listCommitFiles } from "../github/changed-files.js";
import { firstParents, isOnBranch, listBranchTips, readBranchTip } from "../github/history.js";
import { CheckMemory, GitHubCheckRuns } from "../github/check-runs.js";
import { GitHubError, GitHubSession, type GitHubClient } from "../github/client.js";
import { openExceptionIssue } from "../github/exception-issues.js";
import { DirectoryCache, GitHubDirectory } from "../github/directory.js";
import { GitHubPolicySource, type PolicyCache } from "../github/policy-source.js";
import type { TeamRef } from "../engine/facts-needed.js";
import type { Permission } from "../policy/types.js";
import { pullsOfCommit } from "../github/pulls.js";
import { AUDIT_CHECK } from "../render/check-run.js";

/** Warnings kept for one session's reads (the rest are the same kind of thing, many times). */
const MAX_WARNINGS = 50;

export interface DeploymentGitHubOptions {
  owner: string;
  repo: string;
  /**
   * This app's bot login (asked when first needed): only its comments, check runs and issues hold
   * records. Undefined (the CLI without --app-login): any GitHub App's count.
   */
  login: () => Promise<string | undefined>;
  /** The one policy cache. */
  policies: PolicyCache;
  /** Repositories whose compliance-exception label exists. */
  labels: LruCache<string, true>;
  /** Team memberships and permissions, for the TTL. */
  directory: DirectoryCache;
  clock: () => number;
}

/** The deployment use cases' GitHub for one repository; `session.count` tallies its requests. */
export class DeploymentGitHubSession implements DeploymentGitHub {
  readonly session: GitHubSession;
  private readonly source: GitHubPolicySource;
  private readonly checks: GitHubCheckRuns;

  constructor(
    client: GitHubClient,
    private readonly options: DeploymentGitHubOptions,
  ) {
    this.session = new GitHubSession(client);
    this.source = new GitHubPolicySource(options.policies, this.session, options.owner, options.repo);
    this.checks = new GitHubCheckRuns(new CheckMemory({ clock: options.clock }), this.session, options.owner, options.repo);
  }

  firstParents(sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }> {
    return firstParents(this.session, this.options.owner, this.options.repo, sha, max);
  }

  async pullsOf(sha: string): Promise<MergedPull[]> {
    const pulls = await pullsOfCommit(this.session, this.options.owner, this.options.repo, sha);
    return pulls.filter((p) => p.merged_at !== null).map((p) => ({ number: p.number, title: p.title, merge_commit_sha: p.merge_commit_sha }));
  }

  async mergeRecords(number: number): Promise<Record<string, unknown>[]> {
    const { owner, repo } = this.options;
    const listed = await listComments(this.session, owner, repo, number);
    return this.keep(recordsInComments(listed.items, await this.options.login()));
  }

  async checkRecords(sha: string): Promise<Record<string, unknown>[]> {
    const listed = await this.checks.pushRecordRuns(sha);
    const runs = listed.runs.filter((run) => run.name === AUDIT_CHECK).map((run) => ({ id: run.id ?? 0, url: run.url, app: run.appSlug ?? null, text: run.text }));
    if (!listed.complete) this.notice(`only the first ${AUDIT_CHECK} check runs of ${sha.slice(0, 7)} could be listed`);
    return this.keep(recordsInCheckRuns(runs, await this.options.login()));
  }

  private readonly noticed: string[] = [];

  warnings(): string[] {
    return [...this.noticed];
  }

  /** The records found; what finding them noticed is kept, at most MAX_WARNINGS of it. */
  private keep(found: Findings): Record<string, unknown>[] {
    for (const problem of found.problems) this.notice(problem);
    return found.records.map((f) => f.record);
  }

  private notice(problem: string): void {
    if (this.noticed.length < MAX_WARNINGS && !this.noticed.includes(problem)) this.noticed.push(problem);
  }

  commitFiles(sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }> {
    return listCommitFiles(this.session, this.options.owner, this.options.repo, sha);
  }

  async policiesAt(commit: string, branch: string): Promise<PolicySet | null> {
    const found = await this.source.atCommit(commit, branch);
    return found.kind === "policies" ? found.policies : null;
  }

  async branchTip(branch: string): Promise<string | null> {
    const tip = await readBranchTip(this.session, this.options.owner, this.options.repo, branch, { doing: `reading the tip of ${branch}`, missing: "null" });
    return tip === null || tip === "unchanged" ? null : tip.sha;
  }

  branches(): Promise<{ items: { name: string; tip: string }[]; complete: boolean }> {
    const { owner, repo } = this.options;
    return listBranchTips(this.session, owner, repo, `${owner}/${repo}`);
  }

  /**
   * The policies at a branch's tip, through the one policy cache: the tip is asked conditionally
   * (a free 304 when unchanged), so a status event in a busy repository costs next to nothing.
   */
  async branchPolicies(branch: string): Promise<BranchPolicies | null> {
    const found = await this.source.atBranchTip(branch);
    return found.kind === "policies" ? { policies: found.policies, commit: found.commit, blobs: found.blobs } : null;
  }

  isOnBranch(sha: string, branch: string): Promise<boolean | "unknown"> {
    return isOnBranch(this.session, this.options.owner, this.options.repo, sha, branch);
  }

  async workflowRun(runId: number): Promise<{ sha: string; branch: string | null } | null> {
    const { owner, repo } = this.options;
    const response = await this.session.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", { owner, repo, run_id: runId }, `reading workflow run ${runId}`, { accept: [404] });
    const data = response.data as { head_sha?: unknown; head_branch?: unknown } | undefined;
    if (response.status === 404 || typeof data?.head_sha !== "string") return null;
    return { sha: data.head_sha, branch: typeof data.head_branch === "string" ? data.head_branch : null };
  }

  async answerProtectionRule(runId: number, environment: string, state: "approved" | "rejected", comment: string): Promise<void> {
    const { owner, repo } = this.options;
    await this.session.request(
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
      { owner, repo, run_id: runId, environment_name: environment, state, comment },
      `answering the deployment of run ${runId} to ${environment}`,
    );
  }

  async writeVerdict(write: VerdictWrite): Promise<void> {
    await this.checks.postRecord(write);
  }

  async directory(teams: readonly TeamRef[], login: string, withPermission: boolean): Promise<{ teams: Record<string, string[]>; permission: Permission | null }> {
    const { owner, repo } = this.options;
    const directory = new GitHubDirectory(this.options.directory, this.session, owner, repo);
    // The permission is read as a reviewer's is: one who takes a stance.
    const [members, permissions] = await Promise.all([directory.teams(teams), withPermission ? directory.permissions([{ user: login, state: "APPROVED", commit: "", bot: false }]) : Promise.resolve<Record<string, Permission>>({})]);
    const permission = Object.entries(permissions).find(([user]) => user.toLowerCase() === login.toLowerCase())?.[1] ?? null;
    return { teams: members.members, permission };
  }

  async commentOnIssue(number: number, body: string): Promise<void> {
    const { owner, repo } = this.options;
    await this.session.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: number, body }, `commenting on #${number}`);
  }

  async openException(key: string, title: string, body: string): Promise<number | null> {
    const { owner, repo, labels } = this.options;
    const login = await this.options.login();
    if (login === undefined) throw new GitHubError("an exception issue can only be opened by the app");
    const opened = await openExceptionIssue(this.session, { owner, repo, key, login, title, body, labels });
    return opened.issue.number;
  }
}
