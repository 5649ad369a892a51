// Walks an environment's approval chain (SPEC §8): the first-parent history of a gated branch from a
// commit back to the last approved verdict of the environment, the start of its governance, the
// first commit, or MAX_CHAIN_COMMITS — reading each commit's records through the port, and letting
// audit/chain.ts judge them. Shared by the deployment gate, the applied-revision check and `audit trace`.
import { assessStep, endsChain, judgeChain, MAX_CHAIN_COMMITS, type Chain, type ChainLink, type ChainStep, type ChainSubject, type Touched } from "../audit/chain.js";
import { environmentsFor } from "../engine/environments.js";
import { pushRecordCovers } from "../audit/population.js";
import { touchedEnvironments } from "../engine/touched.js";
import { mapConcurrently } from "./concurrency.js";
import type { PolicySet } from "../policy/types.js";
import type { ChainReads } from "./chain-reads.js";
import type { HistoryCommit } from "./ports.js";

/** Commits whose records are read at once. */
const BATCH = 8;

export interface ChainRequest {
  /** `owner/name`, as records name it. */
  repository: string;
  /** The commit the chain ends at: deployed, applied, or traced. */
  sha: string;
  /** The gated branch it is on. */
  branch: string;
  defaultBranch: string;
  subject: ChainSubject;
  /** Default MAX_CHAIN_COMMITS. */
  maxCommits?: number;
}

/** A walked commit with what was read of it, before the records of newer commits are searched. */
interface Read {
  commit: HistoryCommit;
  /** The pull request whose merge commit this is, or null. */
  pull: { number: number; title: string } | null;
  /** Merged pull requests the commit is one of the commits of (not their merge commit). */
  commitOf: { number: number; merge_commit_sha: string }[];
  records: Record<string, unknown>[];
  verdicts: Record<string, unknown>[];
  /** Push records on this commit, whatever they cover: a push's head holds the record of its older commits. */
  pushRecords: Record<string, unknown>[];
}

/**
 * A commit's records: for the merge commit of a pull request, its merge records that name this
 * very commit as their merge commit (a record of the pull request names no other of its commits) —
 * the copies in the commit's compliance/audit check runs, which only the app can write, when there
 * are some, else those of its audit comment, which any writer can edit; for any other commit, the
 * push records covering it. A copy also finds the merge where GitHub names no pull request of the
 * commit (a branch other than the default).
 */
async function read(reads: ChainReads, request: ChainRequest, commit: HistoryCommit): Promise<Read> {
  const [onCommit, pulls] = await Promise.all([reads.checkRecords(commit.sha), reads.pullsOf(commit.sha)]);
  const pushRecords = onCommit.filter((r) => r.kind === "push");
  const verdicts = onCommit.filter((r) => r.kind === "deployment" || r.kind === "applied" || r.kind === "rebaseline");
  const copies = onCommit.filter((r) => r.kind === "merge" && r.merge_commit_sha === commit.sha && typeof r.pull_request === "number");
  const own = pulls.find((p) => p.merge_commit_sha === commit.sha);
  const commitOf = pulls.flatMap((p) => (p.merge_commit_sha !== null && p.merge_commit_sha !== commit.sha ? [{ number: p.number, merge_commit_sha: p.merge_commit_sha }] : []));
  let records: Record<string, unknown>[];
  let pull: { number: number; title: string } | null = null;
  if (copies.length > 0) {
    const first = copies[0] as Record<string, unknown>;
    pull = own !== undefined ? { number: own.number, title: own.title } : { number: first.pull_request as number, title: typeof first.title === "string" ? first.title : "" };
    records = copies;
  } else if (own !== undefined) {
    pull = { number: own.number, title: own.title };
    records = (await reads.mergeRecords(own.number)).filter((r) => r.kind === "merge" && r.pull_request === own.number && r.merge_commit_sha === commit.sha);
  } else {
    records = pushRecords.filter((r) => pushRecordCovers(r, request.repository, commit.sha));
  }
  return { commit, pull, commitOf, records, verdicts, pushRecords };
}

/**
 * Whether the environment was governed by a policy set: a valid policy names it (names compare
 * case-insensitively), or a file is invalid — whose environment may be this one under a name that
 * could not be read: the walk then goes on rather than ending at an origin it cannot be sure of.
 */
function governs(policies: PolicySet, environment: string): boolean {
  const name = environment.toLowerCase();
  return policies.invalid.length > 0 || policies.policies.some((p) => p.environment.toLowerCase() === name);
}

/**
 * Whether a change without a record touched the environment, judged by the policies at its parent
 * (as its record would have been). Policies of the environment there that do not apply to the
 * branch walked judged nothing of it: `not_applied`, which the chain counts as missing — never as
 * untouched, or a branch created off a gated one would carry any change past the walk.
 */
