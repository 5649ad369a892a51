// A fake of the deployment use cases' ports (DeploymentPorts in src/app/ports.ts: the parts of
// Ports they read, and DeploymentGitHub): branches and their history, the pull requests and audit
// records of commits (this app's comments and compliance/audit check runs), policies, and what the
// use cases wrote — answers, verdict records (kept where the next look finds them) and exception
// issues. As GitHub does, it names the merged pull requests of a commit only when the commit is on
// the default branch (main); a commit is on a branch when the tip reaches it through first parents.
import type { DeploymentGitHub, DeploymentPorts, HistoryCommit, ListedCheckRun, Ports, PullRequest } from "../../src/app/ports.js";
import { AUDIT_MARKER, parseAuditComment } from "../../src/audit/comment.js";
import { sealRecord } from "../../src/audit/seal.js";
import type { ChangedFile } from "../../src/engine/types.js";
import type { ListedComment } from "../../src/github/audit-comments.js";
import { GitHubError } from "../../src/github/client.js";
import { loadPolicySet } from "../../src/policy/load.js";
import type { Permission, PolicySet } from "../../src/policy/types.js";
import { AUDIT_CHECK } from "../../src/render/check-run.js";
import type { TeamRef } from "../../src/engine/facts-needed.js";
import { FakeRepository } from "./ports.js";

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

/** This app's bot login, and its slug as GitHub names the app that wrote a check run. */
const BOT = "compliance-gate[bot]";
const SLUG = "compliance-gate";

/** A record as this app writes it in a comment or check run. */
function recordText(record: Json): string {
  return `${AUDIT_MARKER}\n\`\`\`json\n${JSON.stringify(record, null, 2)}\n\`\`\``;
}

/** A verdict record posted as a compliance/audit check run, as the use cases asked. */
export interface WrittenRecord {
  sha: string;
  externalId?: string;
  compliant: boolean;
  title: string;
  summary: string;
  text: string;
  record: Json;
}

/** The ports, in memory. Commits are added oldest first with `commit`. */
export class FakeDeploymentGitHub implements DeploymentPorts {
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
  readonly written: WrittenRecord[] = [];
  readonly issues: { key: string; title: string; body: string }[] = [];
  /** Calls that throw GitHubError (GitHub unreadable), as `port.method` (`audit.allComments`, `deployments.answerProtectionRule`). */
  readonly failing = new Set<string>();
  /** Every call, as `port.method`. */
  readonly calls: string[] = [];
  readonly ports: Ports;
  readonly deployments: DeploymentGitHub;

  constructor(policyFiles: Record<string, string>) {
    this.policies = loadPolicySet(Object.entries(policyFiles).map(([name, text]) => ({ path: `policies/${name}`, text })));
    this.ports = this.portsOver(new FakeRepository().ports());
    this.deployments = {
      firstParents: (sha, max) => this.firstParents(sha, max),
      isOnBranch: (sha, branch) => this.isOnBranch(sha, branch),
      branchTip: (branch) => this.branchTip(branch),
      workflowRun: (runId) => this.workflowRun(runId),
      answerProtectionRule: (runId, environment, state, comment) => this.answerProtectionRule(runId, environment, state, comment),
      directory: (teams, login, permission) => this.directory(teams, login, permission),
      commentOnIssue: (number, body) => this.commentOnIssue(number, body),
    };
  }

  async login(): Promise<string | undefined> {
    return BOT;
  }

