// The gate made binding (SPEC §5): find what GitHub requires, compare it with what the policies
// want, apply the difference — and when someone removed or weakened the requirement, restore it
// and record the gap (a sealed record in a compliance/audit check run and in one exception
// issue). One use case for the app's events, its sweep and `compliance-gate enforce`, over the
// enforcement ports of ports.ts.
import type { KeyObject } from "node:crypto";
import { sealGap, type GapRecord } from "../audit/enforcement-gap.js";
import { gapOf, type EnforcementGap, type EnforcementTrigger } from "../engine/enforcement-drift.js";
import { compareEnforcement, isOwnRuleset, type EnforcementChange, type EnforcementPlan, type FoundEnforcement } from "../engine/enforcement.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import { checksWantedOn, MAX_LITERAL_BRANCHES, wantedChecks, type WantedTarget } from "../engine/required-checks.js";
import { GitHubError } from "../github/client.js";
import { changeLine, type PlanView } from "../render/enforcement-plan.js";
import { enforcementCheckTitle, enforcementIssueBody, enforcementIssueTitle, removedIssue, undoneIssue, type LandedOn } from "../render/enforcement-issue.js";
import { MAX_CHECK_TEXT } from "../render/limits.js";
import { refusedForGood } from "./audit-exceptions.js";
import { EnforcementMemory, MAX_RESTORES_PER_HOUR, type NotRequired, type PendingGap } from "./enforce-memory.js";
import type { EnforcementPorts } from "./ports.js";

export { EnforcementMemory, type EnforcementState } from "./enforce-memory.js";

/** Literal branches whose commits inside a gap are listed in its issue (one read each). */
const MAX_LANDED_BRANCHES = 5;

/** What one enforcement did. */
export interface EnforceOutcome {
  /**
   * `planned`: changes not applied (a plan). `cannot`: GitHub refused a write for good, or the
   * policies name too many branches: nothing more is tried. `held_back`: drift undone too often
   * within the hour: the app stopped restoring it for now.
   */
  kind: "no_policies" | "in_sync" | "planned" | "applied" | "cannot" | "held_back";
  view: PlanView;
  /** The gap recorded, if any. */
  gap: GapRecord | null;
  /** The exception issue of the gap (or of protection removed, or of drift held back). */
  issue: { number: number; url: string | null } | null;
  /** Why nothing (more) was written: `cannot` and `held_back`. */
  reason?: string;
  /** What went wrong without failing the run: an issue GitHub refused (issues turned off), a copy not written. */
  problems: string[];
}

export interface EnforceRequest {
  trigger: EnforcementTrigger;
  /** False: find and compare only (the CLI's plan). */
  apply: boolean;
  appId: number;
  /** Whether drift is recorded (check run and exception issue): the app; a person applying a plan (the CLI) sees it in the plan instead. Default true. */
  report?: boolean;
}

/** A plan's targets for the literal branches, each narrowed to what its own policies post (another branch's policies cannot post checks on it). */
async function narrowToOwnPolicies(ports: EnforcementPorts, targets: WantedTarget[], defaultBranch: string): Promise<WantedTarget[]> {
  const out: WantedTarget[] = [];
  for (const target of targets) {
    if (!target.literal || target.glob === defaultBranch) {
      out.push(target);
      continue;
    }
    const own = await ports.policies.policiesOn(target.glob);
    // A branch not created yet is guarded as the default branch's policies say, for when it is.
    if (own.kind === "no_branch") out.push(target);
    else if (own.kind === "policies") out.push({ ...target, checks: checksWantedOn(own.policies, target.glob, defaultBranch) });
  }
  return out;
}

/** Why GitHub refused, as compliance/policy says it: null is the missing administration permission (its own hint). */
function refusalReason(error: GitHubError): string | null {
  return error.status === 403 && /not accessible by integration/i.test(error.message) ? null : `GitHub refused to require it (${error.message})`;
}

/**
 * The branches (refs) this app's rulesets target now and will not once the plan is applied: what
 * "protection removed" reports. A ref that moves from one of the app's rulesets to another is not.
 */
