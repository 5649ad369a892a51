// The check plan (SPEC §3): from verdicts to the check runs to post — one per name, the strictest
// of those that share it (two checks of one name, PRs that share a head commit, the parts of a
// merge group), what supersedes a check a PR no longer gets, and what fails closed. Pure.
import { sortByCodePoint } from "../policy/code-point-order.js";
import { POLICY_CHECK, type PlannedCheck, type Verdict } from "../render/check-run.js";
import { groupOutput, onePartOutput, type PartCheck } from "../render/merge-group.js";
import { renderFailure } from "../render/failure.js";
import { renderNotEvaluated } from "../render/not-evaluated.js";
import { sameNameOutput, sharedHeadOutput } from "../render/shared-check.js";

/** How strict a verdict is: failure blocks, in_progress waits, success passes. */
const STRICTNESS: Record<Verdict, number> = { success: 0, in_progress: 1, failure: 2 };

/** Whether `a` is stricter than `b`. */
export function stricter(a: Verdict, b: Verdict): boolean {
  return STRICTNESS[a] > STRICTNESS[b];
}

/**
 * One check per name, the strictest of those planned under it; equally strict ones are shown
 * together. Two checks of one name would both be posted, and GitHub would show the later one,
 * whatever it says: a success posted after a failure of the same name would be failing open.
 */
export function oneCheckPerName(planned: readonly PlannedCheck[]): PlannedCheck[] {
  const byName = new Map<string, PlannedCheck>();
  for (const check of planned) {
    const held = byName.get(check.name);
    if (held === undefined || stricter(check.verdict, held.verdict)) byName.set(check.name, check);
    else if (!stricter(held.verdict, check.verdict)) {
      byName.set(check.name, { ...held, output: sameNameOutput(held.output, check.output) });
    }
  }
  return [...byName.values()];
}

/** What one PR's last evaluation planned on its head commit. */
export interface HeadPlan {
  number: number;
  /** Undefined when the evaluation failed before the PR could be read. */
  base: string | undefined;
  checks: PlannedCheck[];
}

/** A pull request's own check, as a candidate for the one shown on a commit it shares. */
export interface SharedCandidate {
  plan: Pick<HeadPlan, "number" | "base">;
  check: PlannedCheck;
}

/**
 * The strictest verdict for check `name` among `candidates` (each PR's own check of that name),
 * with a note saying whose it is when more than one PR has one; undefined when none has.
 */
function strictestOf(name: string, candidates: readonly SharedCandidate[]): PlannedCheck | undefined {
  const holding = candidates.filter((candidate) => candidate.check.name === name);
  let winner = holding[0];
  for (const candidate of holding.slice(1)) if (winner && stricter(candidate.check.verdict, winner.check.verdict)) winner = candidate;
  if (!winner) return undefined;
  if (holding.length === 1) return winner.check;
  return {
    ...winner.check,
    output: sharedHeadOutput(name, holding.map((c) => c.plan), winner.plan.number, winner.check.output),
    externalId: `pull:${winner.plan.number}`,
  };
}

/** One part of a merge group and the checks it gets on its own: a PR's, or commits that belong to none. */
export interface GroupPart {
  /** `#12`, or `abc1234 (no pull request)` for commits that belong to no pull request. */
  label: string;
  checks: PlannedCheck[];
}

/** A merge queue must never wait on an approval: whatever does not pass fails the group. */
function groupVerdict(verdict: Verdict): Verdict {
  return verdict === "success" ? "success" : "failure";
}

/** A merge group's checks (SPEC §3.1): one per name, the strictest of the parts', each part that does not pass named in its title and summary. */
export function combineGroupChecks(parts: readonly GroupPart[]): PlannedCheck[] {
  const names = sortByCodePoint([...new Set(parts.flatMap((part) => part.checks.map((check) => check.name)))]);
  return names.map((name) => {
    const held: PartCheck[] = [];
    let verdict: Verdict = "success";
    for (const part of parts) {
      for (const check of part.checks.filter((c) => c.name === name)) {
        if (stricter(groupVerdict(check.verdict), verdict)) verdict = groupVerdict(check.verdict);
        held.push({ label: part.label, passes: check.verdict === "success", output: check.output });
      }
    }
    const kind = name === POLICY_CHECK ? "policy" : "environment";
    const only = held.length === 1 ? held[0] : undefined;
    // A group of one PR shows that PR's own check.
    if (only !== undefined && parts.length === 1) return { name, verdict, output: onePartOutput(kind, only) };
    return { name, verdict, output: groupOutput(name, kind, parts.length, held) };
  });
}

/**
 * The PR's own checks, each made the strictest of its verdict and those of the other open PRs
 * known to share its head commit (GitHub shows one check per commit and name, so the later
 * evaluation would otherwise decide for both).
 */
export function withSharedHead(own: HeadPlan, siblings: readonly HeadPlan[]): PlannedCheck[] {
  if (siblings.length === 0) return own.checks;
  const candidates = [own, ...siblings].flatMap((plan) => plan.checks.map((check) => ({ plan, check })));
  return own.checks.map((check) => strictestOf(check.name, candidates) ?? check);
}

/**
 * What replaces a check of a name the PR no longer gets (its base branch changed, or has no
 * policies any more): the check as another open PR with the same head sees it, when one gets it;
 * otherwise completed/failure, "Not evaluated: …". Not success: a success from the old base would
 * satisfy a protection of the new base that requires the check although nothing judged the PR for
 * it, which is failing open. Not in_progress: that reads as "waiting for approvals" that will never
 * come. A failure that says why cannot pass by mistake, and blocks only where the new base's
 * protection requires the check — where blocking is right.
 */
export function supersedingChecks(
  stale: readonly string[],
  siblings: readonly HeadPlan[],
  why: { base: string; oldBase: string | undefined; noPolicies: boolean },
): PlannedCheck[] {
  const candidates = siblings.flatMap((plan) => plan.checks.map((check) => ({ plan, check })));
  return sortByCodePoint([...new Set(stale)]).map(
    (name) =>
      strictestOf(name, candidates) ?? {
        name,
        verdict: "failure" as const,
        output: renderNotEvaluated(name, { base: why.base, oldBase: why.oldBase, noPolicies: why.noPolicies }),
      },
  );
}

/**
 * Fail closed: a failing check on every name the PR is expected to carry — the environments of
 * the base branch's policies when they could be read, the names last reported for the PR, else
 * those already on the commit — and always compliance/policy, which is posted on every PR and so
 * is known even when nothing else is. Sorted by name.
 */
export function failingChecks(names: Iterable<string>, message: string): PlannedCheck[] {
  const output = renderFailure(message);
  return sortByCodePoint([...new Set([...names, POLICY_CHECK])]).map((name) => ({ name, verdict: "failure" as const, output }));
}
