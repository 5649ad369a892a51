// The gate made binding (SPEC §5): find what GitHub requires, compare it with what the policies
// want, apply the difference — and when someone removed or weakened the requirement, restore it
// and open one exception issue recording the gap. One use case for the app's events, its sweep and
// `compliance-gate enforce`, over the enforcement ports of ports.ts.
import type { GapRecord } from "../audit/enforcement-gap.js";
import { gapOf, type EnforcementGap, type EnforcementTrigger } from "../engine/enforcement-drift.js";
import { compareEnforcement, type EnforcementChange, type EnforcementPlan } from "../engine/enforcement.js";
import { checksWantedOn, wantedChecks, type WantedTarget } from "../engine/required-checks.js";
import { GitHubError } from "../github/client.js";
import { LruCache } from "../github/lru-cache.js";
import { changeLine, type PlanView } from "../render/enforcement-plan.js";
import { enforcementIssueBody, enforcementIssueTitle } from "../render/enforcement-issue.js";
import { refusedForGood } from "./audit-exceptions.js";
import type { EnforcementPorts } from "./ports.js";

/** Literal branches looked at per repository at most (two to four reads each): more fails the run, removing nothing. */
const MAX_LITERAL_BRANCHES = 100;

/** What one enforcement did. */
export type EnforceOutcome =
  | { kind: "no_policies"; view: PlanView }
  | { kind: "in_sync"; view: PlanView }
  /** Changes planned and not applied (a plan, or `apply: false`). */
  | { kind: "planned"; view: PlanView }
  | { kind: "applied"; view: PlanView; gap: GapRecord | null; issue: { number: number; url: string | null } | null }
  /** GitHub refused a write for good (no administration permission, a plan without rulesets): nothing more is tried. */
  | { kind: "cannot"; view: PlanView; reason: string };

export interface EnforceRequest {
  trigger: EnforcementTrigger;
  /** False: find and compare only (the CLI's plan). */
  apply: boolean;
  appId: number;
  /** Whether drift opens an exception issue (the app); a person applying a plan (the CLI) sees it in the plan instead. Default true. */
  report?: boolean;
}

/** What this process last learnt of each repository: when its requirement was last seen in force, and what it cannot require. */
export interface EnforcementState {
  /** ISO 8601. */
  lastVerified: string | null;
  /** Checks not required because the app may not write, by branch or pattern. */
  notRequired: { branch: string; missing: string[] }[];
}

/** Per-repository memory of enforcement, bounded: read by the sweep (last seen in force) and by compliance/policy (what cannot be required). */
export class EnforcementMemory {
  private readonly states = new LruCache<string, EnforcementState>({ maxEntries: 10_000 });

  get(owner: string, repo: string): EnforcementState | undefined {
    return this.states.get(`${owner}/${repo}`.toLowerCase());
  }

  set(owner: string, repo: string, state: EnforcementState): void {
    this.states.set(`${owner}/${repo}`.toLowerCase(), state);
  }
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

/** Finds, compares and (when asked) applies for one repository; remembers what it learnt. */
export class Enforcer {
  constructor(
    private readonly memory: EnforcementMemory,
    private readonly clock: () => number,
  ) {}

  /**
   * One find → compare → apply. GitHub failures to read (and writes that may succeed on another
   * try) throw GitHubError; a write GitHub refuses for good ends in `cannot`, with nothing more
   * tried, and what is not required is remembered for compliance/policy to say.
   */
  async enforce(ports: EnforcementPorts, request: EnforceRequest): Promise<EnforceOutcome> {
    const { owner, repo } = ports.repository;
    const repository = `${owner}/${repo}`;
    const defaultBranch = await ports.policies.defaultBranch();
    const read = await ports.policies.policiesOn(defaultBranch);
    const set = read.kind === "policies" ? read.policies : { policies: [], invalid: [] };
    const wanted = wantedChecks(set, defaultBranch);
    const literal = wanted.targets.filter((t) => t.literal).map((t) => t.glob);
    if (literal.length > MAX_LITERAL_BRANCHES) {
      throw new GitHubError(`the policies name ${literal.length} branches to enforce, more than ${MAX_LITERAL_BRANCHES}: use patterns such as release/*`);
    }
    const targets = await narrowToOwnPolicies(ports, wanted.targets, defaultBranch);
    // Nothing is found for a repository without policies and without rulesets of this app: reads stay at one list.
    const found = await ports.rules.find(literal, request.appId);
    const plan = compareEnforcement(found, { targets, mayRemove: wanted.invalid.length === 0, appId: request.appId });
    const view: PlanView = {
      repository,
      defaultBranch,
      policyCommit: read.kind === "no_branch" ? "" : read.commit,
      plan,
      unenforceable: wanted.unenforceable,
      canWrite: true,
    };
    const now = new Date(this.clock()).toISOString();
    if (plan.changes.length === 0) {
      this.memory.set(owner, repo, { lastVerified: now, notRequired: [] });
      return read.kind === "policies" ? { kind: "in_sync", view } : { kind: "no_policies", view };
    }
    if (!request.apply) return { kind: "planned", view };

    const gap = gapOf(plan, request.trigger);
    const applied = await this.applyAll(ports, plan, request.appId);
    view.applied = { done: applied.done, failed: applied.failed };
    if (applied.refused !== null) {
      view.canWrite = false;
      this.memory.set(owner, repo, { lastVerified: this.memory.get(owner, repo)?.lastVerified ?? null, notRequired: plan.targets.filter((t) => t.missing.length > 0).map(({ branch, missing }) => ({ branch, missing })) });
      return { kind: "cannot", view, reason: applied.refused };
    }
    const restored = new Date(this.clock()).toISOString();
    this.memory.set(owner, repo, { lastVerified: restored, notRequired: [] });
    if (gap === null || request.report === false) return { kind: "applied", view, gap: null, issue: null };
    const record = gapRecord(repository, gap, restored);
    const key = `${repository}@enforcement:${gap.from ?? gap.foundAt}`;
    const issue = await ports.issues.open({ key, title: enforcementIssueTitle(record), body: enforcementIssueBody(key, record), since: gap.foundAt });
    return { kind: "applied", view, gap: record, issue };
  }

  /** Applies the changes in order; stops at the first GitHub refuses for good (the rest would be refused too). */
  private async applyAll(ports: EnforcementPorts, plan: EnforcementPlan, appId: number): Promise<{ done: number; failed: { change: string; error: string }[]; refused: string | null }> {
    let done = 0;
    for (const change of plan.changes) {
      try {
        await ports.rules.apply(change, appId);
        done += 1;
      } catch (error) {
        if (!refusedForGood(error)) throw error;
        return { done, failed: [{ change: describe(change), error: error.message }], refused: error.message };
      }
    }
    return { done, failed: [], refused: null };
  }
}

const describe = (change: EnforcementChange): string => changeLine(change).slice(2);

function gapRecord(repository: string, gap: EnforcementGap, until: string): GapRecord {
  return { version: 1, repository, branches: gap.branches, from: gap.from, until, found_at: gap.foundAt, by: gap.by, event: gap.event, what: gap.what };
}
