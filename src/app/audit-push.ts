// Direct pushes (SPEC §4.3): a push to a branch some environment gates, through commits that
// belong to no merged pull request, that changes in-scope paths reached the environment without
// any review. It gets a record of kind "push" — in a `compliance/audit` check run on the push's
// head commit (github/audit-check.ts) — and, when it is a violation, an exception issue that
// holds the record too.
//
// Which commits belong to a merged pull request (merged into this very branch):
// - the push's head is the PR's merge commit (merge, squash, rebase, merge queue): GitHub made this
//   push by merging it, and the push's other commits are the PR's own (merge) or its replayed
//   ones (rebase, at most its commit count less one);
// - otherwise, each commit GitHub associates with a merged PR into the branch whose merge commit
//   is the push's head or the commit itself, or among whose commits it is.
// GitHub associates merged PRs with commits of the default branch only; on other branches a
// merged PR is found among the branch's recently closed PRs by its merge commit.
// A force push is direct whatever its commits: it rewrote what the environment runs, and the
// commits it dropped are changes too.
import type { Logger } from "probot";
import { buildPushRecord, type AuditRecord, type PushCommit } from "../audit/record.js";
import { sealRecord } from "../audit/seal.js";
import { directChangeFacts } from "../engine/direct-change.js";
import { decide, environmentsFor, touchedEnvironments } from "../engine/index.js";
import type { ChangedFile, Facts } from "../engine/types.js";
import { GitHubError } from "../github/client.js";
import { commitIdentities, type ApiCommit, type CommitIdentities } from "../github/commit-identities.js";
import { auditCheckHeadline, auditCheckText } from "../render/audit-check.js";
import { exceptionNote, problemNote } from "../render/audit-comment.js";
import { exceptionBody, exceptionTitle } from "../render/exception-issue.js";
import { exceptionOf, refusedForGood, touchedDecisions } from "./audit-exceptions.js";
import type { AuditDependencies } from "./audit-merge.js";
import type { Job, Ports, PullRequest } from "./ports.js";
import { requestSummary } from "./request-tally.js";

/** A push payload lists at most this many commits; a longer push must be compared to be sure. */
export const PUSH_COMMITS_LIMIT = 2048;

/** What the audit reads of a push payload. */
export interface PushPayload {
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  commits: PayloadCommit[];
  pusher?: { name?: string } | null;
  sender?: { login?: string } | null;
  repository?: { pushed_at?: number | string | null } | null;
}

/** A git identity of a push payload's commit; `username` is the account GitHub links to it, if any. */
interface PayloadIdentity {
  username?: string;
  name?: string;
  email?: string;
}

interface PayloadCommit {
  id: string;
  message?: string;
  author?: PayloadIdentity | null;
  committer?: PayloadIdentity | null;
  added?: string[];
  removed?: string[];
  modified?: string[];
}

/** A direct push to audit: plain data, so a retry can wait in a queue. */
export type PushRequest = {
  owner: string;
  repo: string;
  branch: string;
  defaultBranch: string;
  installationId?: number;
  serverUrl?: string;
  push: PushPayload;
  retryAttempt?: number;
};

/** The job that audits a push. */
export function auditPushJob(request: PushRequest, log?: Record<string, string | number>): Job<PushRequest> {
  return {
    kind: "audit-push",
    key: `audit:push:${request.owner}/${request.repo}@${request.push.after}`.toLowerCase(),
    ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
    payload: request,
    log: log ?? { repository: `${request.owner}/${request.repo}`, push: request.push.after },
  };
}

/** A commit of the push, with the files it changed when the payload says. */
interface PushedCommit extends PushCommit {
  files: ChangedFile[] | undefined;
  /** The commit as the PR commit listing gives it: who wrote it, for `commitIdentities`. */
  git: ApiCommit;
}

interface PushChanges {
  commits: PushedCommit[];
  /** Every file the push changed (for a force push, those its dropped commits changed too). */
  files: ChangedFile[];
  truncated: boolean;
  /** False when the push's commits could not all be listed. */
  complete: boolean;
}

/** Commits looked up one by one at most; past that, the rest count as direct (never guessed to be a PR's). */
const MAX_LOOKUPS = 100;

