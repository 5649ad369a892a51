// A fake of the deployment use cases' port (DeploymentGitHub in src/app/ports.ts): branches and
// their history, the pull requests and audit records of commits, policies, and what the use cases
// wrote — answers, verdict records (kept where the next look finds them) and exception issues.
// As GitHub does, it finds a pull request of a commit only when merged into the branch asked, and
// a commit is "on" a branch when it is any ancestor of the tip (compare's `ahead`).
import type { BranchPolicies, DeploymentGitHub, HistoryCommit, VerdictWrite } from "../../src/app/ports.js";
import { parseAuditComment } from "../../src/audit/comment.js";
import { sealRecord } from "../../src/audit/seal.js";
import type { ChangedFile } from "../../src/engine/types.js";
import { GitHubError } from "../../src/github/client.js";
import { loadPolicySet } from "../../src/policy/load.js";
import type { PolicySet } from "../../src/policy/types.js";

type Json = Record<string, unknown>;

export const REPOSITORY = "acme/gitops";
export const POLICY_FILE = "policies/production.yml";

/** A sealed merge or push record naming production in `state` (null: it touched other environments only). */
export function changeRecord(kind: "merge" | "push", state: string | null, options: { pull?: number; after?: string; breakGlass?: boolean; commits?: string[] } = {}): Json {
  const body: Json = {
    version: 1,
    kind,
    repository: REPOSITORY,
    pull_request: kind === "merge" ? (options.pull ?? 43) : null,
    ...(kind === "push" ? { after: options.after ?? "", commits: (options.commits ?? [options.after ?? ""]).map((sha) => ({ sha, author: "mallory", committer: "mallory" })) } : {}),
    policy: { commit: "0".repeat(40), files: { [POLICY_FILE]: "b".repeat(40) } },
    environments: state === null ? [] : [{ environment: "production", state, break_glass: options.breakGlass ?? false }],
    compliant: state === null || state === "approved",
  };
  const sealed = sealRecord(body as never);
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record as unknown as Json;
}

/** The port, in memory. Commits are added oldest first with `commit`. */
export class FakeDeploymentGitHub implements DeploymentGitHub {
  readonly parents = new Map<string, string[]>();
  readonly pulls = new Map<string, { number: number; title: string }>();
  /** The branch each pull request merged into; default main. */
  readonly pullBase = new Map<number, string>();
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
      if (options.merge) this.comments.set(options.pull, options.merge);
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

  async pullOf(sha: string, branch: string): Promise<{ number: number; title: string } | null> {
    this.enter("pullOf");
    const found = this.pulls.get(sha);
    return found !== undefined && (this.pullBase.get(found.number) ?? "main") === branch ? found : null;
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

  async policiesAt(commit: string): Promise<PolicySet | null> {
    this.enter("policiesAt");
    return this.policiesByCommit.has(commit) ? (this.policiesByCommit.get(commit) ?? null) : this.policies;
  }

  async branchTip(branch: string): Promise<string | null> {
    this.enter("branchTip");
    return this.tips.get(branch) ?? null;
  }

  async branchPolicies(branch: string): Promise<BranchPolicies | null> {
    this.enter("branchPolicies");
    const tip = this.tips.get(branch);
    if (tip === undefined) throw new GitHubError(`the branch ${branch} does not exist`);
    const set = await this.policiesAt(tip);
    return set === null ? null : { policies: set, commit: tip, blobs: { [POLICY_FILE]: "b".repeat(40) } };
  }

  async isOnBranch(sha: string, branch: string): Promise<boolean> {
    this.enter("isOnBranch");
    const seen = new Set<string>();
    const todo = [this.tips.get(branch)];
    while (todo.length > 0) {
      const at = todo.pop();
      if (at === undefined || seen.has(at)) continue;
      if (at === sha) return true;
      seen.add(at);
      todo.push(...(this.parents.get(at) ?? []));
    }
    return false;
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

  async openException(key: string, title: string, body: string): Promise<number | null> {
    this.enter("openException");
    const at = this.issues.findIndex((i) => i.key === key);
    if (at >= 0) return 100 + at;
    this.issues.push({ key, title, body });
    return 100 + this.issues.length - 1;
  }
}
