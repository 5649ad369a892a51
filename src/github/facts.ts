// Gathers the facts of a pull request and the policies that judge it (SPEC §2): the one
// gatherer the app and `compliance-gate explain` share. Errors come back as values.
import { factsNeeded, type TeamRef } from "../engine/facts-needed.js";
import type { Facts, Review, ReviewState } from "../engine/types.js";
import { POLICY_DIR } from "../policy/folder.js";
import { isPolicyFile, loadPolicySet } from "../policy/load.js";
import { PERMISSIONS, type Permission, type PolicySet } from "../policy/types.js";
import { listChangedFiles } from "./changed-files.js";
import { GitHubError, GitHubSession, type GitHubClient, type RequestCount } from "./client.js";
import { LruCache } from "./lru-cache.js";
import { confirmNoPolicyFolder, readPolicyFiles, singleFlight } from "./policy-files.js";
import { listContributors } from "./commit-identities.js";

/** The policy module's parsing and file selection: github/ holds no policy logic of its own. */
export interface PolicyReader {
  loadPolicySet(files: { path: string; text: string }[]): PolicySet;
  isPolicyFile(path: string, dir?: string): boolean;
}

const POLICY_MODULE: PolicyReader = { loadPolicySet, isPolicyFile };

export interface FactsGathererOptions {
  /** Default: the policy module (`src/policy/load.ts`); tests may inject a stand-in. */
  policy?: PolicyReader;
  /** The policy folder at the repository root. Default `policies`. */
  policyDir?: string;
  /** How long team memberships and reviewer permissions are trusted. Default 5 minutes. */
  membershipTtlMs?: number;
  /** Bound of the caches of teams, permissions, policy sets and base refs. Default 1,000. */
  maxCacheEntries?: number;
  /** Bound of the cache of policy file texts (up to 256 KiB each). Default 200. */
  maxBlobEntries?: number;
  /** Epoch milliseconds, for the TTLs. Default `Date.now`. */
  clock?: () => number;
  /** How long "this commit has no policies" is believed before the folder is listed again. Default 60 s. */
  noPoliciesTtlMs?: number;
}

/** A negative answer is the one that makes the app go silent: it is trusted only briefly. */
export const NO_POLICIES_TTL_MS = 60_000;

/** What the gatherer reads of a pull request: a webhook's `pull_request` or the REST API's. */
export interface PullRequestLike {
  number: number;
  user: { login: string } | null;
  head: { sha: string };
  base: { ref: string; repo: { default_branch?: string } };
  labels?: ReadonlyArray<{ name?: string | null }>;
  /** Absent from `pull_request_review` payloads. */
  changed_files?: number;
  /** Absent from `pull_request_review` payloads. */
  commits?: number;
}

export interface GatherRequest {
  owner: string;
  repo: string;
  pull_number: number;
  /** The webhook's `pull_request`, which saves reading the pull request. */
  pull?: PullRequestLike;
  /** Evaluation time, epoch milliseconds. */
  now: number;
  /**
   * Read the policies at this commit instead of the base branch's tip: the audit of a merged PR
   * judges it by the base branch as it was just before the merge (the merge commit's parent), not
   * by the tip, which already holds the PR's own changes — including any change to the policies.
   */
  policyRef?: string;
}

export interface GatheredFacts {
  kind: "facts";
  facts: Facts;
  /** The cached set itself, deeply frozen: it cannot be changed through it. */
  policies: PolicySet;
  /** The commit the policies were read at: the base branch's tip, or the request's `policyRef`. */
  policyCommit: string;
  /** Blob sha of each policy file, by path: the policy version an audit record cites. */
  policyBlobs: Record<string, string>;
  /** Things that did not stop the gathering but weaken what the facts can show. */
  warnings: string[];
  requests: RequestCount;
}

/** The base branch has no policy folder (or no policy file in it): the app leaves the PR alone. */
export interface NoPolicies {
  kind: "no_policies";
  noPolicies: true;
  policyCommit: string;
  requests: RequestCount;
}

