// Classic branch protection's required checks (SPEC §5): read (GET …/protection, or the branch's
// summary when the app may not read protection), and written by merging (PATCH …/required_status_checks).
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

/** Replaces the branch's required checks with `checks` (the plan keeps everyone else's); a check from any app is sent as app_id -1. */
export async function writeClassicChecks(gh: GitHubSession, owner: string, repo: string, branch: string, checks: RequiredCheck[], strict: boolean): Promise<void> {
  await gh.request(
    "PATCH /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
    { owner, repo, branch, strict, checks: checks.map((c) => ({ context: c.context, app_id: c.appId ?? -1 })) },
    `requiring checks on ${branch}`,
  );
}
