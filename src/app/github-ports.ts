// The ports over GitHub: one set per use of an installation's client and repository, built from
// the adapters of github/ and sharing the process-wide caches (policies, pull request ETags, the
// directory, what was posted), each keyed so that one installation never sees another's answers.
import { auditCommentsOf, keepEarliest, listComments, postComment, writeAuditComment } from "../github/audit-comments.js";
import { listCommitFiles, listPullFiles } from "../github/changed-files.js";
import { CheckMemory, GitHubCheckRuns, type CheckStore, type CheckWriteObserver } from "../github/check-runs.js";
import { GitHubSession, type GitHubClient } from "../github/client.js";
import { compareCommits } from "../github/comparison.js";
import { answerProtectionRule, listDeploymentShasSince, readWorkflowRun, recordDeployment } from "../github/deployments.js";
import { DirectoryCache, GitHubDirectory } from "../github/directory.js";
import { EXCEPTION_LABEL, listExceptionIssues, listIssuesOpenedBy, openExceptionIssue } from "../github/exception-issues.js";
import { firstParents, isOnBranch, listBranchTips, listCommitsSince, mergeCommitParent, readBranchTip, readRepository } from "../github/history.js";
import { closingIssues } from "../github/linked-issues.js";
import { LruCache } from "../github/lru-cache.js";
import { baseBeforeMerge } from "../github/merge-base.js";
import { compareRange, filesBetween, queueRefs } from "../github/merge-group-commits.js";
import { GitHubPolicySource, PolicyCache, type PolicyReader } from "../github/policy-source.js";
import { GitHubPullFacts } from "../github/pull-facts.js";
import { closedPullsSince, openPullsInto, pullCommits, PullMemory, pullsOfCommit, readPull } from "../github/pulls.js";
import { requestReviewers } from "../github/review-requests.js";
import type { Permission } from "../policy/types.js";
import { enforcementGitHub } from "./enforcement-github.js";
import { PolicyValidations, type ValidatingPolicySource } from "./policy-check.js";
import type { DeploymentPorts, EnforcementPorts, Ports } from "./ports.js";
import type { AuditObserver } from "./metrics.js";

export interface GitHubPortsOptions {
  /** How long team memberships and reviewer permissions are trusted. Default 5 minutes. */
  membershipTtlMs?: number;
  /** Epoch milliseconds. Default `Date.now`. */
  clock?: () => number;
  /** This app's id, when configured; otherwise learnt from the first check run GitHub returns. */
  appId?: number;
  /** Default: the policy module; tests may inject a stand-in. */
  policy?: PolicyReader;
  /** What this app last wrote on each check: this process's memory unless replicas share a store. */
  checkStore?: CheckStore;
  /** Whether a check the store does not know makes the sink read its commit's check runs once (default false). */
  recallChecks?: boolean;
  /** Told of every check written, skipped or failed, and of every audit record written or not (metrics). */
  observer?: CheckWriteObserver & AuditObserver;
}

/** An audit write counted: written, found already there, or failed. */
async function counted<T>(observer: AuditObserver | undefined, kind: "merge" | "push" | "verdict", write: () => Promise<T>, written: (result: T) => boolean = () => true): Promise<T> {
  try {
    const result = await write();
    observer?.record(kind, written(result) ? "written" : "existing");
    return result;
  } catch (error) {
    observer?.record(kind, "failed");
    throw error;
  }
}

/** The process-wide caches, and the ports over them for each client and repository. */
export class GitHubPorts {
  readonly policyCache: PolicyCache;
  readonly directory: DirectoryCache;
  readonly pullMemory = new PullMemory();
  readonly checkMemory: CheckMemory;
  /** Repositories whose `compliance-exception` label exists (created once per process). */
  readonly labels = new LruCache<string, true>({ maxEntries: 10_000 });
  /** compliance/policy's validations of policy files read at heads, by their blobs. */
  readonly validations = new PolicyValidations();
  private readonly observer: AuditObserver | undefined;