/** A payload's commit in the shape GitHub lists commits in, so that one reader finds who wrote it. */
function pushedCommit(c: PayloadCommit): PushedCommit {
  const git = (who: PayloadIdentity | null | undefined) => (who ? { name: who.name ?? "", email: who.email ?? "" } : null);
  const account = (who: PayloadIdentity | null | undefined) => (who?.username ? { login: who.username } : null);
  return {
    sha: c.id,
    author: c.author?.username ?? null,
    committer: c.committer?.username ?? null,
    files: filesOf(c),
    git: {
      sha: c.id,
      author: account(c.author),
      committer: account(c.committer),
      commit: { author: git(c.author), committer: git(c.committer), ...(c.message !== undefined ? { message: c.message } : {}) },
    },
  };
}

function filesOf(commit: PayloadCommit): ChangedFile[] {
  return [
    ...(commit.added ?? []).map((path): ChangedFile => ({ path, status: "added" })),
    ...(commit.removed ?? []).map((path): ChangedFile => ({ path, status: "removed" })),
    ...(commit.modified ?? []).map((path): ChangedFile => ({ path, status: "modified" })),
  ];
}

function union(lists: ChangedFile[][]): ChangedFile[] {
  const byPath = new Map<string, ChangedFile>();
  for (const file of lists.flat()) if (!byPath.has(file.path)) byPath.set(file.path, file);
  return [...byPath.values()];
}

/** What `base...head` changed, its commits as the push's (files unknown per commit). */
async function compare(ports: Ports, base: string, head: string): Promise<PushChanges> {
  const compared = await ports.commits.compare(base, head);
  const commits = compared.commits.map((git): PushedCommit => ({ sha: git.sha, author: git.author?.login ?? null, committer: git.committer?.login ?? null, files: undefined, git }));
  return { ...compared, commits };
}

/** The push's commits and files: from the payload when it lists them all, else from comparisons. */
async function changesOf(ports: Ports, push: PushPayload): Promise<PushChanges> {
  if (push.forced) {
    // Both directions from the merge base: what the push added, and what the commits it dropped had changed.
    const [added, dropped] = await Promise.all([compare(ports, push.before, push.after), compare(ports, push.after, push.before)]);
    const listed = push.commits.map(pushedCommit);
    return {
      commits: listed.length > 0 ? listed : added.commits,
      files: union([added.files, dropped.files]),
      truncated: added.truncated || dropped.truncated,
      complete: added.complete,
    };
  }
  if (push.commits.length === 0 || push.commits.length >= PUSH_COMMITS_LIMIT) {
    return compare(ports, push.before, push.after);
  }
  const commits = push.commits.map(pushedCommit);
  return { commits, files: union(commits.map((c) => c.files ?? [])), truncated: false, complete: true };
}

/** The push's commits that belong to no merged pull request into `branch` (see the top of this file). */
async function directCommits(ports: Ports, request: PushRequest, commits: PushedCommit[]): Promise<PushedCommit[]> {
  const { branch, push } = request;
  const claimed = new Set<string>();
  const lookups = new Map<string, PullRequest[]>();
  const commitsOf = new Map<number, Set<string>>();
  const intoBranch = async (sha: string): Promise<PullRequest[]> => {
    let found = lookups.get(sha);
    if (found === undefined) {
      found = (await ports.pulls.ofCommit(sha)).filter((p) => p.merged_at !== null && p.base.ref === branch);
      lookups.set(sha, found);
    }
    return found;
  };
  const shasOf = async (number: number): Promise<Set<string>> => {
    let shas = commitsOf.get(number);
    if (shas === undefined) {
      shas = new Set((await ports.pulls.commits(number)).commits.flatMap((c) => (typeof c.sha === "string" ? [c.sha] : [])));
      commitsOf.set(number, shas);
    }
    return shas;
  };
  const unclaimed = (): PushedCommit[] => commits.filter((c) => !claimed.has(c.sha));

  // GitHub's own merge push: the head is a merged PR's merge commit.
  let merged = (await intoBranch(push.after)).find((p) => p.merge_commit_sha === push.after);
  if (merged === undefined && request.branch !== request.defaultBranch) {
    const recent = await ports.pulls.closedSince({ since: 0, maxPages: 1, perPage: 30, base: branch, doing: "listing recently closed pull requests" });
    merged = recent.pulls.find((p) => p.merged_at !== null && p.merge_commit_sha === push.after);
  }
  if (merged !== undefined) {
    claimed.add(push.after);
    if (unclaimed().length > 0) {
      const own = await shasOf(merged.number);
      for (const c of unclaimed()) if (own.has(c.sha)) claimed.add(c.sha);
      // A rebase merge replays the PR's commits with new shas, the last one being its merge commit.
      if (unclaimed().length <= Math.max(0, own.size - 1)) for (const c of unclaimed()) claimed.add(c.sha);
    }
  }

  let looked = 0;
  for (const c of unclaimed()) {
    if (looked >= MAX_LOOKUPS) break;
    looked += 1;
    for (const pull of await intoBranch(c.sha)) {
      if (pull.merge_commit_sha === push.after || pull.merge_commit_sha === c.sha || (await shasOf(pull.number)).has(c.sha)) {
        claimed.add(c.sha);
        break;
      }
    }
  }
  return unclaimed();
}

