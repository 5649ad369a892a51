// What an installation of the app reaches: its repositories, as the installation lists them.
import type { GitHubSession } from "./client.js";

/** A repository an installation reaches. */
export interface InstalledRepository {
  owner: string;
  repo: string;
  defaultBranch?: string;
  archived: boolean;
}

interface ApiRepository {
  name?: unknown;
  owner?: { login?: unknown };
  default_branch?: unknown;
  archived?: unknown;
}

/** Pages of an installation's repositories (100 each) listed at most. */
const MAX_REPOSITORY_PAGES = 100;

/** The repositories the session's installation reaches (at most 10,000). */
export async function installationRepositories(gh: GitHubSession, doing: string): Promise<InstalledRepository[]> {
  const listed = await gh.list<ApiRepository>("GET /installation/repositories", {}, doing, {
    maxPages: MAX_REPOSITORY_PAGES,
    items: (data) => (data as { repositories?: ApiRepository[] } | undefined)?.repositories ?? [],
  });
  return listed.items.flatMap((r) =>
    typeof r.name === "string" && typeof r.owner?.login === "string"
      ? [{ owner: r.owner.login, repo: r.name, ...(typeof r.default_branch === "string" ? { defaultBranch: r.default_branch } : {}), archived: r.archived === true }]
      : [],
  );
}
