// What the deployment gate and the applied-revision check share (SPEC §8): the policies that judge a
// commit (those at the tip of the default branch), the gated branch it is on, its chain, and
// writing a sealed verdict record where the export finds it (a compliance/audit check run).
import { createPublicKey, type KeyObject } from "node:crypto";
import type { Chain } from "../audit/chain.js";
import { sealRecord } from "../audit/seal.js";
import type { UnsealedVerdict, VerdictRecord } from "../audit/verdict-record.js";
import { environmentsFor } from "../engine/environments.js";
import { GitHubError } from "../github/client.js";
import type { Policy } from "../policy/types.js";
import { verdictCheckHeadline, verdictCheckText } from "../render/deployment-verdict.js";
import { walkChain, type ReadRecords } from "./approval-chain.js";
import type { ChainReads } from "./chain-reads.js";
import type { DeploymentPorts, Later } from "./ports.js";

/** What the deployment gate, the applied-revision check and re-baselines are built with. */
export interface VerdictDependencies {
  /** Seals the records; without it they are digested only. */
  signingKey?: KeyObject;
  clock: () => number;
  later: Later;
}

/** Branches tried at most when looking for the gated branch a commit is on (each costs a read or three). */
const MAX_BRANCH_CANDIDATES = 10;

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** The public half of the app's signing key: records' signatures are checked with it. */
export function publicKeyOf(signingKey: KeyObject | undefined): KeyObject | undefined {
  return signingKey === undefined ? undefined : createPublicKey(signingKey);
}

/** Whether a ref names a branch rather than a commit or a tag: the branch it names, or null. */
export function branchOfRef(ref: string | null): string | null {
  if (ref === null || ref === "" || /^[0-9a-f]{40}$/.test(ref) || ref.startsWith("refs/tags/")) return null;
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}

/** Whether a policy's scope.branches hold a glob: then the branches it deploys from are found by listing the repository's. */
function hasBranchGlobs(policy: Policy): boolean {
  return (policy.scope.branches ?? []).some((b) => GLOB_CHARS.test(b));
}

/**
 * The branches a policy deploys from that a commit may be on, in the order they are tried: the
 * hint (when the policy applies to it), its literal scope branches (else the default branch), then
 * `listed` branches its globs match — those whose tip is `sha` first. At most MAX_BRANCH_CANDIDATES;
 * `more` when branches were left out.
 */
export function candidateBranches(policy: Policy, hint: string, defaultBranch: string, listed: readonly { name: string; tip: string }[] = [], sha?: string): { branches: string[]; more: boolean } {
  const applies = (branch: string): boolean => environmentsFor({ policies: [policy], invalid: [] }, branch, defaultBranch).policies.length > 0;
  const literal = policy.scope.branches === undefined ? [defaultBranch] : policy.scope.branches.filter((b) => !GLOB_CHARS.test(b));
  const globbed = [...listed].sort((a, b) => Number(b.tip === sha) - Number(a.tip === sha)).map((b) => b.name);
  const all = [...new Set([hint, ...literal, ...globbed].filter(applies))];
  return { branches: all.slice(0, MAX_BRANCH_CANDIDATES), more: all.length > MAX_BRANCH_CANDIDATES };
}

/** The gated branch a commit is on, the branches looked at, and its chain (empty when on none). */
export interface Located {
  branch: string | null;
  branches: string[];
  chain: Chain;
}

const NO_CHAIN: Chain = { links: [], end: "bound", baseline: null, complete: false, problems: [] };

/** Finds the gated branch `sha` is on and walks the environment's chain there. Throws GitHubError. */
export async function locateAndWalk(
  reads: ChainReads,
  request: { repository: string; sha: string; policy: Policy; hint: string; defaultBranch: string; publicKey?: KeyObject },
  collect?: Map<string, ReadRecords>,
): Promise<Located> {
  let listed: { name: string; tip: string }[] = [];
  let incomplete = false;
  if (hasBranchGlobs(request.policy)) {
    const all = await reads.github.ports.repository.branches(request.repository);
    listed = all.items;
    incomplete = !all.complete;
  }
  const { branches, more } = candidateBranches(request.policy, request.hint, request.defaultBranch, listed, request.sha);
  let branch: string | null = null;
  const unknown: string[] = [];
  for (const candidate of branches) {
    const on = await reads.github.deployments.isOnBranch(request.sha, candidate);
    if (on === "unknown") unknown.push(candidate);
    if (on === true) {
      branch = candidate;
      break;
    }
  }
  if (branch === null) {
    const problem =
      unknown.length > 0
        ? `${request.sha.slice(0, 7)} is too far behind the tip of ${unknown.join(", ")} to tell whether it is on its first-parent line`
        : more || incomplete
          ? `${request.sha.slice(0, 7)} is on none of the first ${branches.length} branches ${request.policy.environment} deploys from, and there are more than can be tried`
          : null;
    return { branch, branches, chain: problem === null ? NO_CHAIN : { ...NO_CHAIN, problems: [problem] } };
  }
  const chain = await walkChain(reads, {
    repository: request.repository,
    sha: request.sha,
    branch,
    defaultBranch: request.defaultBranch,
    subject: { environment: request.policy.environment, branch, ...(request.publicKey ? { publicKey: request.publicKey } : {}) },
  }, collect);
  return { branch, branches, chain };
}

/** Seals a verdict record; a key that cannot sign is a bug of the configuration, checked at start. */
export function sealVerdict<T extends UnsealedVerdict>(record: T, signingKey: KeyObject | undefined): T & VerdictRecord {
  const sealed = sealRecord(record, signingKey);
  if (!sealed.ok) throw new Error(`cannot seal the ${record.kind} record: ${sealed.message}`);
  return sealed.record as T & VerdictRecord;
}

/** Writes a verdict record in a compliance/audit check run on its commit: GitHubError when it cannot fit or be written. */
export async function writeVerdict(github: DeploymentPorts, record: VerdictRecord, externalId: string, notes: readonly string[] = []): Promise<void> {
  const text = verdictCheckText(record, notes);
  if (text === null) throw new GitHubError(`the ${record.kind} record of ${record.sha.slice(0, 7)} is larger than a check run can hold`);
  await github.ports.audit.postRecord({ sha: record.sha, externalId, compliant: record.compliant, ...verdictCheckHeadline(record), text });
}

/** Opens the exception issue about `key` unless this app already did; its number. Only the app opens them (GitHubError otherwise). */
export async function openException(github: DeploymentPorts, key: string, title: string, body: string): Promise<number> {
  const login = await github.login();
  if (login === undefined) throw new GitHubError("an exception issue can only be opened by the app");
  const opened = await github.ports.audit.openExceptionIssue({ key, login, title, body });
  return opened.issue.number;
}
