// A fake of the ports (src/app/ports.ts), as policy-bot's pulltest fakes pull.Context: one
// repository in memory — branch tips, policies by commit, pull requests with their files, reviews
// and commits, the check runs posted — behind every port, so the use cases are tested as tables
// without HTTP. Any call can be made to fail (a GitHubError, as an adapter throws) or to change the
// repository first (a push while the PR is read); every call is logged.
import { loadPolicySet } from "../../src/policy/load.js";
import type { PolicySet } from "../../src/policy/types.js";
import type { ChangedFile, Facts, Review } from "../../src/engine/types.js";
import type { CheckTarget, Job, Later, ListedCheckRun, Ports, PullRequest } from "../../src/app/ports.js";
import { requestFailed, type GitHubError } from "../../src/github/client.js";
import type { PolicyFile } from "../../src/github/policy-files.js";
import type { GroupCommit, LandedFile } from "../../src/github/merge-group-commits.js";
import type { PlannedCheck } from "../../src/render/check-run.js";

/** A 40-hex sha from a short tag (`h1` → `6831…`): distinct per tag. */
export function sha(tag: string): string {
  return [...tag].map((c) => c.charCodeAt(0).toString(16)).join("").padEnd(40, "0").slice(0, 40);
}

/** A policy file of the usual shape: `environment` gates `clusters/<environment>/**` on main, one approval of `approvers`. */
export function policyYaml(environment: string, approvers: string, extra = ""): string {
  return [
    "version: 1",
    `environment: ${environment}`,
    "scope:",
    "  branches: [main]",
    `  paths: [clusters/${environment}/**]`,
    "rules:",
    `  - name: ${environment} approvers`,
    `    paths: [clusters/${environment}/**]`,
    "    approvals: 1",
    `    approvers: ${approvers}`,
    extra,
  ].join("\n");
}

/** Production (alice approves) and staging (bob approves), as parsed from files. */
export function usualPolicies(): Record<string, string> {
  return { "policies/production.yml": policyYaml("production", "{ users: [alice] }"), "policies/staging.yml": policyYaml("staging", "{ users: [bob] }") };
}

/** What a fake pull request holds besides the PR itself. */
export interface FakePull {
  pull: PullRequest;
  files: ChangedFile[];
  reviews: Review[];
  contributors?: string[];
}

/** A posted check run, as the fake keeps it. */
export interface PostedRun {
  target: CheckTarget;
  check: PlannedCheck;
  force: boolean;
}

/** An approving review by `user` of `commit`. */
export function approval(user: string, commit: string, id = 1): Review {
  return { id, user, state: "APPROVED", commit, bot: false, submitted_at: "2026-11-25T09:00:00Z" };
}

/** One repository behind the ports. */
export class FakeRepository {
  readonly owner = "acme";
  readonly repo = "gitops";
  readonly tips = new Map<string, string>([["main", sha("tip")]]);
  /** Policy files by commit; absent or empty: no policies there. */
  readonly policyFiles = new Map<string, Record<string, string>>();
  readonly pulls = new Map<number, FakePull>();
  /** Merge groups: the commits from a base to a group's head, and the merge queue's refs. */
  readonly ranges = new Map<string, GroupCommit[]>();
  readonly queueRefs: { number: number; parent: string; sha: string }[] = [];
  readonly landed = new Map<string, LandedFile[]>();
  readonly posted: PostedRun[] = [];
  /** Every call, as `port.method args`. */
  readonly calls: string[] = [];
  /** Calls that fail, by `port.method` (or `checks.post:<check name>`), each with how many times. */
  private readonly failures = new Map<string, { error: Error; times: number }>();
  /** What happens before a call is answered, by `port.method`: say, a push while the lists are read. */
  private readonly before = new Map<string, () => void>();
  private readonly parsed = new Map<string, PolicySet>();
  appId: number | undefined = 1;
  /** When GitHub says this app's check runs completed. */
  checksAt = "2026-11-25T09:30:00Z";

