// The approval chain of an environment (SPEC §8): every change that reached the environment's paths
// up to a commit, each covered by a compliant audit record — and the verdicts built on it, of a
// deployment asking to go out now (§8.1) and of a revision an operator says it applied (§8.2). Pure.
import type { KeyObject } from "node:crypto";
import type { Chain, ChainEnd, ChainLink, LinkStatus } from "./chain-types.js";
import { verifyRecord } from "./seal.js";
import { shortSha } from "./short-sha.js";

export type { Chain, ChainEnd, ChainLink, LinkStatus };

/** How far back the chain is walked, in first-parent commits, when no earlier verdict ends it: past it, fail closed. */
export const MAX_CHAIN_COMMITS = 100;

/** What the walk found for one commit of the branch's first-parent history. */
export interface ChainStep {
  sha: string;
  /** The merged pull request the commit belongs to; null for a commit pushed directly. */
  pull: { number: number; title: string } | null;
  /** The app's records of the change: the pull request's merge records, or the push records covering the commit. */
  records: readonly Record<string, unknown>[];
  /** The app's deployment, applied and re-baseline records on the commit, of any environment. */
  verdicts: readonly Record<string, unknown>[];
  /**
   * Asked only when the change has no record: whether it touched the environment's paths by the
   * policies at its parent — true, false, `ungoverned` when no policy of the environment was
   * there yet, or `not_applied` when the environment's policy there did not apply to the branch
   * walked (so nothing judged the change for it). Undefined: not known.
   */
  touched?: Touched;
  /**
   * The merged pull request the commit is one of the commits of, when it is not that pull
   * request's merge commit and has no record of its own. `walked`: its merge commit is newer on
   * the branch (a rebase merge replayed this commit there), so its record covers this commit;
   * otherwise the commit is the one deployed — a state of the pull request nobody approved.
   */
  commitOf?: { number: number; merge_commit_sha: string; walked: boolean };
}

/** Whether a change without a record touched the environment, by the policies at its parent (see ChainStep.touched). */
export type Touched = boolean | "ungoverned" | "not_applied";

const BREAKS: ReadonlySet<LinkStatus> = new Set(["violation", "missing", "unverified"]);

/** Who is asked: the environment (policy name) on a branch, and the key to check seals. */
export interface ChainSubject {
  environment: string;
  /** The gated branch walked: only a verdict given for this branch ends the walk. */
  branch: string;
  /**
   * The app's public key. Digests are always checked; given a key, every record the chain relies on
   * must carry a signature that verifies with it. An unsigned record does not count then: anyone who
   * can edit the comment that holds it can write one, digest included.
   */
  publicKey?: KeyObject;
}

