// The policies of a repository at a branch's tip or at a commit, read from GitHub and cached for
// the process: the one policy cache, which the evaluation, compliance/policy, the audit of merges
// and pushes, and the export all read through. Keys name the repository, so one installation
// never sees another's answers (blob texts are keyed by their sha: the same text for anyone).
import { POLICY_DIR } from "../policy/folder.js";
import { isPolicyFile, loadPolicySet } from "../policy/load.js";
import type { PolicySet } from "../policy/types.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { readBranchTip } from "./history.js";
import { LruCache } from "./lru-cache.js";
import { confirmNoPolicyFolder, readPolicyFiles, singleFlight, type PolicyFile } from "./policy-files.js";

/** The policy module's parsing and file selection: github/ holds no policy logic of its own. */
export interface PolicyReader {
  loadPolicySet(files: { path: string; text: string }[]): PolicySet;
  isPolicyFile(path: string, dir?: string): boolean;
}

const POLICY_MODULE: PolicyReader = { loadPolicySet, isPolicyFile };

/** The policies found at a commit. */
export interface PoliciesFound {
  kind: "policies";
  /** The cached set itself, deeply frozen: it cannot be changed through it. */
  policies: PolicySet;
  /** The commit they were read at. */
  commit: string;
  /** Blob sha of each policy file, by path: the policy version an audit record cites. */
  blobs: Record<string, string>;
}

/** The commit has no policy folder, or no policy file in it: the app leaves such changes alone. */
export interface NoPolicies {
  kind: "none";
  commit: string;
}

export type PolicyLookup = PoliciesFound | NoPolicies;

/** A negative answer is the one that makes the app go silent: it is trusted only briefly. */
const NO_POLICIES_TTL_MS = 60_000;

/**
 * Bounds of the caches, by weight as well as by count, since one policy set may hold 2 MiB of text
 * (policy/load.ts) where most hold a few KiB. Parsed, a set takes up to about 1.5 times its text
 * (measured on sets of eight 256 KiB files: at most ~3 MiB of heap; its compiled globs live in the
 * engine's own bounded cache, not in the set). Parsed sets: 1,000 at most, holding 8 MiB of policy
 * text together (~12 MiB of heap). Texts of base-branch policy files: 200 at most, 8 MiB together.
 * Texts of policy files read at PR heads (anyone who can open a PR writes those, and they never
 * enter the set cache): 200 at most, 4 MiB together.
 */
const POLICY_CACHE_BOUNDS = {
  sets: 1000,
  setBytes: 8 * 1024 * 1024,
  blobs: 200,
  blobBytes: 8 * 1024 * 1024,
  headBlobs: 200,
  headBlobBytes: 4 * 1024 * 1024,
} as const;

export interface PolicyCacheOptions {
  /** Default: the policy module (`src/policy/load.ts`); tests may inject a stand-in. */
  policy?: PolicyReader;
  /** Epoch milliseconds, for the TTL of "no policies". Default `Date.now`. */
  clock?: () => number;
}

interface CachedSet {
  set: PolicySet;
  blobs: Record<string, string>;
  bytes: number;
}

/** What one read of a commit's policy folder found: policies, no folder (`absent`), or no policy file in it. */
type PolicyRead = CachedSet | "absent" | "empty";

/** How long a session (one job's ports) takes a branch tip it read as still the tip: an evaluation's span, bounded. */
export const SESSION_TIP_MS = 10_000;
/** Branches one session remembers tips of (an enforcement run walks a repository's protected branches). */
export const MAX_SESSION_TIPS = 100;