  constructor() {
    this.policyFiles.set(sha("tip"), usualPolicies());
  }

  /** Adds a pull request into main (open, by carol, one file in production unless said). */
  pull(number: number, options: Partial<PullRequest> & { files?: ChangedFile[]; reviews?: Review[] } = {}): PullRequest {
    const { files, reviews, ...fields } = options;
    const pull: PullRequest = {
      number,
      state: "open",
      draft: false,
      title: `PR ${number}`,
      body: null,
      user: { login: "carol" },
      head: { sha: sha(`h${number}`) },
      base: { ref: "main", repo: { default_branch: "main" } },
      labels: [],
      updated_at: "2026-11-25T09:00:00Z",
      merged: false,
      merged_at: null,
      merge_commit_sha: null,
      merged_by: null,
      ...fields,
    };
    this.pulls.set(number, { pull, files: files ?? [{ path: "clusters/production/api.yaml", status: "modified" }], reviews: reviews ?? [] });
    return pull;
  }

  /** Moves a PR's head (a push): GitHub moves its `updated_at` too. */
  push(number: number, head: string): void {
    const held = this.found(number);
    held.pull = { ...held.pull, head: { sha: head }, updated_at: new Date(Date.parse(held.pull.updated_at ?? "2026-11-25T09:00:00Z") + 60_000).toISOString() };
  }

  /** The next `times` calls of `what` fail with `error` (a GitHub 502 by default). */
  fail(what: string, error: Error = requestFailed(502, what, `calling ${what}`, ""), times = Infinity): this {
    this.failures.set(what, { error, times });
    return this;
  }

  /** Runs `change` before every call of `what` is answered. */
  beforeCall(what: string, change: () => void): this {
    this.before.set(what, change);
    return this;
  }

  /** The checks posted on a commit, latest per name. */
  shown(commit: string): Map<string, PlannedCheck> {
    const latest = new Map<string, PlannedCheck>();
    for (const run of this.posted) if (run.target.sha === commit) latest.set(run.check.name, run.check);
    return latest;
  }

