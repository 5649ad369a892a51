// The `compliance/policy` check (SPEC §3.2): when a PR changes anything under policies/, the head
// version of every policy file must be valid, so a broken policy can never merge.
import type { ChangedFile } from "../engine/types.js";
import { POLICY_CHECK, type PlannedCheck } from "../render/check-run.js";
import { GitHubError } from "../github/client.js";
import { LruCache } from "../github/lru-cache.js";
import type { PolicyFile } from "../github/policy-files.js";
import { POLICY_DIR } from "../policy/folder.js";
import { loadPolicySet } from "../policy/load.js";
import { policyWarnings } from "../engine/warnings.js";
import { formatPolicyWarning } from "../policy/errors.js";
import { renderFailure } from "../render/failure.js";
import { renderNoPolicyChanges, renderPoliciesRemoved, renderPolicyCheck } from "../render/policy-check.js";
import type { PolicySource } from "./ports.js";

/** Whether a change touches the policy folder: a file in it, or one moved out of it. */
function touchesPolicies(files: readonly ChangedFile[], dir = POLICY_DIR): boolean {
  const inside = (path: string | undefined): boolean => path !== undefined && path.startsWith(`${dir}/`);
  return files.some((file) => inside(file.path) || inside(file.previous_path));
}

export interface PolicyCheckRequest {
  /** The PR's head commit, whose policy files are validated. */
  head: string;
  files: readonly ChangedFile[];
  /** When not every changed file is known, the policies are validated as if touched. */
  filesTruncated: boolean;
  /** The policy files of the base branch (the PR is only evaluated when there are some). */
  basePolicyFiles: readonly string[];
}

/**
 * `compliance/policy` for a PR. It is posted on every PR of a repository with policies, so it can
 * be a required check: success "no policy changes" when policies/ is untouched, otherwise the
 * validation of the head's policy files. A file that cannot be read fails it (fail closed).
 */
export async function policyCheck(policies: ValidatingPolicySource, request: PolicyCheckRequest): Promise<PlannedCheck> {
  if (!request.filesTruncated && !touchesPolicies(request.files)) {
    return { name: POLICY_CHECK, verdict: "success", output: renderNoPolicyChanges(POLICY_DIR) };
  }
  return validateHeadPolicies(policies, request);
}

/**
 * The validation of the policy files at `head`: success when every one is valid, failure with the
 * errors (file:line:col) otherwise, or when none is left where the base branch had some. A file
 * that cannot be read fails it (fail closed).
 */
async function validateHeadPolicies(policies: ValidatingPolicySource, request: Pick<PolicyCheckRequest, "head" | "basePolicyFiles">): Promise<PlannedCheck> {
  try {
    return validated(policies, await policies.headFiles(request.head), request.basePolicyFiles);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    return {
      name: POLICY_CHECK,
      verdict: "failure",
      output: renderFailure(`cannot validate the policy files at the head ${request.head.slice(0, 7)}: ${error.message}`),
    };
  }
}

/**
 * Validations already done, by the files' paths and blob shas (content-addressed: the same files
 * always validate alike, whichever repository holds them). A hostile head's folder can cost a
 * few hundred milliseconds to load and warn about (README, Security): it is paid once per head,
 * not on every label, review or re-run of the pull request. One per process, among the caches
 * GitHubPorts holds; 200 results of at most 64 KiB each.
 */
export class PolicyValidations {
  private readonly done = new LruCache<string, PlannedCheck>({ maxEntries: 200 });
  /** How many validations ran rather than being answered from memory: what the memory saves. */
  ran = 0;

  /** compliance/policy for `files`, from memory when they were validated before. */
  of(files: readonly PolicyFile[], basePolicyFiles: readonly string[]): PlannedCheck {
    const key = JSON.stringify([files.map((file) => [file.path, file.sha]), basePolicyFiles]);
    const known = this.done.get(key);
    if (known !== undefined) return structuredClone(known);
    const check = validate(files, basePolicyFiles);
    this.ran += 1;
    this.done.set(key, structuredClone(check));
    return check;
  }
}

/**
 * The policy source, with the process's validations when it carries them (GitHubPorts' ports do);
 * without, every validation runs.
 */
export type ValidatingPolicySource = PolicySource & { readonly validations?: PolicyValidations };

/** compliance/policy for the policy files read at a head. */
function validated(policies: ValidatingPolicySource, files: readonly PolicyFile[], basePolicyFiles: readonly string[]): PlannedCheck {
  return policies.validations?.of(files, basePolicyFiles) ?? validate(files, basePolicyFiles);
}

function validate(files: readonly PolicyFile[], basePolicyFiles: readonly string[]): PlannedCheck {
  // Every policy gone is not "nothing to validate": the app would go silent on this branch
  // once it merged, so such a PR fails here like a broken policy would.
  if (files.length === 0 && basePolicyFiles.length > 0) {
    return { name: POLICY_CHECK, verdict: "failure", output: renderPoliciesRemoved(POLICY_DIR, basePolicyFiles) };
  }
  const set = loadPolicySet(files.map(({ path, text }) => ({ path, text })));
  const errors = set.invalid.flatMap((invalid) => invalid.errors);
  const warnings = files.length > 0 ? policyWarnings(set, POLICY_DIR).map(formatPolicyWarning) : [];
  return {
    name: POLICY_CHECK,
    verdict: errors.length === 0 ? "success" : "failure",
    output: renderPolicyCheck(errors, files.map((file) => file.path), warnings),
  };
}

/**
 * A PR into a base branch without policies is left alone — unless its head has policy files: then
 * it adds the first ones (SPEC §3.2), and gets compliance/policy, the validation of what it adds,
 * and nothing else (no environment judges a branch before its policies merge).
 *
 * The head's policy folder is one request (a 404 when it has none), and a commit's folder never
 * changes: the policy source remembers "none at this commit", so a repository that neither has nor
 * adds policies pays that request once per head commit. A head that has policies/ only because the
 * base branch deleted them after the PR branched is validated too: a check more, never one less.
 * Null when the head has no policy file; throws GitHubError when the folder cannot be read.
 */
export async function firstPoliciesCheck(policies: ValidatingPolicySource, head: string): Promise<PlannedCheck | null> {
  const files = await policies.headFiles(head);
  return files.length === 0 ? null : validated(policies, files, []);
}