  constructor(options: GitHubPortsOptions = {}) {
    const clock = options.clock ?? Date.now;
    this.policyCache = new PolicyCache({ clock, ...(options.policy ? { policy: options.policy } : {}) });
    this.directory = new DirectoryCache({ clock, ...(options.membershipTtlMs !== undefined ? { membershipTtlMs: options.membershipTtlMs } : {}) });
    this.checkMemory = new CheckMemory({
      clock,
      recall: options.recallChecks ?? false,
      ...(options.checkStore ? { store: options.checkStore } : {}),
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.appId !== undefined ? { appId: options.appId } : {}),
    });
    this.observer = options.observer;
  }

  /** This app's id, once configured or learnt from a check run GitHub returned. */
  get appId(): number | undefined {
    return this.checkMemory.appId;
  }

  /** The ports of `owner/repo` through `client`, counting their requests together. */
  for(client: GitHubClient, owner: string, repo: string): Ports {
    return this.over(new GitHubSession(client), owner, repo, "push");
  }

  /** The policy source of `owner/repo` through one session, with the process's validations of head policy files. */
  private policiesOver(gh: GitHubSession, owner: string, repo: string): ValidatingPolicySource {
    const source = new GitHubPolicySource(this.policyCache, gh, owner, repo);
    return {
      atBranchTip: (branch) => source.atBranchTip(branch),
      atCommit: (commit, branch) => source.atCommit(commit, branch),
      headFiles: (commit) => source.headFiles(commit),
      validations: this.validations,
    };
  }

  /** The ports through one session; `records`: what the records `audit.postRecord` writes count as (metrics). */
  private over(gh: GitHubSession, owner: string, repo: string, records: "push" | "verdict"): Ports {
    const checks = new GitHubCheckRuns(this.checkMemory, gh, owner, repo);
    return {
      owner,
      repo,
      policies: this.policiesOver(gh, owner, repo),
      pulls: {
        read: (number) => readPull(gh, this.pullMemory, owner, repo, number),
        openInto: (base, pages) => openPullsInto(gh, owner, repo, base, pages),
        ofCommit: (sha) => pullsOfCommit(gh, owner, repo, sha),
        closedSince: (options) => closedPullsSince(gh, owner, repo, options),
        commits: (number) => pullCommits(gh, owner, repo, number),
        requestReviewers: (number, request) => requestReviewers(gh, owner, repo, number, request),
        closingIssues: (number) => closingIssues(gh, owner, repo, number),
      },
      facts: new GitHubPullFacts(gh, owner, repo, new GitHubDirectory(this.directory, gh, owner, repo)),
      checks,
      commits: {
        baseBeforeMerge: (pull) => baseBeforeMerge(gh, owner, repo, pull),
        range: (base, head, maxCommits) => compareRange(gh, owner, repo, base, head, maxCommits),
        queueRefs: (base) => queueRefs(gh, owner, repo, base),
        filesBetween: (base, head) => filesBetween(gh, owner, repo, base, head),
        pullFileBlobs: (number, maxFiles) => listPullFiles(gh, owner, repo, number, Math.ceil(maxFiles / 100)),
        compare: (base, head) => compareCommits(gh, owner, repo, base, head),
        files: (sha) => listCommitFiles(gh, owner, repo, sha),
        mergeParent: (pull) => mergeCommitParent(gh, owner, repo, pull),
        history: (branch, tip, since) => listCommitsSince(gh, { owner, repo, branch, tip, since }),
      },
      audit: {
        comments: (number, login, since) => auditCommentsOf(gh, { owner, repo, number, login, ...(since !== undefined ? { since } : {}) }),
        keepEarliest: (comments) => keepEarliest(gh, owner, repo, comments),
        writeComment: (request, listed) =>
          counted(
            this.observer,
            "merge",
            () => writeAuditComment(gh, { owner, repo, ...request }, listed),
            (write) => write.written,
          ),
        openExceptionIssue: (request) => openExceptionIssue(gh, { owner, repo, ...request, labels: this.labels }),
        recordDeployment: (request) => recordDeployment(gh, { owner, repo, ...request }),
        hasPushRecord: (request) => checks.hasPushRecord(request),
        postRecord: (request) => counted(this.observer, records, () => checks.postRecord(request)),
        allComments: (number) => listComments(gh, owner, repo, number),
        pushRecordRuns: (sha) => checks.pushRecordRuns(sha),
        exceptionIssues: (since, repository) => listExceptionIssues(gh, owner, repo, since, `listing the ${EXCEPTION_LABEL} issues of ${repository}`),
        issuesOpenedBy: (creator, since, repository) => listIssuesOpenedBy(gh, owner, repo, creator, since, (page) => `listing the issues ${creator} opened in ${repository} (page ${page})`),
      },
      repository: {
        read: () => readRepository(gh, owner, repo),
        branches: (repository) => listBranchTips(gh, owner, repo, repository),
        deployedSince: (environment, since) => listDeploymentShasSince(gh, { owner, repo, environment, since }),
      },
      requests: () => gh.count,
    };
  }

  /** The ports of enforcement (SPEC §5) of `owner/repo` through `client`. */
  enforcement(client: GitHubClient, owner: string, repo: string, options: { botLogin: () => Promise<string>; defaultBranch?: string }): EnforcementPorts {
    return enforcementGitHub({ octokit: client, owner, repo, policies: this.policyCache, checks: this.checkMemory, labels: this.labels, ...options });
  }

  /**
   * The ports of the deployment use cases (SPEC §8) of `owner/repo` through `client`, counting their
   * requests together; `login`: whose records count (any app's when it says undefined).
   */
  deployments(client: GitHubClient, owner: string, repo: string, login: () => Promise<string | undefined>): DeploymentPorts {
    const gh = new GitHubSession(client);
    const directory = new GitHubDirectory(this.directory, gh, owner, repo);
    return {
      ports: this.over(gh, owner, repo, "verdict"),
      deployments: {
        firstParents: (sha, max) => firstParents(gh, owner, repo, sha, max),
        isOnBranch: (sha, branch) => isOnBranch(gh, owner, repo, sha, branch),
        branchTip: async (branch) => {
          const tip = await readBranchTip(gh, owner, repo, branch, { doing: `reading the tip of ${branch}`, missing: "null" });
          return tip === null || tip === "unchanged" ? null : tip.sha;
        },
        workflowRun: (runId) => readWorkflowRun(gh, owner, repo, runId),
        answerProtectionRule: (runId, environment, state, comment) => answerProtectionRule(gh, owner, repo, { runId, environment, state, comment }),
        directory: async (teams, user, withPermission) => {
          // The permission is read as a reviewer's is: one who takes a stance.
          const [members, permissions] = await Promise.all([
            directory.teams(teams),
            withPermission ? directory.permissions([{ user, state: "APPROVED", commit: "", bot: false }]) : Promise.resolve<Record<string, Permission>>({}),
          ]);
          const permission = Object.entries(permissions).find(([name]) => name.toLowerCase() === user.toLowerCase())?.[1] ?? null;
          return { teams: members.members, permission };
        },
        commentOnIssue: async (number, body) => void (await postComment(gh, owner, repo, number, body, `commenting on #${number}`)),
      },
      login,
    };
  }
}
