// The team and permission directory: who is in a team the policies name (GitHub includes child
// teams' members), and each reviewer's permission on the repository — cached for the membership
// TTL, keyed so that one installation never sees another's answers.
import type { TeamRef } from "../engine/facts-needed.js";
import type { Review } from "../engine/types.js";
import { PERMISSIONS, type Permission } from "../policy/types.js";
import { GitHubError, type GitHubSession } from "./client.js";
import { LruCache } from "./lru-cache.js";

interface TeamMembership {
  members: string[];
  warning?: string;
}

export interface DirectoryCacheOptions {
  /** How long team memberships and reviewer permissions are trusted. Default 5 minutes. */
  membershipTtlMs?: number;
  /** Epoch milliseconds, for the TTL. Default `Date.now`. */
  clock?: () => number;
}

/** Reviewers with a stance whose permission is read at most; past it the PR fails closed. */
export const MAX_PERMISSION_READERS = 200;
/** Permission reads in flight at once, for one pull request. */
const PERMISSION_READS_AT_ONCE = 8;

/** Teams and permissions, for the TTL: the app keeps one per process. */
export class DirectoryCache {
  /** By `installation-owner|org/slug`: an owner never sees another installation's answer. */
  readonly teams: LruCache<string, TeamMembership>;
  /** By `owner/repo|login`; null means no permission. */
  readonly permissions: LruCache<string, Permission | null>;

  constructor(options: DirectoryCacheOptions = {}) {
    const ttlMs = options.membershipTtlMs ?? 5 * 60 * 1000;
    const clock = options.clock ?? Date.now;
    this.teams = new LruCache({ maxEntries: 1000, ttlMs, clock });
    this.permissions = new LruCache({ maxEntries: 1000, ttlMs, clock });
  }
}

/** The directory of one repository's owner through one session. */
export class GitHubDirectory {
  constructor(
    private readonly cache: DirectoryCache,
    private readonly gh: GitHubSession,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  /** Active members of the named teams; a missing team is empty, with a warning (once per message). */
  async teams(refs: readonly TeamRef[]): Promise<{ members: Record<string, string[]>; warnings: string[] }> {
    const found = await Promise.all(
      refs.map(async (ref) => {
        const cacheKey = `${this.owner.toLowerCase()}|${ref.org.toLowerCase()}/${ref.slug.toLowerCase()}`;
        let membership = this.cache.teams.get(cacheKey);
        if (membership === undefined) {
          membership = await readTeam(this.gh, ref);
          this.cache.teams.set(cacheKey, membership);
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

  /**
   * Repository permission of everyone whose review can take a stance (approve or request changes):
   * one request per reviewer not cached, PERMISSION_READS_AT_ONCE at a time. Anyone can review a
   * public repository's pull request, so more than MAX_PERMISSION_READERS reviewers with a stance
   * is refused (GitHubError: the PR fails closed) rather than read one by one without bound.
   */
  async permissions(reviews: readonly Review[]): Promise<Record<string, Permission>> {
    const reviewers = new Map<string, string>();
    for (const review of reviews) {
      if (review.state === "APPROVED" || review.state === "CHANGES_REQUESTED") {
        const folded = review.user.toLowerCase();
        if (!reviewers.has(folded)) reviewers.set(folded, review.user);
      }
    }
    if (reviewers.size > MAX_PERMISSION_READERS) {
      throw new GitHubError(
        `${reviewers.size} reviewers approved or requested changes, more than the ${MAX_PERMISSION_READERS} whose repository permission this app reads: their permissions are unknown`,
      );
    }
    const logins = [...reviewers.values()];
    const found: (readonly [string, Permission | null])[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < logins.length) {
        const login = logins[next++] as string;
        const cacheKey = `${this.owner}/${this.repo}|${login}`.toLowerCase();
        let permission = this.cache.permissions.get(cacheKey);
        if (permission === undefined) {
          permission = await readPermission(this.gh, this.owner, this.repo, login);
          this.cache.permissions.set(cacheKey, permission);
        }
        found.push([login, permission]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PERMISSION_READS_AT_ONCE, logins.length) }, worker));
    const permissions: Record<string, Permission> = {};
    for (const [login, permission] of found) if (permission !== null) permissions[login] = permission;
    return permissions;
  }
}

async function readTeam(gh: GitHubSession, ref: TeamRef): Promise<TeamMembership> {
  const name = `${ref.org}/${ref.slug}`;
  try {
    // Slugs are lower case; GitHub includes the members of child teams in this list.
    const listed = await gh.list<{ login: string }>(
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