/** The check run's text, holding the record whole; GitHubError when it cannot fit (a cut record would not verify). */
function checkText(record: AuditRecord, serverUrl: string | undefined, notes: string[]): string {
  const text = auditCheckText(record, { ...(serverUrl !== undefined ? { serverUrl } : {}), notes });
  if (text !== null) return text;
  throw new GitHubError(`the audit record of ${record.kind === "push" ? record.after.slice(0, 7) : "?"} is larger than a check run can hold`);
}

/** When the push happened: the repository's `pushed_at` in the payload (seconds), else now. */
function pushedAtOf(push: PushPayload, now: number): number {
  const at = push.repository?.pushed_at;
  if (typeof at === "number") return at * 1000;
  if (typeof at === "string" && Number.isFinite(Date.parse(at))) return Date.parse(at);
  return now;
}

/** Audits direct pushes; a failure is logged and tried again later. */
export class PushAuditor {
  constructor(private readonly deps: AuditDependencies) {}

  /** Audits the push; never rejects. */
  async onPush(request: PushRequest, ports: Ports, log: Logger): Promise<void> {
    const key = auditPushJob(request).key;
    try {
      await this.audit(request, ports, log);
      this.deps.later.cancelRetry(key);
    } catch (error) {
      const message = error instanceof GitHubError ? error.message : error instanceof Error ? `unexpected error: ${error.message}` : String(error);
      const attempt = (request.retryAttempt ?? 0) + 1;
      const scheduled = this.deps.later.retry(key, auditPushJob({ ...request, retryAttempt: attempt }), attempt);
      log.error(
        { repository: `${request.owner}/${request.repo}`, branch: request.branch, after: request.push.after, error: message, ...(scheduled ? { retry: attempt } : {}) },
        scheduled ? "cannot audit a push: trying again later" : "cannot audit a push, and no retry is left: a direct push may have no record",
      );
    }
  }

