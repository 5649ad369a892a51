// Where the base branch was just before a pull request merged: the commit whose policies judged
// the merge (SPEC §4), found through the merge commit and, for a rebase, the commits it replayed.
import { collect, GitHubError, type GitHubSession } from "./client.js";
import { readGitCommit } from "./git-objects.js";
import { commitHistory } from "./history.js";
import { pullCommits, type PullRequest } from "./pulls.js";

/** Whether two commits are one replayed by a rebase: git keeps the message, author and author date. */
function sameChange(a: { message?: string; author?: { email?: string; date?: string } | null }, b: { message?: string; author?: { email?: string; date?: string } | null }): boolean {
  return (
    a.message !== undefined &&
    a.message === b.message &&
    a.author?.email !== undefined &&
    a.author.email === b.author?.email &&
    a.author.date !== undefined &&
    Date.parse(a.author.date) === Date.parse(b.author?.date ?? "")
  );
}

/** A squash commit is authored when the PR is merged; a replayed commit keeps its original date. */
const SQUASH_SLACK_MS = 120_000;

/** Where the base branch was just before a merge, and how that was found (for logs). */
export interface BaseBeforeMerge {
  commit: string;
  how: "merge commit" | "squash" | "single commit" | "rebase";
  note?: string;
}

/**
 * The base branch's commit just before the PR merged: the policies that judged the merge were
 * there. For a merge commit or a squash, its first parent. For a rebase merge of n commits,
 * `merge_commit_sha` is the last of n replayed commits, and its first parent already holds the
 * PR's first n-1 commits — possibly a weakened policy — so the chain is walked back n commits,
 * each matched to the PR's own commits by message, author and author date (what a rebase keeps).
 */
export async function baseBeforeMerge(gh: GitHubSession, owner: string, repo: string, pull: PullRequest): Promise<BaseBeforeMerge> {
  const merge = pull.merge_commit_sha;
  if (merge === null) throw new GitHubError(`GitHub gives no merge commit for #${pull.number}`);
  const data = await readGitCommit(gh, owner, repo, merge, { doing: `reading the merge commit ${merge.slice(0, 7)} of #${pull.number}` });
  const parent = data.parents[0];
  if (parent === undefined) throw new GitHubError(`the merge commit ${merge.slice(0, 7)} of #${pull.number} has no parent`);
  if (data.parents.length > 1) return { commit: parent, how: "merge commit" };
  const count = pull.commits ?? 1;
  if (count <= 1) return { commit: parent, how: "single commit" };
  const authored = Date.parse(data.author?.date ?? "");
  const merged = Date.parse(pull.merged_at ?? "");
  if (Number.isFinite(authored) && Number.isFinite(merged) && Math.abs(merged - authored) <= SQUASH_SLACK_MS) {
    return { commit: parent, how: "squash" };
  }

  // Squash or rebase: a rebase replays the PR's last commit as the merge commit.
  const own = await pullCommits(gh, owner, repo, pull.number);
  const last = own.commits.at(-1);
  if (last === undefined || !sameChange(data, last.commit)) return { commit: parent, how: "squash" };
  if (!own.complete || own.commits.length !== count) {
    return { commit: parent, how: "rebase", note: `only ${own.commits.length} of #${pull.number}'s ${count} commits could be listed: judged by the policies at the parent of its last commit` };
  }
  const history = await collect(
    commitHistory(gh, { owner, repo, from: merge, maxPages: Math.ceil((count + 1) / 100), perPage: Math.min(100, count + 1), doing: `listing the commits before ${merge.slice(0, 7)}` }),
  );
  const bySha = new Map(history.items.map((c) => [c.sha, c]));
  let current = merge;
  let first = parent;
  for (let i = count - 2; i >= 0; i -= 1) {
    const previous = bySha.get(first);
    const expected = own.commits[i];
    if (previous === undefined || expected === undefined || !sameChange(previous.commit, expected.commit)) {
      return { commit: first, how: "rebase", note: `the rebased commits of #${pull.number} could not all be matched before ${current.slice(0, 7)}` };
    }
    current = first;
    const next = previous.parents[0];
    if (next === undefined) return { commit: first, how: "rebase", note: `${first.slice(0, 7)} has no parent` };
    first = next;
  }
  return { commit: first, how: "rebase" };
}