/** The caches of policies that outlive one evaluation: the app keeps one per process. */
export class PolicyCache {
  readonly policy: PolicyReader;
  readonly clock: () => number;
  /** ETag and sha of each branch's tip, by `owner/repo#branch`. */
  readonly tips: LruCache<string, { etag: string; sha: string }>;
  /** Parsed policies by `owner/repo@commit`. A commit never changes. */
  readonly sets: LruCache<string, CachedSet>;
  /** Commits found without policies, by `owner/repo@commit`, for a short TTL only. */
  readonly none: LruCache<string, true>;
  /** Branches this process has seen policies on, by `owner/repo#branch`: their policies vanishing is double-checked. */
  readonly governed: LruCache<string, true>;
  /** Base-branch policy file texts by blob sha. */
  readonly blobs: LruCache<string, string>;
  /** Policy file texts read at PR heads, by blob sha: kept apart from the base branches'. */
  readonly headBlobs: LruCache<string, string>;
  /** PR heads known to hold no policy file, by `owner/repo@sha`. */
  readonly headsWithout = new LruCache<string, true>({ maxEntries: 10_000 });
  /**
   * Reads in flight, shared by concurrent evaluations (single-flight) and forgotten as soon as
   * they settle: a failure reaches only those already waiting. Tips by `owner/repo#branch`,
   * policy folders by `owner/repo@commit`, blobs by `owner/repo@sha`.
   */
  readonly tipsInFlight = new Map<string, Promise<string>>();
  readonly foldersInFlight = new Map<string, Promise<PolicyRead>>();
  readonly blobsInFlight = new Map<string, Promise<string>>();

  constructor(options: PolicyCacheOptions = {}) {
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    const bounds = POLICY_CACHE_BOUNDS;
    this.policy = options.policy ?? POLICY_MODULE;
    this.tips = new LruCache({ maxEntries: 1000, clock });
    this.sets = new LruCache<string, CachedSet>({ maxEntries: bounds.sets, maxWeight: bounds.setBytes, weigh: (cached) => cached.bytes, clock });
    this.none = new LruCache({ maxEntries: 1000, ttlMs: NO_POLICIES_TTL_MS, clock });
    this.governed = new LruCache({ maxEntries: 10_000, clock });
    this.blobs = new LruCache<string, string>({ maxEntries: bounds.blobs, maxWeight: bounds.blobBytes, weigh: (text) => text.length, clock });
    this.headBlobs = new LruCache<string, string>({ maxEntries: bounds.headBlobs, maxWeight: bounds.headBlobBytes, weigh: (text) => text.length, clock });
  }
}

/** One repository's policies through one session (an evaluation's, an audit's): the PolicySource port over GitHub. */
export class GitHubPolicySource {
  private readonly repository: string;
  /** The tips this session read, by branch, and when it asked (at most MAX_SESSION_TIPS). */
  private readonly tipsSeen = new Map<string, { sha: string; at: number }>();

  constructor(
    private readonly cache: PolicyCache,
    private readonly gh: GitHubSession,
    private readonly owner: string,
    private readonly repo: string,
  ) {
    this.repository = `${owner}/${repo}`.toLowerCase();
  }

  /**
   * The policies at the tip of `branch`: the app's first look at an event, so a repository without
   * policies costs one conditional request (a free 304 when warm) and nothing more.
   */
  async atBranchTip(branch: string): Promise<PolicyLookup> {
    return this.atCommit(await this.tipOf(branch), branch);
  }

  /**
   * The policies at `commit` (of `branch`, when the caller knows: a merge is judged by its base
   * just before it, a direct push by those at its `before`). "None" is the answer that silences
   * the app, so it is remembered for a minute only, and when this process has seen policies on the
   * branch before, a second look at the commit's git tree must confirm the folder is really gone
   * (a removal), else the read fails (closed).
   */
  async atCommit(commit: string, branch?: string): Promise<PolicyLookup> {
    const key = `${this.repository}@${commit}`;
    const branchKey = branch === undefined ? undefined : `${this.repository}#${branch}`;
    const found = (read: CachedSet): PoliciesFound => {
      if (branchKey !== undefined) this.cache.governed.set(branchKey, true);
      return { kind: "policies", policies: read.set, commit, blobs: read.blobs };
    };
    const cached = this.cache.sets.get(key);
    if (cached !== undefined) return found(cached);
    if (this.cache.none.get(key)) return { kind: "none", commit };
    const read = await singleFlight(this.cache.foldersInFlight, key, () => this.readFolder(commit, key));
    if (typeof read !== "string") return found(read);
    // An empty listing is GitHub enumerating the folder; a 404 is an absence, worth a second look.
    if (branchKey !== undefined && read === "absent" && this.cache.governed.get(branchKey)) {
      await confirmNoPolicyFolder(this.gh, { owner: this.owner, repo: this.repo, commit, dir: POLICY_DIR });
    }
    if (branchKey !== undefined) this.cache.governed.delete(branchKey);
    this.cache.none.set(key, true);
    return { kind: "none", commit };
  }

