// A merge group judged as a whole (SPEC §3.1): every pull request it holds, and every commit in it
// that belongs to none, each judged on its own; its checks are the strictest of all of them.
//
// Which PRs a group holds (see queue-entries.ts for how GitHub builds one). Attribution is
// structural, never from commit messages (a squash message is whatever the author wrote, "(#5)"
// included):
// - the group's own entry: its merge_group event, which GitHub signs: the PR and the commit it is
//   stacked on (`base_sha`). When that commit is the base branch's tip, the group is that one PR and
//   nothing more is read;
// - entries of earlier merge_group events this process received (QueueMemory), trusted alike;
// - otherwise the merge queue's refs `gh-readonly-queue/<base>/pr-<n>-<parent>`. GitHub writes
//   them but does not keep anyone with write access from creating one of the same name, so a ref
//   only says which PR to check, and the entry it names is accepted only when its commits prove it:
//   a merge commit whose parents are the commit below and the PR's current head (merge method), or
//   commits whose changes are exactly the PR's — every file they change is one the PR changes,
//   left as the blob the PR's head has (squash, rebase). A squash of two queued PRs that edit the
//   same file cannot show that and fails closed (the queue retries it without the other PR).
// - The association API (commits/{sha}/pulls) is not used: it lists every open PR that contains a
//   commit, stacked PRs included, and says nothing of the commits the queue itself writes.
// Commits no entry covers belong to no pull request and are judged as a direct push would be (no
// reviews: anything in an environment's scope that needs an approval fails). A stretch that an
// entry claims but cannot prove, refs that disagree, or more than MAX_GROUP_COMMITS commits or
// MAX_GROUP_PARTS parts, fail the group closed, naming the commits.
import { commitIdentities } from "../github/commit-identities.js";
import { directChangeFacts } from "../engine/direct-change.js";
import { decide } from "../engine/index.js";
import type { Decision } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { verdictOf, type PlannedCheck } from "../render/check-run.js";
import { GitHubError } from "../github/client.js";
import { LruCache } from "../github/lru-cache.js";
import { changedFile } from "../github/git-listings.js";
import type { GroupCommit, LandedFile } from "../github/merge-group-commits.js";
import { renderEnvironmentCheck } from "../render/environment-check.js";
import { unownedLabel, unownedOutput } from "../render/merge-group.js";
import { joinList, shortSha } from "../render/markdown.js";
import { combineGroupChecks, type GroupPart } from "./check-plan.js";
import { policyCheck } from "./policy-check.js";
import type { Ports, PullRequest } from "./ports.js";
import { judgePull, type Judging, type PullVerdict } from "./pull-verdict.js";
import { attribute, type Entry, type EntryLabel, type Unattributable, type Unowned } from "./queue-entries.js";

/** Commits of a group at most; GitHub's comparison lists 250 per page, and a queue of PRs of a few commits each stays well below. */
export const MAX_GROUP_COMMITS = 250;
/** PRs and ownerless stretches of a group at most, each judged in full (GitHub allows groups of up to 100). */
const MAX_GROUP_PARTS = 25;
/** Files compared when an entry must prove it is its PR's: GitHub's comparison lists 300. */
const MAX_PROVEN_FILES = 300;

/** Entries GitHub announced in merge_group events, by commit: a commit never changes, so neither does its entry. */
export class QueueMemory {
  private readonly entries = new LruCache<string, { number: number; base: string }>({ maxEntries: 10_000 });

  remember(owner: string, repo: string, sha: string, entry: { number: number; base: string }): void {
    this.entries.set(`${owner}/${repo}`.toLowerCase() + `@${sha}`, entry);
  }

  get(owner: string, repo: string, sha: string): { number: number; base: string } | undefined {
    return this.entries.get(`${owner}/${repo}`.toLowerCase() + `@${sha}`);
  }
}

export interface GroupRequest {
  /** The base branch and its tip (the commit the policies were read at). */
  base: string;
  tip: string;
  defaultBranch: string;
  policies: PolicySet;
  /** The group's head commit, where its checks go. */
  head: string;
  /** The PR the group's merge_group event (or this app's own check run) names, as read now. */
  pull: PullRequest;
  now: number;
  /** How each of its PRs is judged (`now` is the group's). */
  judging: Judging;
}

/** A group's checks, and the decisions behind them (freeze edges are scheduled from these). */
export interface GroupPlan {
  checks: PlannedCheck[];
  decisions: Decision[];
  /** The PRs the group holds, in queue order. */
  pulls: number[];
  /** The verdict of the PR the event names, when it was judged (its head, author, warnings). */
  own: PullVerdict;
}

/** Judges merge groups, with the entries GitHub announced that this process remembers. */
export class MergeGroupJudge {
  constructor(private readonly memory: QueueMemory) {}

