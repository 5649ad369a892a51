// Classic branch protection's required checks (SPEC §5): read (GET …/protection, or the branch's
// summary when the app may not read protection), and written by merging into the list as it is
// when writing (GET, PATCH and GET again of …/required_status_checks).
import type { ClassicProtection, RequiredCheck } from "../engine/enforcement.js";
import type { GitHubSession } from "./client.js";

interface ApiStatusChecks {
  strict?: unknown;
  enforcement_level?: unknown;
  checks?: unknown;
  contexts?: unknown;
}

/** A classic list of required checks; `app_id` null (or absent, in older answers) is any source. */
function checksOf(value: ApiStatusChecks): RequiredCheck[] {
  if (Array.isArray(value.checks)) {
    return (value.checks as { context?: unknown; app_id?: unknown }[]).flatMap((c) =>
      typeof c.context === "string" ? [{ context: c.context, appId: typeof c.app_id === "number" && c.app_id > 0 ? c.app_id : null }] : [],
    );
  }
  return Array.isArray(value.contexts) ? value.contexts.filter((c): c is string => typeof c === "string").map((context) => ({ context, appId: null })) : [];
}

/**
 * A branch's classic protection, with whether it binds administrators (`enforce_admins`). 404 is "not protected" (or no such branch). Without the
 * administration permission GitHub answers 403: the branch's own summary (metadata) still says
 * whether it is protected and which checks it requires.
 */
export async function readClassicProtection(gh: GitHubSession, owner: string, repo: string, branch: string): Promise<ClassicProtection> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/branches/{branch}/protection",
    { owner, repo, branch },
    `reading the branch protection of ${branch}`,
    { accept: [403, 404] },
  );
  if (response.status === 404) return { kind: "unprotected" };
  if (response.status !== 403) {
    const data = response.data as { required_status_checks?: ApiStatusChecks | null; enforce_admins?: { enabled?: unknown } | null };
    const status = data.required_status_checks;
    const enforceAdmins = typeof data.enforce_admins?.enabled === "boolean" ? data.enforce_admins.enabled : null;
    return status ? { kind: "protected", checks: checksOf(status), strict: status.strict === true, enforceAdmins } : { kind: "protected", checks: null, strict: false, enforceAdmins };
  }
  const summary = await gh.request("GET /repos/{owner}/{repo}/branches/{branch}", { owner, repo, branch }, `reading branch ${branch}`, { accept: [404] });
  if (summary.status === 404) return { kind: "unprotected" };
  const data = summary.data as { protected?: unknown; protection?: { enabled?: unknown; required_status_checks?: ApiStatusChecks | null } };
  if (data.protected !== true || data.protection?.enabled === false) return { kind: "unprotected" };
  const status = data.protection?.required_status_checks;
  if (!status || status.enforcement_level === "off") return { kind: "protected", checks: null, strict: false, enforceAdmins: null };
  // The summary says whether the checks bind administrators in its enforcement level: "everyone", or "non_admins".
  const enforceAdmins = status.enforcement_level === "everyone" ? true : status.enforcement_level === "non_admins" ? false : null;
  return { kind: "protected", checks: checksOf(status), strict: status.strict === true, enforceAdmins };
}

/** Rounds of read, write, read back at most when someone else writes the list at the same time. */
const MAX_ROUNDS = 3;

/** The branch's required checks as GitHub has them now; none when status checks are off (404). */
async function readClassicChecks(gh: GitHubSession, owner: string, repo: string, branch: string): Promise<{ checks: RequiredCheck[]; strict: boolean | null }> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
    { owner, repo, branch },
    `reading the required checks of ${branch}`,
    { accept: [404] },
  );
  if (response.status === 404) return { checks: [], strict: null };
  const data = response.data as ApiStatusChecks;
  return { checks: checksOf(data), strict: typeof data.strict === "boolean" ? data.strict : null };
}

const sameCheck = (a: RequiredCheck, b: RequiredCheck): boolean => a.context === b.context && a.appId === b.appId;

/**
 * Requires `contexts` pinned to `appId` in the branch's classic protection, everyone else's checks
 * kept as GitHub has them when writing. The list can only be written whole (the endpoint that adds
 * contexts sets no app), so it is read just before writing — not at the plan's find, a while
 * earlier — and read back after: when someone else's write in between dropped a check of the list
 * written, the merge is done again (at most MAX_ROUNDS times). What is left is the moment between a
 * read and its write; a check added then is lost to it, as to any tool that writes the list.
 */
export async function requireClassicChecks(gh: GitHubSession, owner: string, repo: string, branch: string, contexts: readonly string[], appId: number, strict: boolean): Promise<void> {
  for (let round = 1; round <= MAX_ROUNDS; round += 1) {
    const fresh = await readClassicChecks(gh, owner, repo, branch);
    const written = [...fresh.checks.filter((c) => !contexts.includes(c.context)), ...contexts.map((context) => ({ context, appId }))];
    await gh.request(
      "PATCH /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
      { owner, repo, branch, strict: fresh.strict ?? strict, checks: written.map((c) => ({ context: c.context, app_id: c.appId ?? -1 })) },
      `requiring checks on ${branch}`,
    );
    const after = await readClassicChecks(gh, owner, repo, branch);
    if (written.every((c) => after.checks.some((a) => sameCheck(a, c)))) return;
  }
}