  /**
   * The policy files at a pull request's head, for compliance/policy (SPEC §3.2): read, never
   * parsed into the shared set cache — anyone who can open a PR writes them. Empty when the head
   * has none; "none at this commit" is remembered, since a commit never changes.
   */
  async headFiles(commit: string): Promise<PolicyFile[]> {
    const key = `${this.repository}@${commit}`;
    if (this.cache.headsWithout.get(key)) return [];
    const files = await readPolicyFiles(this.gh, {
      owner: this.owner,
      repo: this.repo,
      commit,
      dir: POLICY_DIR,
      isPolicyFile: (path, dir) => this.cache.policy.isPolicyFile(path, dir),
      blobs: this.cache.headBlobs,
    });
    if (files === null || files.length === 0) {
      this.cache.headsWithout.set(key, true);
      return [];
    }
    return files;
  }

  /**
   * The sha at the tip of a branch, asked conditionally: an unchanged branch costs a free 304 —
   * free of GitHub's primary limit, but perhaps not of its secondary points. A tip this session
   * read in the last SESSION_TIP_MS is not asked again: an evaluation reads its base branch's
   * policies first to know which checks to expect, then again with the facts — one view of the
   * base per evaluation (a push moving it meanwhile re-evaluates the PR after this run: policy-push).
   */
  async tipOf(branch: string): Promise<string> {
    const seen = this.tipsSeen.get(branch);
    if (seen !== undefined && this.cache.clock() - seen.at <= SESSION_TIP_MS) return seen.sha;
    const key = `${this.repository}#${branch}`;
    const at = this.cache.clock();
    const sha = await singleFlight(this.cache.tipsInFlight, key, () => this.readTip(branch, key));
    if (this.tipsSeen.size >= MAX_SESSION_TIPS) this.tipsSeen.clear();
    this.tipsSeen.set(branch, { sha, at });
    return sha;
  }

  private async readTip(branch: string, key: string): Promise<string> {
    const known = this.cache.tips.get(key);
    const tip = await readBranchTip(this.gh, this.owner, this.repo, branch, { doing: `reading the tip of base branch ${branch}`, ...(known ? { known } : {}) });
    if (tip === "unchanged" && known) return known.sha;
    if (tip === null || tip === "unchanged") throw new GitHubError(`GitHub returned no commit for base branch ${branch}`);
    if (tip.etag !== undefined) this.cache.tips.set(key, { etag: tip.etag, sha: tip.sha });
    else this.cache.tips.delete(key);
    return tip.sha;
  }

  private async readFolder(commit: string, key: string): Promise<PolicyRead> {
    const files = await readPolicyFiles(this.gh, {
      owner: this.owner,
      repo: this.repo,
      commit,
      dir: POLICY_DIR,
      isPolicyFile: (path, dir) => this.cache.policy.isPolicyFile(path, dir),
      blobs: this.cache.blobs,
      blobsInFlight: this.cache.blobsInFlight,
    });
    if (files === null) return "absent";
    if (files.length === 0) return "empty";
    // Frozen, not copied per caller: the engine caches compiled policies by object identity,
    // so handing out one shared, immutable set keeps those caches warm across evaluations.
    const cached: CachedSet = {
      set: deepFreeze(this.cache.policy.loadPolicySet(files.map(({ path, text }) => ({ path, text })))),
      blobs: deepFreeze(Object.fromEntries(files.map((file) => [file.path, file.sha]))),
      bytes: files.reduce((sum, file) => sum + file.text.length, 0),
    };
    this.cache.sets.set(key, cached);
    return cached;
  }
}

/** Freezes a plain data structure all the way down, so a shared cached value cannot be changed by a caller. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}