  /** The group's checks; throws GitHubError, naming the commits, when its PRs cannot all be told. */
  async plan(ports: Ports, request: GroupRequest): Promise<GroupPlan> {
    const { owner, repo } = ports;
    const { head, pull } = request;
    const known = this.memory.get(owner, repo, head);
    const ownBase = known?.number === pull.number ? known.base : undefined;

    let entries: Entry[];
    let unowned: Unowned[] = [];
    let commits: GroupCommit[] = [];
    if (ownBase === request.tip) {
      // Stacked on the base branch itself: the group is this one PR.
      entries = [{ number: pull.number, head, base: request.tip, commits: [head], source: "event" }];
    } else {
      const range = await ports.commits.range(request.tip, head, MAX_GROUP_COMMITS);
      commits = range.commits;
      const labels = new Map<string, EntryLabel[]>([[head, [{ number: pull.number, base: ownBase, source: "event" }]]]);
      for (const commit of range.commits) {
        const entry = commit.sha === head ? undefined : this.memory.get(owner, repo, commit.sha);
        if (entry) labels.set(commit.sha, [{ ...entry, source: "event" }]);
      }
      let found = attribute(range, head, labels);
      if (found.unowned.length > 0 || found.problems.length > 0) {
        // Not everything is known from GitHub's events: the queue's refs say which PRs to look at.
        const refs = await ports.commits.queueRefs(request.base);
        const inGroup = new Set(range.commits.map((c) => c.sha));
        for (const ref of refs.refs.filter((r) => inGroup.has(r.sha))) {
          labels.set(ref.sha, [...(labels.get(ref.sha) ?? []), { number: ref.number, base: ref.parent, source: "ref" }]);
        }
        found = attribute(range, head, labels);
      }
      if (found.problems.length > 0) throw new GitHubError(unattributed(found.problems));
      entries = found.entries;
      unowned = found.unowned;
    }
    if (entries.length + unowned.length > MAX_GROUP_PARTS) {
      throw new GitHubError(`the merge group ${shortSha(head)} holds ${entries.length + unowned.length} pull requests and stretches of commits, more than the ${MAX_GROUP_PARTS} this app judges in one group`);
    }

    // First every entry is shown to be its PR's, then each PR is judged: nothing is judged of a group that fails anyway.
    const problems: Unattributable[] = [];
    const queued: { entry: Entry; pull: PullRequest }[] = [];
    // Queue order: the entry nearest the base branch first.
    for (const entry of [...entries].reverse()) {
      if (queued.some((q) => q.entry.number === entry.number)) {
        problems.push({ commits: entry.commits, reason: `#${entry.number} is queued only once, but a second stretch of the group claims to be its entry` });
        continue;
      }
      const read = entry.number === pull.number ? pull : await ports.pulls.read(entry.number);
      if (read.state !== "open" || read.base.ref !== request.base) {
        problems.push({ commits: entry.commits, reason: `the queue names #${entry.number}, which is not an open pull request into ${request.base}` });
        continue;
      }
      const doubt = entry.source === "ref" ? await this.disproves(ports, entry, read, commits) : null;
      if (doubt !== null) problems.push({ commits: entry.commits, reason: doubt });
      else queued.push({ entry, pull: read });
    }
    if (problems.length > 0) throw new GitHubError(unattributed(problems));

    const parts: GroupPart[] = [];
    const decisions: Decision[] = [];
    const judging = request.judging;
    let own: PullVerdict | undefined;
    for (const { entry, pull: read } of queued) {
      const judged = await judgePull(ports, read, judging);
      // Queued PRs do not move: a push takes a PR out of the queue, and GitHub builds the group again.
      if (judged.kind !== "verdict" || judged.pull.head.sha !== read.head.sha) {
        const why = judged.kind === "closed" ? "was closed" : judged.kind === "no_policies" ? "has no policies on its base branch any more" : "was pushed to";
        throw new GitHubError(`#${entry.number} ${why} while its merge group ${shortSha(head)} was judged`);
      }
      if (entry.number === pull.number) own = judged;
      parts.push({ label: `#${entry.number}`, checks: judged.checks });
      decisions.push(judged.decision);
    }
    for (const stretch of [...unowned].reverse()) {
      const { part, decision } = await this.directPush(ports, request, stretch, commits);
      parts.push(part);
      decisions.push(decision);
    }
    if (own === undefined) {
      // The event's PR is in its own group by GitHub's word; if no stretch of commits is its (the
      // group adds nothing), it is still judged, so its verdict can never be missing.
      const judged = await judgePull(ports, pull, judging);
      if (judged.kind !== "verdict") throw new GitHubError(`#${pull.number} cannot be judged: ${judged.kind === "closed" ? "it was closed" : "its base branch has no policies"}`);
      own = judged;
      parts.push({ label: `#${pull.number}`, checks: judged.checks });
      decisions.push(judged.decision);
    }
    return { checks: combineGroupChecks(parts), decisions, pulls: entries.map((e) => e.number).reverse(), own };
  }

