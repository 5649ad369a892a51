// The facts of a pull request (SPEC §2) read from GitHub: its changed files, reviews and the people
// behind its commits, and — through the directory — the teams and permissions the policies judging
// its base branch need (engine/factsNeeded says which): the FactsSource port over GitHub.
import { factsNeeded } from "../engine/facts-needed.js";
import type { Facts, Review, ReviewState } from "../engine/types.js";
import type { PolicySet } from "../policy/types.js";
import { listChangedFiles, type ChangedFiles } from "./changed-files.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { readComparison } from "./comparison.js";
import { commitIdentities, type ApiCommit, type CommitIdentities } from "./commit-identities.js";
import type { GitHubDirectory } from "./directory.js";
import { COMMITS_LIST_LIMIT, pullCommits, type PullRequest } from "./pulls.js";

/** The facts of a pull request, and what weakens what they can show (a team that was not found). */
export interface GatheredFacts {
  facts: Facts;
  warnings: string[];
}

const REVIEW_STATES: readonly ReviewState[] = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"];

interface ApiReview {
  id: number;
  user: { login: string; type?: string } | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string | null;
}

/** One repository's pull request facts through one session. */
export class GitHubPullFacts {
  constructor(
    private readonly gh: GitHubSession,
    private readonly owner: string,
    private readonly repo: string,
    private readonly directory: GitHubDirectory,
  ) {}

  /**
   * The facts of `pull` at its head, to be judged by `policies` (read at `policyCommit`, which the
   * file list falls back to comparing with) at `now`. Throws GitHubError when GitHub cannot say.
   */
  /** A PR's changed files alone (the export's question: did it touch an environment?). */
  changedFiles(pull: PullRequest, baseCommit: string): Promise<ChangedFiles> {
    return listChangedFiles(this.gh, {
      owner: this.owner,
      repo: this.repo,
      pull_number: pull.number,
      head: pull.head.sha,
      baseCommit,
      ...(pull.changed_files !== undefined ? { changedFiles: pull.changed_files } : {}),
    });
  }

  async gather(pull: PullRequest, judging: { policies: PolicySet; policyCommit: string; now: number }): Promise<GatheredFacts> {
    const { gh, owner, repo } = this;
    const pull_number = pull.number;
    const base = pull.base.ref;
    const head = pull.head.sha;
    const author = pull.user?.login ?? "ghost";
    // The engine says what to read: the teams and permissions of the environments judging this base.
    const defaultBranch = pull.base.repo.default_branch ?? base;
    const needed = factsNeeded(judging.policies, base, defaultBranch, owner);
    const [changed, reviews, commits, teams] = await Promise.all([
      listChangedFiles(gh, {
        owner,
        repo,
        pull_number,
        head,
        baseCommit: judging.policyCommit,
        ...(pull.changed_files !== undefined ? { changedFiles: pull.changed_files } : {}),
      }),
      listReviews(gh, owner, repo, pull_number),
      listContributors(gh, { owner, repo, pull_number, head, baseCommit: judging.policyCommit, author, commits: pull.commits }),
      this.directory.teams(needed.teams),
    ]);
    const permissions = needed.permissions ? await this.directory.permissions(reviews) : {};
    const facts: Facts = {
      repository: `${owner}/${repo}`,
      base,
      default_branch: defaultBranch,
      head,
      author,
      contributors: commits.contributors,
      unlinked: commits.unlinked,
      labels: pull.labels.flatMap((label) => (label.name ? [label.name] : [])),
      files: changed.files,
      files_truncated: changed.truncated,
      reviews,
      teams: teams.members,
      permissions,
      now: judging.now,
    };
    return { facts, warnings: [...teams.warnings] };
  }
}

async function listReviews(gh: GitHubSession, owner: string, repo: string, pull_number: number): Promise<Review[]> {
  const listed = await gh.list<ApiReview>(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    { owner, repo, pull_number },
    `listing reviews of #${pull_number}`,
    // Up to 10,000 reviews; each page is cut to what is read as it arrives, so review bodies
    // (up to 65,536 characters each, written by anyone who can comment) are never all held at once.
    { maxPages: 100, items: (data) => (Array.isArray(data) ? (data as ApiReview[]).map(reviewFields) : []) },
  );
  if (!listed.complete) throw new GitHubError(`#${pull_number} has more reviews than can be listed`);
  // GitHub lists reviews chronologically. PENDING reviews are drafts nobody has submitted;
  // reviews by deleted accounts (user null) cannot be anyone's stance.
  return listed.items.flatMap((review): Review[] => {
    if (review.user === null || !(REVIEW_STATES as readonly string[]).includes(review.state)) return [];
    return [
      {
        id: review.id,
        user: review.user.login,
        state: review.state as ReviewState,
        commit: review.commit_id ?? "",
        bot: review.user.type === "Bot" || review.user.login.endsWith("[bot]"),
        ...(review.submitted_at ? { submitted_at: review.submitted_at } : {}),
      },
    ];
  });
}

/** The fields of a review that are read. */
function reviewFields(review: ApiReview): ApiReview {
  const { id, user, state, commit_id, submitted_at } = review;
  return { id, user: user && { login: user.login, type: user.type }, state, commit_id, ...(submitted_at !== undefined ? { submitted_at } : {}) };
}

interface ContributorsRequest {
  owner: string;
  repo: string;
  pull_number: number;
  head: string;
  baseCommit: string;
  author: string;
  /** The pull request's commit count, when the payload has it. */
  commits: number | undefined;
}

/**
 * The PR author, the GitHub users behind every commit, and the identities behind none. Past the
 * 250 commits the pull request endpoint lists, the comparison of base and head lists the rest;
 * when even that cannot list them all, the contributors are unknown and gathering fails.
 */
async function listContributors(gh: GitHubSession, request: ContributorsRequest): Promise<CommitIdentities> {
  const listed = await pullCommits(gh, request.owner, request.repo, request.pull_number);
  let commits = listed.commits;
  if (!listed.complete || (commits.length >= COMMITS_LIST_LIMIT && request.commits !== commits.length)) {
    commits = await commitsCompared(gh, request);
  }
  return commitIdentities(commits, request.author);
}

async function commitsCompared(gh: GitHubSession, request: ContributorsRequest): Promise<ApiCommit[]> {
  const { owner, repo, pull_number, baseCommit, head } = request;
  const compared = await readComparison(gh, { owner, repo, base: baseCommit, head, perPage: 100, maxPages: 100, doing: `listing commits of #${pull_number} through a comparison` });
  const total = compared.totalCommits;
  if (!compared.complete || total === undefined || compared.commits.length < total) {
    throw new GitHubError(
      `#${pull_number} has ${total ?? "too many"} commits and only ${compared.commits.length} could be listed: its contributors are unknown`,
    );
  }
  return compared.commits;
}