/** Whether a record is whole: its digest, and with a key its signature. */
function verifies(record: Record<string, unknown>, publicKey: KeyObject | undefined): { ok: boolean; problems: string[] } {
  return verifyRecord(record, publicKey);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The environment's entry in a merge or push record, if it lists the environment. */
function entryOf(record: Record<string, unknown>, environment: string): Record<string, unknown> | undefined {
  const envs = Array.isArray(record.environments) ? record.environments : [];
  return envs.filter(isObject).find((e) => e.environment === environment);
}

function changeName(step: ChainStep): string {
  return step.pull ? `${shortSha(step.sha)} contains #${step.pull.number}` : `${shortSha(step.sha)} was pushed directly`;
}

function link(step: ChainStep, status: LinkStatus, record: string | null, reason: string | null = null): ChainLink {
  return { sha: step.sha, status, pull_request: step.pull?.number ?? null, title: step.pull?.title ?? null, record, reason };
}

/**
 * An approved verdict of the environment on the commit, given for the branch walked: a deployment
 * approved, an applied revision found compliant, or a re-baseline its approvers accepted. A verdict
 * of another branch judged the commit's history by that branch's rules, so it ends no walk here.
 */
function baselineOf(step: ChainStep, subject: ChainSubject): Record<string, unknown> | undefined {
  return step.verdicts.find(
    (v) =>
      (v.kind === "deployment" || v.kind === "applied" || v.kind === "rebaseline") &&
      v.environment === subject.environment &&
      v.branch === subject.branch &&
      v.compliant === true &&
      v.sha === step.sha &&
      verifies(v, subject.publicKey).ok,
  );
}

/** Judges one commit of the walk for `subject`'s environment. */
export function assessStep(step: ChainStep, subject: ChainSubject): ChainLink {
  const { environment } = subject;
  const baseline = baselineOf(step, subject);
  if (baseline) return link(step, "baseline", String(baseline.digest));

  const verified = step.records.filter((r) => verifies(r, subject.publicKey).ok);
  if (step.records.length > 0 && verified.length === 0) {
    const problems = verifies(step.records[0] as Record<string, unknown>, subject.publicKey).problems.join(", ");
    return link(step, "unverified", null, `${changeName(step)}, whose audit record does not verify (${problems})`);
  }
  if (verified.length > 0) {
    // A change recorded twice (a race left two equivalent records) is judged by the strictest.
    const listing = verified.filter((r) => entryOf(r, environment) !== undefined);
    const failing = listing.find((r) => entryOf(r, environment)?.state !== "approved");
    if (failing) {
      const state = String(entryOf(failing, environment)?.state ?? "unknown");
      const why = state === "error" ? `while the policy of ${environment} could not be evaluated` : `without approval of ${environment} (${state})`;
      const what = step.pull ? `${changeName(step)}, merged ${why}` : `${changeName(step)} ${why}`;
      return link(step, "violation", String(failing.digest), what);
    }
    const approved = listing[0];
    if (approved) return link(step, entryOf(approved, environment)?.break_glass === true ? "break_glass" : "approved", String(approved.digest));
    // Records that do not list the environment: whether that is right is judged as for a change
    // without one — by whether the environment was governed at the parent, never by the name of a
    // policy file the record cites (a renamed file would hide every older violation).
    const first = verified[0] as Record<string, unknown>;
    return byTouched(step, subject, String(first.digest));
  }
  if (step.commitOf !== undefined) {
    const { number, merge_commit_sha: merge } = step.commitOf;
    if (step.commitOf.walked) return link(step, "untouched", null);
    return link(step, "missing", null, `${shortSha(step.sha)} is a commit of #${number}, merged as ${shortSha(merge)}: only the merge's result was approved, never this commit`);
  }
  return byTouched(step, subject, null);
}

/** A change no record approves for the environment: untouched, the origin, or missing — by the policies at its parent. */
function byTouched(step: ChainStep, subject: ChainSubject, record: string | null): ChainLink {
  const { environment } = subject;
  if (step.touched === false) return link(step, "untouched", record);
  if (step.touched === "ungoverned") return link(step, "origin", record);
  const what =
    record !== null
      ? `${changeName(step)}, whose audit record does not list ${environment}`
      : step.pull
        ? `${changeName(step)}, which has no audit record`
        : `${changeName(step)} and has no audit record`;
  const why =
    step.touched === undefined
      ? ` (cannot tell whether it changed ${environment})`
      : step.touched === "not_applied"
        ? ` (the policy of ${environment} at its parent does not apply to ${subject.branch}: nothing judged it there)`
        : record !== null
          ? `, though by the policies at its parent it changed ${environment}`
          : "";
  return link(step, "missing", record, `${what}${why}`);
}

/** Whether the walk stops at this link: an earlier verdict, or the start of the environment's governance. */
export function endsChain(status: LinkStatus): boolean {
  return status === "baseline" || status === "origin";
}

/**
 * The chain from the links of a walk (newest first, each from assessStep) and why the walk
 * stopped: `exhausted` when the history has no older commit; else the bound was reached, or —
 * `listingEnded` — GitHub's listing of the history ended first (a history rich in merges lists
 * many commits off the first-parent line).
 */
export function judgeChain(assessed: readonly ChainLink[], exhausted: boolean, environment: string, listingEnded = false): Chain {
  const last = assessed.at(-1);
  const end: ChainEnd = last && endsChain(last.status) ? (last.status as "baseline" | "origin") : exhausted ? "root" : "bound";
  const links = assessed.filter((l) => l.status !== "untouched");
  const problems = links.filter((l) => BREAKS.has(l.status)).map((l) => l.reason ?? `${shortSha(l.sha)} breaks the chain`);
  if (end === "bound") {
    const why = listingEnded
      ? `the history could be listed only ${assessed.length} commits back (GitHub's listing ends at 1,000 commits, merged ones included)`
      : `more than ${assessed.length} commits reach back`;
    problems.push(`${why} before any approved deployment of ${environment}: the chain cannot be verified`);
  }
  return { links, end, baseline: end === "baseline" ? (last?.sha ?? null) : null, complete: problems.length === 0, problems };
}

/** Whether the change behind the commit (the newest link, when it is the commit itself) broke glass for the environment. */
function brokeGlass(chain: Chain, sha: string): boolean {
  const newest = chain.links[0];
  return newest !== undefined && newest.sha === sha && newest.status === "break_glass";
}

/** What a deployment or an applied revision is judged on, besides its chain. */
export interface VerdictInput {
  environment: string;
  sha: string;
  /** The gated branch the commit was found on, or null; `branches` are those looked at. */
  branch: string | null;
  branches: readonly string[];
  chain: Chain;
}

/**
 * A deployment's answer: approved only on a gated branch, with a whole chain, and outside a freeze
 * unless it broke glass. A change that broke glass also goes out over older violations — changes
 * the app recorded as exceptions, each with its issue — never over a change without a record, a
 * record that does not verify, or a chain the walk could not finish.
 */
export interface DeploymentVerdict {
  state: "approved" | "rejected";
  /** The freeze window in force now, or null. */
  freeze: string | null;
  break_glass: boolean;
  /** Why it is rejected; empty when approved. */
  reasons: string[];
  /** The older violations break glass went out over: what would have rejected it otherwise. */
  excepted: string[];
}

function branchReason(input: VerdictInput): string[] {
  // A chain with problems and no branch says itself why the branch is unknown.
  if (input.branch !== null || input.chain.problems.length > 0) return [];
  const where = input.branches.length > 0 ? input.branches.join(", ") : "no branch";
  return [`${shortSha(input.sha)} is not on a branch ${input.environment} deploys from (${where})`];
}

/** Judges a deployment of `input.sha` now (SPEC §8.1); `freeze` is the window of the environment active now, or null. */
export function judgeDeployment(input: VerdictInput & { freeze: string | null }): DeploymentVerdict {
  const glass = brokeGlass(input.chain, input.sha);
  const violations = new Set(input.chain.links.filter((l) => l.status === "violation").map((l) => l.reason));
  const excepted = glass ? input.chain.problems.filter((p) => violations.has(p)) : [];
  const reasons = [...branchReason(input), ...input.chain.problems.filter((p) => !excepted.includes(p))];
  if (input.freeze !== null && !glass) reasons.push(`${input.environment} is frozen now (${input.freeze}), and ${shortSha(input.sha)} did not break glass`);
  return { state: reasons.length === 0 ? "approved" : "rejected", freeze: input.freeze, break_glass: glass, reasons, excepted };
}

/** Judges a revision an operator reports it applied (SPEC §8.2): compliant when on a gated branch with a whole chain. */
export function judgeApplied(input: VerdictInput): { compliant: boolean; reasons: string[] } {
  const reasons = [...branchReason(input), ...input.chain.problems];
  return { compliant: reasons.length === 0, reasons };
}
