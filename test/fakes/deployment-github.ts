// A fake of the deployment use cases' port (DeploymentGitHub in src/app/ports.ts): branches and
// their history, the pull requests and audit records of commits, policies, and what the use cases
// wrote — answers, verdict records (kept where the next look finds them) and exception issues.
// As GitHub does, it names the merged pull requests of a commit only when the commit is on the
// default branch (main); a commit is on a branch when the tip reaches it through first parents.
import type { BranchPolicies, DeploymentGitHub, HistoryCommit, MergedPull, VerdictWrite } from "../../src/app/ports.js";
import { parseAuditComment } from "../../src/audit/comment.js";
import { sealRecord } from "../../src/audit/seal.js";
import type { ChangedFile } from "../../src/engine/types.js";
import { GitHubError } from "../../src/github/client.js";
import { loadPolicySet } from "../../src/policy/load.js";
import type { Permission, PolicySet } from "../../src/policy/types.js";
import type { TeamRef } from "../../src/engine/facts-needed.js";

type Json = Record<string, unknown>;

export const REPOSITORY = "acme/gitops";
export const POLICY_FILE = "policies/production.yml";

/**
 * A sealed merge or push record naming production in `state` (null: it touched other environments
 * only). A merge record's `merge_commit_sha` is `at`; without it, FakeDeploymentGitHub.commit fills
 * in the commit it is given for.
 */
export function changeRecord(kind: "merge" | "push", state: string | null, options: { pull?: number; after?: string; breakGlass?: boolean; commits?: string[]; at?: string } = {}): Json {
  const body: Json = {
    version: 1,
    kind,
    repository: REPOSITORY,
    pull_request: kind === "merge" ? (options.pull ?? 43) : null,
    ...(kind === "merge" && options.at !== undefined ? { merge_commit_sha: options.at } : {}),
    ...(kind === "push" ? { after: options.after ?? "", commits: (options.commits ?? [options.after ?? ""]).map((sha) => ({ sha, author: "mallory", committer: "mallory" })) } : {}),
    policy: { commit: "0".repeat(40), files: { [POLICY_FILE]: "b".repeat(40) } },
    environments: state === null ? [] : [{ environment: "production", state, break_glass: options.breakGlass ?? false }],
    compliant: state === null || state === "approved",
  };
  const sealed = sealRecord(body as never);
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record as unknown as Json;
}

/** A merge record as written for merge commit `sha`: records made without `at` are sealed again with it (unsigned ones only). */
function withMergeCommit(record: Json, sha: string): Json {
  if (record["kind"] !== "merge" || record["merge_commit_sha"] !== undefined || record["signature"] !== undefined) return record;
  const sealed = sealRecord({ ...record, merge_commit_sha: sha } as never);
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record as unknown as Json;
}

/** The port, in memory. Commits are added oldest first with `commit`. */
export class FakeDeploymentGitHub implements DeploymentGitHub {
  readonly parents = new Map<string, string[]>();
  /** Pull requests by their merge commit. */
  readonly pulls = new Map<string, { number: number; title: string }>();
  /** The pull requests a commit is one of the commits of (not their merge commit). */
  readonly pullCommits = new Map<string, number[]>();
  readonly comments = new Map<number, Json[]>();
  readonly checks = new Map<string, Json[]>();
  readonly files = new Map<string, ChangedFile[]>();
  readonly tips = new Map<string, string>();
  /** Policies at every commit unless `policiesByCommit` says otherwise. */
  policies: PolicySet | null;
  readonly policiesByCommit = new Map<string, PolicySet | null>();
  readonly answers: { runId: number; environment: string; state: string; comment: string }[] = [];
  readonly written: (VerdictWrite & { record: Json })[] = [];
  readonly issues: { key: string; title: string; body: string }[] = [];
  /** Methods that throw GitHubError (GitHub unreadable). */
  readonly failing = new Set<keyof DeploymentGitHub>();
  /** Every call, by method. */
  readonly calls: string[] = [];

  constructor(policyFiles: Record<string, string>) {
    this.policies = loadPolicySet(Object.entries(policyFiles).map(([name, text]) => ({ path: `policies/${name}`, text })));
  }

  /** Adds a commit on `main` (its tip moves), merged from PR `pull` or pushed directly, changing `paths`. */
  commit(sha: string, options: { pull?: number; title?: string; paths?: string[]; merge?: Json[]; checks?: Json[]; branch?: string } = {}): this {
    const branch = options.branch ?? "main";
    const parent = this.tips.get(branch);
    this.parents.set(sha, parent === undefined ? [] : [parent]);
    this.tips.set(branch, sha);
    if (options.pull !== undefined) {
      this.pulls.set(sha, { number: options.pull, title: options.title ?? `PR ${options.pull}` });
      if (options.merge) this.comments.set(options.pull, options.merge.map((r) => withMergeCommit(r, sha)));
    }
    this.files.set(sha, (options.paths ?? ["clusters/production/api.yaml"]).map((path) => ({ path, status: "modified" })));
    if (options.checks) this.checks.set(sha, [...(this.checks.get(sha) ?? []), ...options.checks]);
    return this;
  }

  private enter(method: keyof DeploymentGitHub): void {
    this.calls.push(method);
    if (this.failing.has(method)) throw new GitHubError(`GitHub API error 502 while calling ${method}`);
  }