/** Facts could not be gathered; the caller fails closed with this message. */
export interface GatherError {
  kind: "error";
  error: string;
  requests: RequestCount;
}

export type GatherResult = GatheredFacts | NoPolicies | GatherError;

/** The policies at the tip of a base branch, found before anything else of a pull request is read. */
export interface PoliciesFound {
  kind: "policies";
  /** The cached set itself, deeply frozen: it cannot be changed through it. */
  policies: PolicySet;
  policyCommit: string;
  requests: RequestCount;
}

export type PolicyProbe = PoliciesFound | NoPolicies | GatherError;

/** The policies at one commit, with the blob sha of each file (the policy version a record cites). */
export interface PoliciesAt extends PoliciesFound {
  policyBlobs: Record<string, string>;
}

export { COMMITS_LIST_LIMIT } from "./commit-identities.js";

const REVIEW_STATES: readonly ReviewState[] = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"];

interface PolicySnapshot {
  set: PolicySet;
  blobs: Record<string, string>;
}

/** What one read of a commit's policy folder found: policies, no folder (`absent`), or no policy file in it. */
type PolicyRead = PolicySnapshot | "absent" | "empty";

interface TeamMembership {
  members: string[];
  warning?: string;
}

interface ApiUser {
  login: string;
  type?: string;
}

interface ApiReview {
  id: number;
  user: ApiUser | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string | null;
}

/** Gathers facts with caches that outlive one gathering: the app keeps one per process. */
export class FactsGatherer {
  private readonly policy: PolicyReader;
  private readonly policyDir: string;
  /** ETag and sha of each base branch's tip, by `owner/repo#branch`. */
  private readonly baseRefs: LruCache<string, { etag: string; sha: string }>;
  /** Parsed policies by `owner/repo@commit`. A commit never changes. */
  private readonly policySets: LruCache<string, PolicySnapshot>;
  /** Commits found without policies, by `owner/repo@commit`, for a short TTL only. */
  private readonly noPolicies: LruCache<string, true>;
  /** Branches this process has seen policies on, by `owner/repo#branch`: their policies vanishing is double-checked. */
  private readonly governed: LruCache<string, true>;
  /** Blob texts by blob sha. */
  private readonly blobs: LruCache<string, string>;
  /** By `installation-owner|org/slug`: an owner never sees another installation's answer. */
  private readonly teams: LruCache<string, TeamMembership>;
  /** By `owner/repo|login`; null means no permission. */
  private readonly permissions: LruCache<string, Permission | null>;
  /**
   * Reads in flight, shared by concurrent evaluations (single-flight) and forgotten as soon as
   * they settle: a failure reaches only those already waiting, and these maps hold no more than
   * the reads under way. Base tips by `owner/repo#branch`, policy folders by `owner/repo@commit`,
   * blobs by `owner/repo@sha`.
   */
  private readonly tipsInFlight = new Map<string, Promise<string>>();
  private readonly policiesInFlight = new Map<string, Promise<PolicyRead>>();
  private readonly blobsInFlight = new Map<string, Promise<string>>();

  constructor(options: FactsGathererOptions = {}) {
    this.policy = options.policy ?? POLICY_MODULE;
    this.policyDir = options.policyDir ?? POLICY_DIR;
    const maxEntries = options.maxCacheEntries ?? 1000;
    const ttlMs = options.membershipTtlMs ?? 5 * 60 * 1000;
    const clock = options.clock ?? Date.now;
    this.baseRefs = new LruCache({ maxEntries, clock });
    this.policySets = new LruCache({ maxEntries, clock });
    this.noPolicies = new LruCache({ maxEntries, ttlMs: options.noPoliciesTtlMs ?? NO_POLICIES_TTL_MS, clock });
    this.governed = new LruCache({ maxEntries: maxEntries * 10, clock });
    this.blobs = new LruCache({ maxEntries: options.maxBlobEntries ?? 200, clock });
    this.teams = new LruCache({ maxEntries, ttlMs, clock });
    this.permissions = new LruCache({ maxEntries, ttlMs, clock });
  }

