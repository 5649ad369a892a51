// What the deployment use cases read of a repository to walk an approval chain (SPEC §8), over the
// ports: the records this app wrote (its audit comments, its compliance/audit check runs), the
// merged pull requests of a commit, the files it changed, the policies at a commit — and what
// finding the records noticed, for `audit trace`. One per job: it keeps what it noticed.
import { recordsInCheckRuns, recordsInComments, type Findings } from "../audit/population.js";
import type { ChangedFile } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { AUDIT_CHECK } from "../render/check-run.js";
import type { DeploymentPorts, HistoryCommit } from "./ports.js";

/** Warnings kept for one job's reads (the rest are the same kind of thing, many times). */
const MAX_WARNINGS = 50;

/** A merged pull request as the walk of a chain needs it. */
export interface MergedPull {
  number: number;
  title: string;
  /** The commit its merge left on the branch (a merge, squash, or the last replayed commit); null when GitHub gives none. */
  merge_commit_sha: string | null;
}

/** The reads of an approval chain's walk, for one job. Every read throws GitHubError when GitHub cannot be read. */
export class ChainReads {
  private readonly noticed: string[] = [];

  constructor(readonly github: DeploymentPorts) {}

  /** The first-parent history from `sha`, newest first, at most `max` commits; `exhausted` when it reached the first commit. */
  firstParents(sha: string, max: number): Promise<{ commits: HistoryCommit[]; exhausted: boolean }> {
    return this.github.deployments.firstParents(sha, max);
  }

  /**
   * The merged pull requests GitHub associates with the commit, whatever branch they merged into:
   * the one whose merge commit it is, and those it is one of the commits of (a rebase merge
   * replays them onto the branch). GitHub answers with merged ones only for commits of the default
   * branch.
   */
  async pullsOf(sha: string): Promise<MergedPull[]> {
    const pulls = await this.github.ports.pulls.ofCommit(sha);
    return pulls.filter((p) => p.merged_at !== null).map((p) => ({ number: p.number, title: p.title, merge_commit_sha: p.merge_commit_sha }));
  }

  /** The audit records this app wrote on the pull request (its audit comment). */
  async mergeRecords(number: number): Promise<Record<string, unknown>[]> {
    const listed = await this.github.ports.audit.allComments(number);
    return this.keep(recordsInComments(listed.items, await this.github.login()));
  }

  /** The audit records this app wrote in the commit's compliance/audit check runs: push, merge copies, deployment, applied and re-baseline records. */
  async checkRecords(sha: string): Promise<Record<string, unknown>[]> {
    const listed = await this.github.ports.audit.pushRecordRuns(sha);
    const runs = listed.runs.filter((run) => run.name === AUDIT_CHECK).map((run) => ({ id: run.id ?? 0, url: run.url, app: run.appSlug ?? null, text: run.text }));
    if (!listed.complete) this.notice(`only the first ${AUDIT_CHECK} check runs of ${sha.slice(0, 7)} could be listed`);
    return this.keep(recordsInCheckRuns(runs, await this.github.login()));
  }

  /** The files the commit changed (against its first parent). */
  commitFiles(sha: string): Promise<{ files: ChangedFile[]; truncated: boolean }> {
    return this.github.ports.commits.files(sha);
  }

  /** The policies at a commit of `branch`; null when it has none. */
  async policiesAt(commit: string, branch: string): Promise<PolicySet | null> {
    const found = await this.github.ports.policies.atCommit(commit, branch);
    return found.kind === "policies" ? found.policies : null;
  }

  /** What reading records noticed so far: markers in comments or check runs no record counts from, unreadable records. */
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
}