  /** `name → verdict` of what shows on a commit, sorted by name. */
  verdicts(commit: string): Record<string, string> {
    return Object.fromEntries([...this.shown(commit)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, check]) => [name, check.verdict]));
  }

  private call(what: string, args: unknown[] = [], failAs: string[] = []): void {
    this.calls.push([what, ...args.map((a) => (typeof a === "object" ? JSON.stringify(a) : String(a)))].join(" "));
    this.before.get(what)?.();
    for (const key of [what, ...failAs]) {
      const failure = this.failures.get(key);
      if (failure && failure.times > 0) {
        failure.times -= 1;
        throw failure.error;
      }
    }
  }

  private found(number: number): FakePull {
    const held = this.pulls.get(number);
    if (!held) throw requestFailed(404, "GET /repos/{owner}/{repo}/pulls/{pull_number}", `reading #${number}`, "Not Found");
    return held;
  }

  private policiesAtCommit(commit: string): PolicySet | null {
    const files = this.policyFiles.get(commit);
    if (!files || Object.keys(files).length === 0) return null;
    let set = this.parsed.get(commit);
    if (!set) {
      set = loadPolicySet(Object.entries(files).map(([path, text]) => ({ path, text })));
      this.parsed.set(commit, set);
    }
    return set;
  }

  private lookup(commit: string) {
    const set = this.policiesAtCommit(commit);
    if (set === null) return { kind: "none" as const, commit };
    const blobs = Object.fromEntries(Object.keys(this.policyFiles.get(commit) ?? {}).map((path) => [path, sha(`b${path}`)]));
    return { kind: "policies" as const, policies: set, commit, blobs };
  }

  /** The ports over this repository. */
  ports(): Ports {
    const count = { total: 0, notModified: 0, byRoute: {} as Record<string, number> };
    const counted = <T>(what: string, args: unknown[], answer: () => T, failAs: string[] = []): T => {
      count.total += 1;
      count.byRoute[what] = (count.byRoute[what] ?? 0) + 1;
      this.call(what, args, failAs);
      return answer();
    };
    const gone = (what: string): never => {
      throw new Error(`the fake does not answer ${what}`);
    };
    return {
      owner: this.owner,
      repo: this.repo,
      policies: {
        atBranchTip: async (branch) =>
          counted("policies.atBranchTip", [branch], () => {
            const tip = this.tips.get(branch);
            if (tip === undefined) throw requestFailed(404, "GET /repos/{owner}/{repo}/git/ref/{ref}", `reading the tip of base branch ${branch}`, "Not Found");
            return this.lookup(tip);
          }),
        atCommit: async (commit) => counted("policies.atCommit", [commit], () => this.lookup(commit)),
        headFiles: async (commit) =>
          counted("policies.headFiles", [commit], (): PolicyFile[] => Object.entries(this.policyFiles.get(commit) ?? {}).map(([path, text]) => ({ path, sha: sha(`b${path}`), text }))),
      },
      pulls: {
        read: async (number) => counted("pulls.read", [number], () => structuredClone(this.found(number).pull)),
        openInto: async (base) =>
          counted("pulls.openInto", [base], () => ({ pulls: [...this.pulls.values()].map((p) => p.pull).filter((p) => p.state === "open" && (base === undefined || p.base.ref === base)), complete: true, nextPage: 2 })),
        ofCommit: async (commit) => counted("pulls.ofCommit", [commit], () => [...this.pulls.values()].map((p) => p.pull).filter((p) => p.head.sha === commit)),
        closedSince: async () => gone("pulls.closedSince"),
        commits: async () => gone("pulls.commits"),
        requestReviewers: async (number, request) => counted("pulls.requestReviewers", [number, request], () => undefined),
        closingIssues: async () => gone("pulls.closingIssues"),
      },
      facts: {
        gather: async (pull, judging) =>
          counted("facts.gather", [pull.number, pull.head.sha], () => {
            const held = this.found(pull.number);
            const facts: Facts = {
              repository: `${this.owner}/${this.repo}`,
              base: pull.base.ref,
              default_branch: pull.base.repo.default_branch ?? pull.base.ref,
              head: pull.head.sha,
              author: pull.user?.login ?? "ghost",
              contributors: held.contributors ?? [pull.user?.login ?? "ghost"],
              unlinked: [],
              labels: pull.labels.map((l) => l.name),
              files: structuredClone(held.files),
              files_truncated: false,
              reviews: structuredClone(held.reviews),
              teams: {},
              permissions: {},
              now: judging.now,
            };
            return { facts, warnings: [] };
          }),
        changedFiles: async (pull) => counted("facts.changedFiles", [pull.number], () => ({ files: structuredClone(this.found(pull.number).files), truncated: false, source: "files" as const })),
      },
      checks: {
        get appId() {
          return undefined;
        },
        post: async (target, check, options = {}) =>
          counted(
            "checks.post",
            [target.sha.slice(0, 7), check.name, check.verdict],
            () => {
              this.posted.push({ target, check: structuredClone(check), force: options.force ?? false });
              return "posted" as const;
            },
            [`checks.post:${check.name}`],
          ),
        ours: async (commit) =>
          counted("checks.ours", [commit], (): ListedCheckRun[] =>
            [...this.shown(commit)].map(([name, check]) => ({
              id: 1,
              name,
              externalId: check.externalId ?? this.posted.filter((r) => r.target.sha === commit && r.check.name === name).at(-1)?.target.externalId,
              appId: this.appId,
              appSlug: "compliance-gate",
              url: null,
              text: null,
              startedAt: null,
              at: this.checksAt,
              ...(check.verdict !== "in_progress" ? { conclusion: check.verdict } : {}),
              // Never compared here: the fake's sink writes every check it is given.
              shown: `${check.verdict}:${check.output.title}`,
            })),
          ),
      },
      commits: {
        baseBeforeMerge: async () => gone("commits.baseBeforeMerge"),
        range: async (base, head) =>
          counted("commits.range", [base, head], () => {
            const commits = this.ranges.get(`${base}...${head}`);
            if (!commits) throw requestFailed(404, "GET /repos/{owner}/{repo}/compare/{basehead}", `listing the commits of the merge group ${head.slice(0, 7)}`, "Not Found");
            return { mergeBase: base, commits };
          }),
        queueRefs: async (base) => counted("commits.queueRefs", [base], () => ({ refs: [...this.queueRefs], complete: true })),
        filesBetween: async (base, head) => counted("commits.filesBetween", [base, head], () => ({ files: this.landed.get(`${base}...${head}`) ?? [], complete: true })),
        pullFileBlobs: async (number) =>
          counted("commits.pullFileBlobs", [number], () => ({ files: this.found(number).files.map((f) => ({ ...f, blob: sha(`blob:${f.path}`) })), complete: true })),
        compare: async () => gone("commits.compare"),
        files: async () => gone("commits.files"),
        mergeParent: async () => gone("commits.mergeParent"),
        history: async () => gone("commits.history"),
      },
      audit: {
        comments: async () => gone("audit.comments"),
        keepEarliest: async () => gone("audit.keepEarliest"),
        writeComment: async () => gone("audit.writeComment"),
        openExceptionIssue: async () => gone("audit.openExceptionIssue"),
        recordDeployment: async () => gone("audit.recordDeployment"),
        hasPushRecord: async () => gone("audit.hasPushRecord"),
        postRecord: async () => gone("audit.postRecord"),
        allComments: async () => gone("audit.allComments"),
        pushRecordRuns: async () => gone("audit.pushRecordRuns"),
        exceptionIssues: async () => gone("audit.exceptionIssues"),
        issuesOpenedBy: async () => gone("audit.issuesOpenedBy"),
      },
      repository: {
        read: async () => ({ repository: `${this.owner}/${this.repo}`, defaultBranch: "main" }),
        branches: async () => ({ items: [...this.tips].map(([name, tip]) => ({ name, tip })), complete: true }),
        deployedSince: async () => gone("repository.deployedSince"),
      },
      requests: () => count,
    };
  }
}