function removals(plan: EnforcementPlan, found: FoundEnforcement): string[] {
  const own = found.rulesets.filter((r) => isOwnRuleset(r, plan.appId));
  const before = new Set(own.flatMap((r) => r.include));
  const rewritten = new Set(plan.changes.flatMap((c) => (c.kind === "update_ruleset" || c.kind === "delete_ruleset" ? [c.id] : [])));
  const after = new Set([
    ...own.filter((r) => !rewritten.has(r.id)).flatMap((r) => r.include),
    ...plan.changes.flatMap((c) => (c.kind === "create_ruleset" || c.kind === "update_ruleset" ? c.spec.include : [])),
  ]);
  return sortByCodePoint([...before].filter((ref) => !after.has(ref)).map((ref) => ref.replace(/^refs\/heads\//, "")));
}

/** The key of an event's own evidence (the ruleset it shows): a redelivery shows the same. */
function evidenceKey(trigger: EnforcementTrigger): string | null {
  if (trigger.kind !== "rules_changed" || trigger.ruleset === undefined) return null;
  const { state, deleted } = trigger.ruleset;
  return `evidence:${trigger.event}:${state.id}:${deleted ? "deleted" : (state.updatedAt ?? trigger.at)}`;
}

/** The trigger without the ruleset it shows when that evidence was recorded already. */
function withoutSeenEvidence(trigger: EnforcementTrigger, recorded: readonly string[]): EnforcementTrigger {
  const key = evidenceKey(trigger);
  if (key === null || !recorded.includes(key) || trigger.kind !== "rules_changed") return trigger;
  const { ruleset: _seen, ...rest } = trigger;
  return rest;
}

/** Finds, compares and (when asked) applies for one repository; remembers what it learnt. */
export class Enforcer {
  constructor(
    private readonly memory: EnforcementMemory,
    private readonly clock: () => number,
    /** Seals gap records (SPEC §4.2): without it they carry their digest only. */
    private readonly signingKey?: KeyObject,
  ) {}

  /**
   * One find → compare → apply. GitHub failures to read (and writes that may succeed on another
   * try) throw GitHubError — a gap found is kept and written by the next run; a write GitHub
   * refuses for good ends in `cannot`, with nothing more tried, the gap still recorded and the
   * real reason remembered for compliance/policy to say.
   */
  async enforce(ports: EnforcementPorts, request: EnforceRequest): Promise<EnforceOutcome> {
    const { owner, repo } = ports.repository;
    const repository = `${owner}/${repo}`;
    const report = request.report !== false;
    const defaultBranch = await ports.policies.defaultBranch();
    const read = await ports.policies.policiesOn(defaultBranch);
    const set = read.kind === "policies" ? read.policies : { policies: [], invalid: [] };
    const wanted = wantedChecks(set, defaultBranch);
    const literal = wanted.targets.filter((t) => t.literal).map((t) => t.glob);
    const state = this.memory.get(owner, repo);
    const base = { gap: null, issue: null, problems: [] as string[] };
    if (report) this.memory.update(owner, repo, { enforced: { defaultBranch, globs: [...new Set(wanted.targets.map((t) => t.glob))] } });
    if (literal.length > MAX_LITERAL_BRANCHES) {
      const reason = `the policies name ${literal.length} branches to enforce, more than ${MAX_LITERAL_BRANCHES}: use patterns such as release/*`;
      const plan: EnforcementPlan = { appId: request.appId, targets: [], changes: [], tampering: [], notes: [reason], otherApps: [] };
      const view: PlanView = { repository, defaultBranch, policyCommit: read.kind === "no_branch" ? "" : read.commit, plan, unenforceable: wanted.unenforceable, canWrite: true };
      if (report) this.memory.update(owner, repo, { notRequired: wanted.targets.map((t) => ({ branch: t.glob, missing: t.checks, reason })) });
      return { kind: "cannot", view, reason, ...base };
    }
    const targets = await narrowToOwnPolicies(ports, wanted.targets, defaultBranch);
    // Nothing is found for a repository without policies and without rulesets of this app: reads stay at one list.
    const found = await ports.rules.find(literal, request.appId);
    // No policies on the default branch (switched to one without, or removed): what is wanted is unknown, so nothing is removed.
    const mayRemove = wanted.invalid.length === 0 && read.kind === "policies";
    const plan = compareEnforcement(found, { targets, mayRemove, appId: request.appId });
    if (read.kind !== "policies" && found.rulesets.length > 0 && plan.notes.length > 0) plan.notes.push(`no policies on ${defaultBranch}: nothing the app required is removed`);
    const view: PlanView = { repository, defaultBranch, policyCommit: read.kind === "no_branch" ? "" : read.commit, plan, unenforceable: wanted.unenforceable, canWrite: true };
    const now = (): string => new Date(this.clock()).toISOString();
    const verified = state?.lastVerified ? { at: state.lastVerified, inForce: state.inForce ?? [] } : null;
    // The event's own evidence counts once: a redelivery (or a retry) of the same event shows the same change.
    const trigger = withoutSeenEvidence(request.trigger, state?.recorded ?? []);
    const inForceNow = plan.targets.map((t) => ({ branch: t.branch, checks: t.wanted }));

    if (!request.apply) return { kind: plan.changes.length > 0 ? "planned" : read.kind === "policies" ? "in_sync" : "no_policies", view, ...base };
    if (plan.changes.length === 0) {
      // In sync — yet the event itself may show a change another run already undid: still a gap.
      const recentFrom = this.memory.recentFrom(owner, repo, plan.targets.map((t) => t.branch), this.clock());
      const gap = report ? gapOf(plan, trigger, { verified, ...(recentFrom !== undefined ? { recentFrom } : {}) }) : null;
      this.memory.update(owner, repo, { lastVerified: now(), inForce: inForceNow, notRequired: [] });
      const recorded = gap !== null ? await this.record(ports, view, gap, { until: now(), restored: true, targets: plan.targets, evidence: evidenceKey(trigger) }) : base;
      await this.flush(ports, recorded.problems);
      return { kind: read.kind === "policies" ? "in_sync" : "no_policies", view, ...recorded };
    }

    const gap = report ? gapOf(plan, trigger, { verified }) : null;
    if (gap !== null) {
      const restores = this.memory.restoresWithin(owner, repo, this.clock());
      if (restores.length >= MAX_RESTORES_PER_HOUR) return this.holdBack(ports, view, gap, restores);
    }
    const applied = await this.applyAll(ports, plan, request.appId);
    view.applied = { done: applied.done, failed: applied.failed };
    if (applied.refused !== null) {
      view.canWrite = false;
      const reason = refusalReason(applied.refused);
      const notRequired: NotRequired[] = plan.targets.filter((t) => t.missing.length > 0).map(({ branch, missing }) => ({ branch, missing, reason }));
      if (gap !== null) for (const t of gap.branches) if (!notRequired.some((n) => n.branch === t)) notRequired.push({ branch: t, missing: plan.targets.find((p) => p.branch === t)?.wanted ?? [], reason });
      this.memory.update(owner, repo, { notRequired });
      // The tampering stays evidence though the app could not undo it.
      const refusedGap = gap !== null ? { ...gap, what: [...gap.what, `and compliance-gate could not restore it: ${applied.refused.message}`] } : null;
      const recorded = refusedGap !== null ? await this.record(ports, view, refusedGap, { until: now(), restored: false, targets: plan.targets, evidence: evidenceKey(trigger) }) : base;
      await this.flush(ports, recorded.problems);
      return { kind: "cannot", view, reason: applied.refused.message, ...recorded };
    }
    const restored = now();
    this.memory.update(owner, repo, { lastVerified: restored, inForce: inForceNow, notRequired: [] });
    if (!report) return { kind: "applied", view, ...base };
    const restoredBranches = plan.targets.filter((t) => t.missing.length > 0).map((t) => t.branch);
    if (gap === null && restoredBranches.length > 0 && verified === null) this.memory.restoredUnseen(owner, repo, restored, restoredBranches);
    const problems: string[] = [];
    let outcome: Pick<EnforceOutcome, "gap" | "issue"> = { gap: null, issue: null };
    if (gap !== null) {
      this.memory.restored(owner, repo, this.clock());
      const recorded = await this.record(ports, view, gap, { until: restored, restored: true, targets: plan.targets, evidence: evidenceKey(trigger) });
      problems.push(...recorded.problems);
      outcome = recorded;
    }
    const removed = removals(plan, found);
    if (removed.length > 0) {
      const issue = await this.reportRemoval(ports, view, removed, request.trigger, problems);
      if (outcome.issue === null) outcome = { ...outcome, issue };
    }
    await this.flush(ports, problems);
    return { kind: "applied", view, ...outcome, problems };
  }

  /**
   * Seals the gap and keeps it to be written (its check-run copy first: nobody can edit or delete
   * that one, and it needs no issues), then writes it. A GitHub failure that may pass throws with
   * the gap still pending: the retry, or any later run, writes it.
   */
  private async record(
    ports: EnforcementPorts,
    view: PlanView,
    found: EnforcementGap,
    end: { until: string; restored: boolean; targets: EnforcementPlan["targets"]; evidence: string | null },
  ): Promise<{ gap: GapRecord; issue: { number: number; url: string | null } | null; problems: string[] }> {
    const { owner, repo } = ports.repository;
    const gap = sealGap(
      { version: 1, repository: view.repository, branches: found.branches, from: found.from, until: end.until, restored: end.restored, found_at: found.foundAt, by: found.by, event: found.event, what: found.what },
      this.signingKey,
    );
    // One issue per gap and event (a redelivery writes nothing); one for a gap still unrestored, however often it is found again.
    const key = `${view.repository}@enforcement:${gap.from ?? "unknown"}:${gap.restored ? (gap.event ?? "found") : "unrestored"}`;
    const literal = end.targets.filter((t) => t.literal && gap.branches.includes(t.branch)).map((t) => t.branch);
    const state = this.memory.get(owner, repo);
    if ((state?.recorded ?? []).includes(key)) return { gap, issue: null, problems: [] };
    const landed = await this.landed(ports, gap, literal);
    const pending: PendingGap = {
      key,
      gap,
      branches: literal,
      title: enforcementIssueTitle(gap),
      body: enforcementIssueBody(key, gap, { landed }),
      text: enforcementIssueBody(key, gap, { landed, limit: MAX_CHECK_TEXT }),
      kept: false,
    };
    this.memory.update(owner, repo, { pending: [...(state?.pending ?? []).filter((p) => p.key !== key), pending] });
    this.memory.recorded(owner, repo, key, { from: gap.from, until: gap.until, branches: gap.branches });
    if (end.evidence !== null) this.memory.recorded(owner, repo, end.evidence, { from: gap.from, until: gap.until, branches: gap.branches });
    const problems: string[] = [];
    const issue = await this.write(ports, pending, problems);
    return { gap, issue, problems };
  }

  /** The commits that landed on the gap's literal branches inside it (when its start is known): for the issue; a failure to list leaves them out. */
  private async landed(ports: EnforcementPorts, gap: GapRecord, literal: string[]): Promise<LandedOn[]> {
    if (gap.from === null) return [];
    const out: LandedOn[] = [];
    for (const branch of literal.slice(0, MAX_LANDED_BRANCHES)) {
      try {
        out.push({ branch, ...(await ports.evidence.landed(branch, gap.from, gap.until)) });
      } catch (error) {
        if (!(error instanceof GitHubError)) throw error;
      }
    }
    return out;
  }

  /** Writes one pending gap: its check-run copy, then its issue; what GitHub refuses for good is a problem, anything else throws (kept pending). */
  private async write(ports: EnforcementPorts, pending: PendingGap, problems: string[]): Promise<{ number: number; url: string | null } | null> {
    const { owner, repo } = ports.repository;
    if (!pending.kept) {
      try {
        await ports.evidence.keep({ gap: pending.gap, branches: pending.branches, title: enforcementCheckTitle(pending.gap), text: pending.text });
      } catch (error) {
        if (!refusedForGood(error)) throw error;
        problems.push(`the compliance/audit copy of the gap's record could not be written: ${error.message}`);
      }
      pending.kept = true;
    }
    let issue: { number: number; url: string | null } | null = null;
    try {
      issue = await ports.issues.open({ key: pending.key, title: pending.title, body: pending.body, since: pending.gap.found_at });
    } catch (error) {
      if (!refusedForGood(error)) throw error;
      // Issues turned off (410), or the permission not granted: the check-run copy holds the record.
      problems.push(`the exception issue could not be opened (${error.message}): the gap's record is in the compliance/audit check run`);
    }
    this.memory.update(owner, repo, { pending: (this.memory.get(owner, repo)?.pending ?? []).filter((p) => p.key !== pending.key) });
    return issue;
  }

  /** Writes the gaps earlier runs could not (a failed issue, a failed copy): each run carries them until they are written. */
  private async flush(ports: EnforcementPorts, problems: string[]): Promise<void> {
    const { owner, repo } = ports.repository;
    for (const pending of [...(this.memory.get(owner, repo)?.pending ?? [])]) await this.write(ports, pending, problems);
  }

  /** Drift undone MAX_RESTORES_PER_HOUR times within the hour: no more writes for now, one issue saying so, compliance/policy says it. */
  private async holdBack(ports: EnforcementPorts, view: PlanView, gap: EnforcementGap, restores: number[]): Promise<EnforceOutcome> {
    const { owner, repo } = ports.repository;
    const first = Math.min(...restores);
    const until = new Date(first + 3_600_000).toISOString();
    const reason = `it keeps being undone: compliance-gate restored it ${restores.length} times within an hour and stopped until ${until}`;
    this.memory.update(owner, repo, { notRequired: view.plan.targets.filter((t) => t.missing.length > 0 || gap.branches.includes(t.branch)).map((t) => ({ branch: t.branch, missing: t.missing.length > 0 ? t.missing : t.wanted, reason })) });
    const key = `${view.repository}@enforcement-undone:${new Date(first).toISOString()}`;
    const { title, body } = undoneIssue(key, { branches: gap.branches, restores: restores.length, until, by: gap.by, what: gap.what });
    const problems: string[] = [];
    let issue: { number: number; url: string | null } | null = null;
    try {
      issue = await ports.issues.open({ key, title, body, since: new Date(first).toISOString() });
    } catch (error) {
      if (!refusedForGood(error)) throw error;
      problems.push(`the exception issue could not be opened: ${error.message}`);
    }
    return { kind: "held_back", view, gap: null, issue, reason, problems };
  }

  /** One issue when protection is taken off branches that were guarded: never silently. */
  private async reportRemoval(ports: EnforcementPorts, view: PlanView, branches: string[], trigger: EnforcementTrigger, problems: string[]): Promise<{ number: number; url: string | null } | null> {
    const key = `${view.repository}@enforcement-removed:${view.policyCommit || view.defaultBranch}:${branches.join(",")}`.slice(0, 500);
    const { title, body } = removedIssue(key, {
      branches,
      by: trigger.kind === "rules_changed" ? trigger.sender : null,
      event: trigger.kind === "rules_changed" ? trigger.event : null,
      policyCommit: view.policyCommit,
      defaultBranch: view.defaultBranch,
    });
    try {
      return await ports.issues.open({ key, title, body, since: trigger.at });
    } catch (error) {
      if (!refusedForGood(error)) throw error;
      problems.push(`the notice of protection removed could not be opened: ${error.message}`);
      return null;
    }
  }

  /** Applies the changes in order; stops at the first GitHub refuses for good (the rest would be refused too). */
  private async applyAll(ports: EnforcementPorts, plan: EnforcementPlan, appId: number): Promise<{ done: number; failed: { change: string; error: string }[]; refused: GitHubError | null }> {
    let done = 0;
    for (const change of plan.changes) {
      try {
        await ports.rules.apply(change, appId);
        done += 1;
      } catch (error) {
        if (!refusedForGood(error)) throw error;
        return { done, failed: [{ change: describe(change), error: error.message }], refused: error };
      }
    }
    return { done, failed: [], refused: null };
  }
}

const describe = (change: EnforcementChange): string => changeLine(change).slice(2);