  /** Gathers the facts of a pull request and its base branch's policies; GitHub failures come back as `{ error }`. */
  async gather(octokit: GitHubClient, request: GatherRequest): Promise<GatherResult> {
    const gh = new GitHubSession(octokit);
    try {
      return await this.gatherWith(gh, request);
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error", error: error.message, requests: gh.count };
      throw error;
    }
  }

  /**
   * Whether the tip of `base` holds policies, and which: the app's first look at an event, so a
   * repository without policies costs one conditional request (a free 304 when warm) and nothing more.
   */
  async probe(octokit: GitHubClient, request: { owner: string; repo: string; base: string }): Promise<PolicyProbe> {
    const { owner, repo, base } = request;
    const gh = new GitHubSession(octokit);
    try {
      const policyCommit = await this.baseTip(gh, owner, repo, base);
      const snapshot = await this.policiesAt(gh, owner, repo, base, policyCommit);
      if (snapshot === null) return { kind: "no_policies", noPolicies: true, policyCommit, requests: gh.count };
      return { kind: "policies", policies: snapshot.set, policyCommit, requests: gh.count };
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error", error: error.message, requests: gh.count };
      throw error;
    }
  }

  /**
   * The policies at a given commit of `branch` (a direct push is judged by those at its `before`),
   * from the same caches as every evaluation: a commit an evaluation read costs nothing.
   */
  async probeAt(octokit: GitHubClient, request: { owner: string; repo: string; branch: string; commit: string }): Promise<PoliciesAt | NoPolicies | GatherError> {
    const { owner, repo, branch, commit } = request;
    const gh = new GitHubSession(octokit);
    try {
      const snapshot = await this.policiesAt(gh, owner, repo, branch, commit);
      if (snapshot === null) return { kind: "no_policies", noPolicies: true, policyCommit: commit, requests: gh.count };
      return { kind: "policies", policies: snapshot.set, policyCommit: commit, policyBlobs: snapshot.blobs, requests: gh.count };
    } catch (error) {
      if (error instanceof GitHubError) return { kind: "error", error: error.message, requests: gh.count };
      throw error;
    }
  }

  private async gatherWith(gh: GitHubSession, request: GatherRequest): Promise<GatherResult> {
    const { owner, repo, pull_number } = request;
    const pull = request.pull ?? (await readPull(gh, owner, repo, pull_number));
    const base = pull.base.ref;
    const head = pull.head.sha;
    const author = pull.user?.login ?? "ghost";

    const policyCommit = request.policyRef ?? (await this.baseTip(gh, owner, repo, base));
    const snapshot = await this.policiesAt(gh, owner, repo, base, policyCommit);
    if (snapshot === null) return { kind: "no_policies", noPolicies: true, policyCommit, requests: gh.count };

    // The engine says what to read: the teams and permissions of the environments judging this base.
    const defaultBranch = pull.base.repo.default_branch ?? base;
    const needed = factsNeeded(snapshot.set, base, defaultBranch, owner);
    const [changed, reviews, commits, teams] = await Promise.all([
      listChangedFiles(gh, {
        owner,
        repo,
        pull_number,
        head,
        baseCommit: policyCommit,
        ...(pull.changed_files !== undefined ? { changedFiles: pull.changed_files } : {}),
      }),
      listReviews(gh, owner, repo, pull_number),
      listContributors(gh, { owner, repo, pull_number, head, baseCommit: policyCommit, author, commits: pull.commits }),
      this.teamMembership(gh, owner, needed.teams),
    ]);
    const permissions = needed.permissions ? await this.reviewerPermissions(gh, owner, repo, reviews) : {};

    const facts: Facts = {
      repository: `${owner}/${repo}`,
      base,
      default_branch: defaultBranch,
      head,
      author,
      contributors: commits.contributors,
      unlinked: commits.unlinked,
      labels: (pull.labels ?? []).flatMap((label) => (label.name ? [label.name] : [])),
      files: changed.files,
      files_truncated: changed.truncated,
      reviews,
      teams: teams.members,
      permissions,
      now: request.now,
    };
    return {
      kind: "facts",
      facts,
      policies: snapshot.set,
      policyCommit,
      policyBlobs: snapshot.blobs,
      warnings: [...teams.warnings],
      requests: gh.count,
    };
  }

