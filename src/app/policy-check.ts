// The `compliance/policy` check (SPEC §3.2): when a PR changes anything under policies/, the head
// version of every policy file must be valid, so a broken policy can never merge.
import type { ChangedFile } from "../engine/types.js";
import { renderFailure, renderPoliciesRemoved, renderPolicyCheck } from "../github/check-output.js";
import { POLICY_CHECK, type PlannedCheck } from "../github/checks.js";
import { GatherFailed, type GitHubSession } from "../github/client.js";
import type { LruCache } from "../github/lru-cache.js";
import { readPolicyFiles } from "../github/policy-files.js";
import { isPolicyFile, loadPolicySet } from "../policy/load.js";
import { formatPolicyWarning, policyWarnings } from "../policy/warnings.js";

/** The policy folder at the repository root (SPEC §1). */
export const POLICY_DIR = "policies";

/** Whether a change touches the policy folder: a file in it, or one moved out of it. */
export function touchesPolicies(files: readonly ChangedFile[], dir = POLICY_DIR): boolean {
  const inside = (path: string | undefined): boolean => path !== undefined && path.startsWith(`${dir}/`);
  return files.some((file) => inside(file.path) || inside(file.previous_path));
}

export interface PolicyCheckRequest {
  owner: string;
  repo: string;
  /** The PR's head commit, whose policy files are validated. */
  head: string;
  files: readonly ChangedFile[];
  /** When not every changed file is known, the policies are validated as if touched. */
  filesTruncated: boolean;
  /** Policy file texts by blob sha (content-addressed: never stale). */
  blobs: LruCache<string, string>;
  /** The policy files of the base branch (the PR is only evaluated when there are some). */
  basePolicyFiles: readonly string[];
}

/**
 * `compliance/policy` for a PR. It is posted on every PR of a repository with policies, so it can
 * be a required check: success "no policy changes" when policies/ is untouched, otherwise the
 * validation of the head's policy files. A file that cannot be read fails it (fail closed).
 */
export async function policyCheck(gh: GitHubSession, request: PolicyCheckRequest): Promise<PlannedCheck> {
  if (!request.filesTruncated && !touchesPolicies(request.files)) {
    return {
      name: POLICY_CHECK,
      verdict: "success",
      output: {
        title: "No policy changes",
        summary:
          `This pull request changes nothing under \`${POLICY_DIR}/\`. ` +
          "It is judged by the policies of its base branch; this check validates policy files only when a pull request changes them.",
      },
    };
  }
  try {
    const files =
      (await readPolicyFiles(gh, {
        owner: request.owner,
        repo: request.repo,
        commit: request.head,
        dir: POLICY_DIR,
        isPolicyFile,
        blobs: request.blobs,
      })) ?? [];
    // Every policy gone is not "nothing to validate": the app would go silent on this branch
    // once it merged, so such a PR fails here like a broken policy would.
    if (files.length === 0 && request.basePolicyFiles.length > 0) {
      return { name: POLICY_CHECK, verdict: "failure", output: renderPoliciesRemoved(POLICY_DIR, request.basePolicyFiles) };
    }
    const set = loadPolicySet(files);
    const errors = set.invalid.flatMap((invalid) => invalid.errors);
    const warnings = files.length > 0 ? policyWarnings(set, POLICY_DIR).map(formatPolicyWarning) : [];
    return {
      name: POLICY_CHECK,
      verdict: errors.length === 0 ? "success" : "failure",
      output: renderPolicyCheck(errors, files.map((file) => file.path), warnings),
    };
  } catch (error) {
    if (!(error instanceof GatherFailed)) throw error;
    return {
      name: POLICY_CHECK,
      verdict: "failure",
      output: renderFailure(`cannot validate the policy files at the head ${request.head.slice(0, 7)}: ${error.message}`),
    };
  }
}