async function touched(reads: ChainReads, request: ChainRequest, commit: HistoryCommit): Promise<Touched> {
  const parent = commit.parents[0];
  if (parent === undefined) return "ungoverned";
  const policies = await reads.policiesAt(parent, request.branch);
  const environment = request.subject.environment;
  if (policies === null || !governs(policies, environment)) return "ungoverned";
  const applies = policies.invalid.length > 0 || environmentsFor(policies, request.branch, request.defaultBranch).policies.some((p) => p.environment === environment);
  if (!applies) return "not_applied";
  const { files, truncated } = await reads.commitFiles(commit.sha);
  return touchedEnvironments(policies, { base: request.branch, default_branch: request.defaultBranch, files, files_truncated: truncated }).includes(environment);
}

/** Whether a change record lists the environment among those it judged. */
function listsEnvironment(record: Record<string, unknown>, environment: string): boolean {
  return Array.isArray(record.environments) && record.environments.some((e) => (e as { environment?: unknown } | null)?.environment === environment);
}

/** What the walk read of a commit, for `audit trace`: the change's records and the verdicts on it. */
export interface ReadRecords {
  records: Record<string, unknown>[];
  verdicts: Record<string, unknown>[];
}

/**
 * The approval chain of `request.subject`'s environment up to `request.sha`; `collect`, when given,
 * receives what was read of each commit. Throws GitHubError when GitHub cannot be read.
 */
export async function walkChain(reads: ChainReads, request: ChainRequest, collect?: Map<string, ReadRecords>): Promise<Chain> {
  const max = request.maxCommits ?? MAX_CHAIN_COMMITS;
  const { commits, exhausted } = await reads.firstParents(request.sha, max);
  const { subject } = request;
  const assessed: ChainLink[] = [];
  const newerPushRecords: Record<string, unknown>[] = [];
  /** Merge commits met so far: a commit of one of their pull requests further back was replayed by it. */
  const newerMerges = new Set<string>();
  for (let at = 0; at < commits.length; at += BATCH) {
    const batch = await mapConcurrently(commits.slice(at, at + BATCH), BATCH, (commit) => read(reads, request, commit));
    // What each commit is, in order (a push record or a merge further up covers older commits)…
    const steps: { step: ChainStep; commit: HistoryCommit; askTouched: boolean }[] = [];
    for (const found of batch) {
      let records = found.records;
      if (found.pull === null && records.length === 0) records = newerPushRecords.filter((r) => pushRecordCovers(r, request.repository, found.commit.sha));
      newerPushRecords.push(...found.pushRecords);
      if (found.pull !== null) newerMerges.add(found.commit.sha);
      const step: ChainStep = { sha: found.commit.sha, pull: found.pull, records, verdicts: found.verdicts };
      const replayed = found.commitOf.find((p) => newerMerges.has(p.merge_commit_sha));
      const first = at === 0 && steps.length === 0;
      const commitOf = replayed ?? (first ? found.commitOf[0] : undefined);
      if (found.pull === null && records.length === 0 && commitOf !== undefined) step.commitOf = { ...commitOf, walked: replayed !== undefined };
      collect?.set(found.commit.sha, { records, verdicts: found.verdicts });
      const listed = records.some((r) => listsEnvironment(r, subject.environment));
      const approvedHere = found.verdicts.some((v) => v.environment === subject.environment && v.compliant === true);
      steps.push({ step, commit: found.commit, askTouched: !listed && step.commitOf === undefined && !approvedHere });
      // The walk stops at an approved verdict (the deployed commit's own aside): nothing older is asked about.
      if (!first && approvedHere && assessStep(step, subject).status === "baseline") break;
    }
    // …then whether the changes without a record touched the environment, read all at once.
    await mapConcurrently(
      steps.filter((s) => s.askTouched),
      BATCH,
      async (s) => void (s.step.touched = await touched(reads, request, s.commit)),
    );
    for (const { step } of steps) {
      const first = assessed.length === 0;
      // The deployed commit's own earlier approval ends the walk, but must not hide that its change broke glass.
      const link = assessStep(step, subject);
      if (first && link.status === "baseline") {
        const own = assessStep({ ...step, verdicts: [] }, subject);
        if (own.status === "break_glass") assessed.push(own);
      }
      assessed.push(link);
      if (endsChain(link.status)) return judgeChain(assessed, false, subject.environment);
    }
  }
  const complete = assessed.length === commits.length;
  return judgeChain(assessed, exhausted && complete, subject.environment, !exhausted && commits.length < max);
}