  /** What the use cases read of Ports, over this repository; the rest is the (unused) FakeRepository's. */
  private portsOver(base: Ports): Ports {
    return {
      ...base,
      policies: {
        ...base.policies,
        atBranchTip: (branch) => this.atBranchTip(branch),
        atCommit: async (commit) => {
          const set = await this.policiesAt(commit);
          return set === null ? { kind: "none", commit } : { kind: "policies", policies: set, commit, blobs: { [POLICY_FILE]: "b".repeat(40) } };
        },
      },
      pulls: { ...base.pulls, ofCommit: (sha) => this.pullsOf(sha) },
      commits: { ...base.commits, files: (sha) => this.commitFiles(sha) },
      repository: { ...base.repository, branches: () => this.branches() },
      audit: {
        ...base.audit,
        allComments: (number) => this.allComments(number),
        pushRecordRuns: (sha) => this.recordRuns(sha),
        postRecord: (request) => this.postRecord(request),
        openExceptionIssue: (request) => this.openException(request.key, request.title, request.body),
      },
    };
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

  private enter(method: string): void {
    this.calls.push(method);
    if (this.failing.has(method)) throw new GitHubError(`GitHub API error 502 while calling ${method}`);
  }

  async firstParents(sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }> {
    this.enter("deployments.firstParents");
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

  /** The merged pull requests of a commit on main, as GitHub lists them (an open one would be left out by the reader). */
  private async pullsOf(sha: string): Promise<PullRequest[]> {
    this.enter("pulls.ofCommit");
    if (!this.reaches(this.tips.get("main"), sha, false)) return [];
    const mergeOf = (number: number): string | null => [...this.pulls].find(([, p]) => p.number === number)?.[0] ?? null;
    const own = this.pulls.get(sha);
    const merged = (pull: { number: number; title: string; merge_commit_sha: string | null }): PullRequest => ({
      ...pull,
      state: "closed",
      draft: false,
      body: null,
      user: { login: "carol" },
      head: { sha: "0".repeat(40) },
      base: { ref: "main", repo: { default_branch: "main" } },
      labels: [],
      merged: true,
      merged_at: "2026-11-24T09:00:00Z",
      merged_by: "carol",
    });
    return [
      ...(own !== undefined ? [merged({ ...own, merge_commit_sha: sha })] : []),
      ...(this.pullCommits.get(sha) ?? []).map((number) => merged({ number, title: `PR ${number}`, merge_commit_sha: mergeOf(number) })),
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

  /** A pull request's comments: its merge records, each in a comment of this app. */
  private async allComments(number: number): Promise<{ items: ListedComment[]; complete: boolean }> {
    this.enter("audit.allComments");
    const items = (this.comments.get(number) ?? []).map((record, i): ListedComment => ({ id: i + 1, url: null, author: { login: BOT, type: "Bot" }, body: recordText(record) }));
    return { items, complete: true };
  }

  /** A commit's compliance/audit check runs: its records, each in a run of this app. */
  private async recordRuns(sha: string): Promise<{ runs: ListedCheckRun[]; complete: boolean }> {
    this.enter("audit.pushRecordRuns");
    const runs = (this.checks.get(sha) ?? []).map(
      (record, i): ListedCheckRun => ({ id: i + 1, name: AUDIT_CHECK, externalId: undefined, appId: 1, appSlug: SLUG, url: null, text: recordText(record), startedAt: null, shown: "" }),
    );
    return { runs, complete: true };
  }

  private async commitFiles(sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }> {
    this.enter("commits.files");
    return { files: this.files.get(sha) ?? [], truncated: false };
  }

  private async policiesAt(commit: string): Promise<PolicySet | null> {
    this.enter("policies.atCommit");
    return this.policiesByCommit.has(commit) ? (this.policiesByCommit.get(commit) ?? null) : this.policies;
  }

  private async branchTip(branch: string): Promise<string | null> {
    this.enter("deployments.branchTip");
    return this.tips.get(branch) ?? null;
  }

  private async branches(): Promise<{ items: { name: string; tip: string }[]; complete: boolean }> {
    this.enter("repository.branches");
    return { items: [...this.tips].map(([name, tip]) => ({ name, tip })), complete: true };
  }

  private async atBranchTip(branch: string): ReturnType<Ports["policies"]["atBranchTip"]> {
    this.enter("policies.atBranchTip");
    const tip = this.tips.get(branch);
    if (tip === undefined) throw new GitHubError(`the branch ${branch} does not exist`);
    const set = this.policiesByCommit.has(tip) ? (this.policiesByCommit.get(tip) ?? null) : this.policies;
    return set === null ? { kind: "none", commit: tip } : { kind: "policies", policies: set, commit: tip, blobs: { [POLICY_FILE]: "b".repeat(40) } };
  }

  private async isOnBranch(sha: string, branch: string): Promise<boolean | "unknown"> {
    this.enter("deployments.isOnBranch");
    return this.reaches(this.tips.get(branch), sha, true);
  }

  /** Workflow runs by id: their head commit and branch. */
  readonly runs = new Map<number, { sha: string; branch: string | null }>();

  private async workflowRun(runId: number): Promise<{ sha: string; branch: string | null } | null> {
    this.enter("deployments.workflowRun");
    return this.runs.get(runId) ?? null;
  }

  private async answerProtectionRule(runId: number, environment: string, state: "approved" | "rejected", comment: string): Promise<void> {
    this.enter("deployments.answerProtectionRule");
    this.answers.push({ runId, environment, state, comment });
  }

  private async postRecord(write: Omit<WrittenRecord, "record">): Promise<number> {
    this.enter("audit.postRecord");
    const parsed = parseAuditComment(write.text);
    if (!parsed?.ok) throw new Error("a verdict check run without a record");
    this.written.push({ ...write, record: parsed.record });
    this.checks.set(write.sha, [...(this.checks.get(write.sha) ?? []), parsed.record]);
    return this.written.length;
  }

  /** Team members by TeamRef key, and repository permissions by login. */
  readonly teamMembers = new Map<string, string[]>();
  readonly permissions = new Map<string, Permission>();
  /** Comments made on issues. */
  readonly issueComments: { number: number; body: string }[] = [];

  private async directory(teams: readonly TeamRef[], login: string, permission: boolean): Promise<{ teams: Record<string, string[]>; permission: Permission | null }> {
    this.enter("deployments.directory");
    return { teams: Object.fromEntries(teams.map((t) => [t.key, this.teamMembers.get(t.key) ?? []])), permission: permission ? (this.permissions.get(login) ?? null) : null };
  }

  private async commentOnIssue(number: number, body: string): Promise<void> {
    this.enter("deployments.commentOnIssue");
    this.issueComments.push({ number, body });
  }

  private async openException(key: string, title: string, body: string): ReturnType<Ports["audit"]["openExceptionIssue"]> {
    this.enter("audit.openExceptionIssue");
    const at = this.issues.findIndex((i) => i.key === key);
    if (at >= 0) return { issue: { number: 100 + at, url: null }, opened: false, closed: [] };
    this.issues.push({ key, title, body });
    return { issue: { number: 100 + this.issues.length - 1, url: null }, opened: true, closed: [] };
  }
}