  /**
   * Why a stretch a ref attributes to `pull` is not shown to be its entry, or null when it is: a
   * merge commit onto the commit below whose second parent is the PR's head, or commits that change
   * only files the PR changes, each left as the PR's head has it.
   */
  private async disproves(ports: Ports, entry: Entry, pull: PullRequest, commits: readonly GroupCommit[]): Promise<string | null> {
    const commit = commits.find((c) => c.sha === entry.head);
    const named = `the merge queue's ref names #${entry.number} for ${shortSha(entry.head)}, but`;
    if (commit === undefined) return `${named} that commit is not in the group`;
    if (commit.parents.length > 1) {
      return commit.parents.length === 2 && commit.parents[0] === entry.base && commit.parents[1] === pull.head.sha
        ? null
        : `${named} it does not merge #${entry.number}'s head ${shortSha(pull.head.sha)}`;
    }
    const [landed, own] = await Promise.all([ports.commits.filesBetween(entry.base, entry.head), ports.commits.pullFileBlobs(entry.number, MAX_PROVEN_FILES)]);
    if (!landed.complete || !own.complete) return `${named} it changes more files than can be compared`;
    const stray = landed.files.find((file) => !leavesAsPull(file, own.files));
    return stray === undefined ? null : `${named} its change to ${stray.path} is not #${entry.number}'s`;
  }

  /** Commits that belong to no pull request, judged as a direct push: no reviews, no labels. */
  private async directPush(ports: Ports, request: GroupRequest, stretch: Unowned, commits: readonly GroupCommit[]): Promise<{ part: GroupPart; decision: Decision }> {
    const { owner, repo } = ports;
    const changed = await ports.commits.filesBetween(stretch.base, stretch.head);
    const own = commits.filter((c) => stretch.commits.includes(c.sha));
    // Who wrote them, read as a PR's commits are: with options.unlinked_commits: block, a writer
    // linked to no account blocks even a change whose rules need no approval.
    const identities = commitIdentities(own.flatMap((c) => (c.git !== undefined ? [c.git] : [])));
    const people = [...new Set([...own.flatMap((c) => [c.author, c.committer]).filter((login): login is string => login !== null), ...identities.contributors])];
    const facts = directChangeFacts({
      repository: `${owner}/${repo}`,
      base: request.base,
      default_branch: request.defaultBranch,
      head: stretch.head,
      author: people[0] ?? "unknown",
      contributors: people,
      unlinked: identities.unlinked,
      files: changed.files.map(changedFile),
      files_truncated: !changed.complete,
      now: request.now,
    });
    const decision = decide(request.policies, facts);
    const context = { repository: `${owner}/${repo}`, policyCommit: request.tip, ...(request.judging.serverUrl !== undefined ? { serverUrl: request.judging.serverUrl } : {}) };
    const checks: PlannedCheck[] = decision.environments.map((env) => ({
      name: env.check,
      verdict: verdictOf(env.state),
      output: unownedOutput(stretch.commits, renderEnvironmentCheck(env, context)),
    }));
    checks.push(await policyCheck(ports.policies, { head: request.head, files: facts.files, filesTruncated: facts.files_truncated, basePolicyFiles: [] }));
    return { part: { label: unownedLabel(stretch.head), checks }, decision };
  }
}

/** Whether a file a stretch of the group changes is left exactly as the PR's head leaves it. */
function leavesAsPull(file: LandedFile, pull: readonly LandedFile[]): boolean {
  const removed = new Set(pull.flatMap((p) => (p.status === "removed" ? [p.path] : p.status === "renamed" && p.previous_path !== undefined ? [p.previous_path] : [])));
  if (file.status === "removed") return removed.has(file.path);
  const there = pull.find((p) => p.path === file.path && p.status !== "removed");
  if (there === undefined || there.blob === undefined || there.blob !== file.blob) return false;
  return file.status !== "renamed" || file.previous_path === undefined || removed.has(file.previous_path);
}

/** The failure of a group whose commits cannot all be attributed: which, and why. */
function unattributed(problems: readonly Unattributable[]): string {
  const said = problems.map((p) => {
    const shown = p.commits.slice(0, 5).map(shortSha);
    const more = p.commits.length > shown.length ? ` and ${p.commits.length - shown.length} more` : "";
    return `${p.reason} (commit${p.commits.length === 1 ? "" : "s"} ${joinList(shown)}${more})`;
  });
  return `cannot tell which pull requests this merge group holds, so no verdict can be given: ${said.join("; ")}`;
}