  /** The sha at the tip of the base branch, asked conditionally: an unchanged branch costs a free 304. */
  private baseTip(gh: GitHubSession, owner: string, repo: string, base: string): Promise<string> {
    const key = `${owner}/${repo}`.toLowerCase() + `#${base}`;
    return singleFlight(this.tipsInFlight, key, () => this.readBaseTip(gh, owner, repo, base, key));
  }

  private async readBaseTip(gh: GitHubSession, owner: string, repo: string, base: string, key: string): Promise<string> {
    const known = this.baseRefs.get(key);
    const response = await gh.request(
      "GET /repos/{owner}/{repo}/git/ref/{ref}",
      { owner, repo, ref: `heads/${base}`, ...(known ? { headers: { "if-none-match": known.etag } } : {}) },
      `reading the tip of base branch ${base}`,
      { accept: known ? [304] : [] },
    );
    if (response.status === 304 && known) return known.sha;
    const sha = (response.data as { object?: { sha?: unknown } } | undefined)?.object?.sha;
    if (typeof sha !== "string") throw new GitHubError(`GitHub returned no commit for base branch ${base}`);
    const etag = response.headers["etag"];
    if (typeof etag === "string") this.baseRefs.set(key, { etag, sha });
    else this.baseRefs.delete(key);
    return sha;
  }

  /**
   * The parsed policies at a commit of the base branch, or null when there are none. "None" is
   * the answer that silences the app, so it is remembered for a minute only, and when this
   * process has seen policies on the branch before, a second look at the commit's git tree must
   * confirm the folder is really gone (a removal), else gathering fails (closed).
   */
  private async policiesAt(gh: GitHubSession, owner: string, repo: string, branch: string, commit: string): Promise<PolicySnapshot | null> {
    const key = `${owner}/${repo}`.toLowerCase() + `@${commit}`;
    const branchKey = `${owner}/${repo}`.toLowerCase() + `#${branch}`;
    const cached = this.policySets.get(key);
    if (cached !== undefined) {
      this.governed.set(branchKey, true);
      return cached;
    }
    if (this.noPolicies.get(key)) return null;
    const read = await singleFlight(this.policiesInFlight, key, () => this.readPoliciesAt(gh, owner, repo, commit, key));
    if (typeof read !== "string") {
      this.governed.set(branchKey, true);
      return read;
    }
    // An empty listing is GitHub enumerating the folder; a 404 is an absence, worth a second look.
    if (read === "absent" && this.governed.get(branchKey)) {
      await confirmNoPolicyFolder(gh, { owner, repo, commit, dir: this.policyDir });
    }
    this.governed.delete(branchKey);
    this.noPolicies.set(key, true);
    return null;
  }

  /** One read of the policy folder at a commit, shared by concurrent evaluations; found policies are cached. */
  private async readPoliciesAt(gh: GitHubSession, owner: string, repo: string, commit: string, key: string): Promise<PolicyRead> {
    const files = await readPolicyFiles(gh, {
      owner,
      repo,
      commit,
      dir: this.policyDir,
      isPolicyFile: (path, dir) => this.policy.isPolicyFile(path, dir),
      blobs: this.blobs,
      blobsInFlight: this.blobsInFlight,
    });
    if (files === null) return "absent";
    if (files.length === 0) return "empty";
    // Frozen, not copied per caller: the engine caches compiled policies by object identity,
    // so handing out one shared, immutable set keeps those caches warm across evaluations.
    const snapshot = deepFreeze({
      set: this.policy.loadPolicySet(files.map(({ path, text }) => ({ path, text }))),
      blobs: Object.fromEntries(files.map((file) => [file.path, file.sha])),
    });
    this.policySets.set(key, snapshot);
    return snapshot;
  }