/** A GitHubError as an adapter throws it, for `fail`. */
export function githubError(status: number, doing: string, detail = ""): GitHubError {
  return requestFailed(status, "GET /fake", doing, detail);
}

/** Later in memory: runs a job as it is queued (with a handler a test registers), and keeps retries and timers to look at. */
export class FakeLater implements Later {
  readonly retries = new Map<string, { job: Job; attempt: number }>();
  readonly timers = new Map<string, { job: Job; at: number }>();
  readonly ran: Job[] = [];
  /** Retries allowed, as the app's (3). */
  maxAttempts = 3;

  constructor(private readonly handler: (job: Job) => Promise<void> = async () => undefined) {}

  async enqueue(job: Job): Promise<void> {
    this.ran.push(job);
    await this.handler(job);
  }

  retry(key: string, job: Job, attempt: number): boolean {
    if (attempt > this.maxAttempts) return false;
    this.retries.set(key, { job, attempt });
    return true;
  }

  cancelRetry(key: string): void {
    this.retries.delete(key);
  }

  pendingRetry(key: string): number | undefined {
    return this.retries.get(key)?.attempt;
  }

  at(key: string, job: Job, at: number): boolean {
    this.timers.set(key, { job, at });
    return true;
  }

  cancelTimer(key: string, under = false): void {
    for (const k of [...this.timers.keys()]) if (k === key || (under && k.startsWith(`${key}@`))) this.timers.delete(k);
  }

  async idle(): Promise<void> {}
}