  async firstParents(sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }> {
    this.enter("firstParents");
    if (!this.parents.has(sha)) throw new GitHubError(`GitHub API error 404 while listing the history of ${sha.slice(0, 7)}: No commit found`);
    const commits: HistoryCommit[] = [];
    let next: string | undefined = sha;
    while (next !== undefined && commits.length < max) {
      const parents: string[] = this.parents.get(next) ?? [];
      commits.push({ sha: next, parents });
      next = parents[0];
    }
    return { commits, exhausted: next === undefined };
  }

  async pullsOf(sha: string): Promise<MergedPull[]> {
    this.enter("pullsOf");
    if (!this.reaches(this.tips.get("main"), sha, false)) return [];
    const mergeOf = (number: number): string | null => [...this.pulls].find(([, p]) => p.number === number)?.[0] ?? null;
    const own = this.pulls.get(sha);
    return [
      ...(own !== undefined ? [{ ...own, merge_commit_sha: sha }] : []),
      ...(this.pullCommits.get(sha) ?? []).map((number) => ({ number, title: `PR ${number}`, merge_commit_sha: mergeOf(number) })),
    ];
  }

  /** Whether `from` reaches `sha`: through first parents only, or through any parent. */
  private reaches(from: string | undefined, sha: string, firstParentOnly: boolean): boolean {
    const seen = new Set<string>();
    const todo = [from];
    while (todo.length > 0) {
      const at = todo.pop();
      if (at === undefined || seen.has(at)) continue;
      if (at === sha) return true;
      seen.add(at);
      const parents = this.parents.get(at) ?? [];
      todo.push(...(firstParentOnly ? parents.slice(0, 1) : parents));
    }
    return false;
  }

  async mergeRecords(number: number): Promise<Json[]> {
    this.enter("mergeRecords");
    return this.comments.get(number) ?? [];
  }

  async checkRecords(sha: string): Promise<Json[]> {
    this.enter("checkRecords");
    return this.checks.get(sha) ?? [];
  }

  async commitFiles(sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }> {
    this.enter("commitFiles");
    return { files: this.files.get(sha) ?? [], truncated: false };
  }

  /** What reading records noticed (tests add to it). */
  readonly noticed: string[] = [];

  warnings(): string[] {
    return [...this.noticed];
  }

  async policiesAt(commit: string): Promise<PolicySet | null> {
    this.enter("policiesAt");
    return this.policiesByCommit.has(commit) ? (this.policiesByCommit.get(commit) ?? null) : this.policies;
  }

  async branchTip(branch: string): Promise<string | null> {
    this.enter("branchTip");
    return this.tips.get(branch) ?? null;
  }

  async branches(): Promise<{ items: { name: string; tip: string }[]; complete: boolean }> {
    this.enter("branches");
    return { items: [...this.tips].map(([name, tip]) => ({ name, tip })), complete: true };
  }

  async branchPolicies(branch: string): Promise<BranchPolicies | null> {
    this.enter("branchPolicies");
    const tip = this.tips.get(branch);
    if (tip === undefined) throw new GitHubError(`the branch ${branch} does not exist`);
    const set = await this.policiesAt(tip);
    return set === null ? null : { policies: set, commit: tip, blobs: { [POLICY_FILE]: "b".repeat(40) } };
  }

  async isOnBranch(sha: string, branch: string): Promise<boolean | "unknown"> {
    this.enter("isOnBranch");
    return this.reaches(this.tips.get(branch), sha, true);
  }

  /** Workflow runs by id: their head commit and branch. */
  readonly runs = new Map<number, { sha: string; branch: string | null }>();

  async workflowRun(runId: number): Promise<{ sha: string; branch: string | null } | null> {
    this.enter("workflowRun");
    return this.runs.get(runId) ?? null;
  }

  async answerProtectionRule(runId: number, environment: string, state: "approved" | "rejected", comment: string): Promise<void> {
    this.enter("answerProtectionRule");
    this.answers.push({ runId, environment, state, comment });
  }

  async writeVerdict(write: VerdictWrite): Promise<void> {
    this.enter("writeVerdict");
    const parsed = parseAuditComment(write.text);
    if (!parsed?.ok) throw new Error("a verdict check run without a record");
    this.written.push({ ...write, record: parsed.record });
    this.checks.set(write.sha, [...(this.checks.get(write.sha) ?? []), parsed.record]);
  }

  /** Team members by TeamRef key, and repository permissions by login. */
  readonly teamMembers = new Map<string, string[]>();
  readonly permissions = new Map<string, Permission>();
  /** Comments made on issues. */
  readonly issueComments: { number: number; body: string }[] = [];

  async directory(teams: readonly TeamRef[], login: string, permission: boolean): Promise<{ teams: Record<string, string[]>; permission: Permission | null }> {
    this.enter("directory");
    return { teams: Object.fromEntries(teams.map((t) => [t.key, this.teamMembers.get(t.key) ?? []])), permission: permission ? (this.permissions.get(login) ?? null) : null };
  }

  async commentOnIssue(number: number, body: string): Promise<void> {
    this.enter("commentOnIssue");
    this.issueComments.push({ number, body });
  }

  async openException(key: string, title: string, body: string): Promise<number | null> {
    this.enter("openException");
    const at = this.issues.findIndex((i) => i.key === key);
    if (at >= 0) return 100 + at;
    this.issues.push({ key, title, body });
    return 100 + this.issues.length - 1;
  }
}