  /** Active members of the named teams (GitHub includes child teams' members); a missing team is empty, with a warning. */
  private async teamMembership(
    gh: GitHubSession,
    owner: string,
    refs: TeamRef[],
  ): Promise<{ members: Record<string, string[]>; warnings: string[] }> {
    const found = await Promise.all(
      refs.map(async (ref) => {
        const cacheKey = `${owner.toLowerCase()}|${ref.org.toLowerCase()}/${ref.slug.toLowerCase()}`;
        let membership = this.teams.get(cacheKey);
        if (membership === undefined) {
          membership = await readTeam(gh, ref);
          this.teams.set(cacheKey, membership);
        }
        return { ref, membership };
      }),
    );
    const members: Record<string, string[]> = {};
    const warnings: string[] = [];
    for (const { ref, membership } of found) {
      members[ref.key] = [...membership.members];
      if (membership.warning !== undefined && !warnings.includes(membership.warning)) warnings.push(membership.warning);
    }
    return { members, warnings };
  }

  /** Repository permission of everyone whose review can take a stance (approve or request changes). */
  private async reviewerPermissions(
    gh: GitHubSession,
    owner: string,
    repo: string,
    reviews: Review[],
  ): Promise<Record<string, Permission>> {
    const reviewers = new Map<string, string>();
    for (const review of reviews) {
      if (review.state === "APPROVED" || review.state === "CHANGES_REQUESTED") {
        const folded = review.user.toLowerCase();
        if (!reviewers.has(folded)) reviewers.set(folded, review.user);
      }
    }
    const found = await Promise.all(
      [...reviewers.values()].map(async (login) => {
        const cacheKey = `${owner}/${repo}|${login}`.toLowerCase();
        let permission = this.permissions.get(cacheKey);
        if (permission === undefined) {
          permission = await readPermission(gh, owner, repo, login);
          this.permissions.set(cacheKey, permission);
        }
        return [login, permission] as const;
      }),
    );
    const permissions: Record<string, Permission> = {};
    for (const [login, permission] of found) if (permission !== null) permissions[login] = permission;
    return permissions;
  }
}

/** Gathers facts once, with caches that live for this call only (the CLI's `explain`). */
export function gatherFacts(
  octokit: GitHubClient,
  request: GatherRequest,
  options: FactsGathererOptions = {},
): Promise<GatherResult> {
  return new FactsGatherer(options).gather(octokit, request);
}

async function readPull(gh: GitHubSession, owner: string, repo: string, pull_number: number): Promise<PullRequestLike> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}",
    { owner, repo, pull_number },
    `reading #${pull_number}`,
  );
  return response.data as PullRequestLike;
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

async function readTeam(gh: GitHubSession, ref: TeamRef): Promise<TeamMembership> {
  const name = `${ref.org}/${ref.slug}`;
  try {
    // Slugs are lower case; GitHub includes the members of child teams in this list.
    const listed = await gh.list<ApiUser>(
      "GET /orgs/{org}/teams/{team_slug}/members",
      { org: ref.org, team_slug: ref.slug.toLowerCase(), role: "all" },
      `listing members of team ${name}`,
      { maxPages: 100 },
    );
    if (!listed.complete) throw new GitHubError(`team ${name} has more members than can be listed`);
    return { members: listed.items.map((user) => user.login) };
  } catch (error) {
    // A misspelt or deleted team must not block every environment: nobody is its member.
    if (error instanceof GitHubError && error.status === 404) {
      return { members: [], warning: `team ${name} was not found (or the app cannot see it): nobody counts as its member` };
    }
    throw error;
  }
}

async function readPermission(gh: GitHubSession, owner: string, repo: string, login: string): Promise<Permission | null> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
    { owner, repo, username: login },
    `reading the repository permission of ${login}`,
    { accept: [404] },
  );
  if (response.status === 404) return null;
  const data = response.data as { permission?: string; role_name?: string };
  // role_name tells maintain and triage apart; custom roles fall back to their base permission.
  for (const name of [data.role_name, data.permission]) {
    if (name !== undefined && (PERMISSIONS as readonly string[]).includes(name)) return name as Permission;
  }
  return null;
}

/** Freezes a plain data structure all the way down, so a shared cached value cannot be changed by a caller. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}