  private async audit(request: PushRequest, ports: Ports, log: Logger): Promise<void> {
    const { owner, repo, branch, push } = request;
    const repository = `${owner}/${repo}`;

    // The policies that gated the branch when the push landed: those at `before`.
    const found = await ports.policies.atCommit(push.before, branch);
    if (found.kind === "none") return;
    const judging = environmentsFor(found.policies, branch, request.defaultBranch);
    if (judging.policies.length === 0 && judging.invalid.length === 0) return;

    const now = this.deps.clock();
    const pushedAt = pushedAtOf(push, now);
    const pusher = push.sender?.login ?? push.pusher?.name ?? "unknown";
    // No pull request, no reviews: judged as a PR nobody approved would be.
    const factsOf = (files: ChangedFile[], truncated: boolean, people: CommitIdentities): Facts =>
      directChangeFacts({
        repository,
        base: branch,
        default_branch: request.defaultBranch,
        head: push.after,
        author: pusher,
        contributors: people.contributors,
        unlinked: people.unlinked,
        files,
        files_truncated: truncated,
        now: pushedAt,
      });

    const changes = await changesOf(ports, push);
    // Nothing in scope, whoever made the commits: nothing to attribute, nothing to record.
    if (touchedEnvironments(judging, { base: branch, default_branch: request.defaultBranch, files: changes.files, files_truncated: changes.truncated }).length === 0) {
      log.debug({ repository, branch, requests: requestSummary(ports.requests()) }, "push changed no gated path");
      return;
    }
    const direct = push.forced || !changes.complete ? changes.commits : await directCommits(ports, request, changes.commits);
    if (direct.length === 0 && !push.forced) {
      log.debug({ repository, branch, after: push.after, requests: requestSummary(ports.requests()) }, "push of merged pull requests: recorded on the pull requests");
      return;
    }
    const perCommit = !push.forced && direct.every((c) => c.files !== undefined);
    const files = perCommit ? union(direct.map((c) => c.files ?? [])) : changes.files;
    // Who wrote the direct commits, read as a PR's are: co-authors count, unlinked identities are listed.
    const people = commitIdentities(direct.map((c) => c.git));
    const decision = decide(judging, factsOf(files, perCommit ? false : changes.truncated, people));
    const touched = touchedDecisions(decision);
    if (touched.length === 0) {
      log.debug({ repository, branch, after: push.after, requests: requestSummary(ports.requests()) }, "the push's direct commits changed no gated path");
      return;
    }

    const login = await this.deps.identity.botLogin();
    if (await ports.audit.hasPushRecord({ sha: push.after, before: push.before, login })) {
      log.debug({ repository, after: push.after, requests: requestSummary(ports.requests()) }, "push already recorded");
      return;
    }

    const sealed = sealRecord(
      buildPushRecord({
        repository,
        push: {
          branch,
          before: push.before,
          after: push.after,
          pusher,
          pushed_at: new Date(pushedAt).toISOString(),
          commits: direct.map(({ sha, author, committer }) => ({ sha, author, committer })),
          contributors: people.contributors,
          unlinked: people.unlinked,
        },
        decision,
        policy: { commit: found.commit, files: found.blobs },
        evaluated_at: new Date(now).toISOString(),
      }),
      this.deps.signingKey,
    );
    if (!sealed.ok) throw new Error(`cannot seal the audit record: ${sealed.message}`);
    const record = sealed.record;
    const commitUrl = request.serverUrl !== undefined ? `${request.serverUrl}/${owner}/${repo}/commit/${push.after}` : null;

    const exception = exceptionOf(record, decision, found.policies, { key: `${repository}@${push.before}..${push.after}`, owner, changeUrl: commitUrl, recordUrl: null });
    let issue: number | undefined;
    const notes: string[] = [];
    if (exception) {
      try {
        const opened = await ports.audit.openExceptionIssue({
          key: exception.key,
          login,
          since: new Date(pushedAt).toISOString(),
          title: exceptionTitle(exception),
          body: exceptionBody(exception),
        });
        issue = opened.issue.number;
        notes.push(exceptionNote(issue));
      } catch (error) {
        // Refused for good (no issues permission yet, issues turned off): the record must not wait for it.
        if (!refusedForGood(error)) throw error;
        notes.push(problemNote(`the exception issue could not be opened: ${error.message}`));
        log.error({ repository, after: push.after, error: error.message }, "the exception issue of a direct push could not be opened: the audit record is written without it");
      }
    }

    const text = checkText(record, request.serverUrl, notes);
    await ports.audit.postRecord({
      sha: push.after,
      compliant: record.compliant,
      ...auditCheckHeadline(record, { commits: direct.length, notApproved: touched.filter((e) => e.state !== "approved").map((e) => e.environment), issue }),
      text,
    });
    log.info(
      {
        repository,
        branch,
        before: push.before,
        after: push.after,
        digest: record.digest,
        compliant: record.compliant,
        signed: record.signature !== undefined,
        environments: Object.fromEntries(touched.map((env) => [env.environment, env.state])),
        commits: direct.length,
        forced: push.forced,
        ...(issue !== undefined ? { issue } : {}),
        requests: requestSummary(ports.requests()),
      },
      `audit record of the direct push ${repository}@${push.after.slice(0, 7)} written`,
    );
  }
}
