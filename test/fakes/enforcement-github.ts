// A fake of the enforcement ports (EnforcementPorts, src/app/ports.ts): one repository's rulesets, classic
// protection and exception issues in memory, which the writes change, so a second run sees the
// first one's work. Rules of a branch are computed as GitHub does: the active rulesets targeting it.
import type { BranchPolicyLookup, EnforcementPorts } from "../../src/app/ports.js";
import { readGapBlock, type GapRecord } from "../../src/audit/enforcement-gap.js";
import type { ActiveCheck, ClassicProtection, EnforcementChange, FoundRuleset, RequiredCheck, RulesetSpec } from "../../src/engine/enforcement.js";
import { rulesetBody, rulesetOf } from "../../src/github/rulesets.js";
import { requestFailed } from "../../src/github/client.js";
import type { PolicySet } from "../../src/policy/types.js";

/** fnmatch with FNM_PATHNAME, enough for the tests: `*` within a segment, `**` + `/` across them. */
function fnmatch(pattern: string, ref: string): boolean {
  const source = pattern
    .split(/(\*\*\/|\*|\?)/)
    .map((part) => (part === "**/" ? "(?:[^/]+/)*" : part === "*" ? "[^/]*" : part === "?" ? "[^/]" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(ref);
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
}

/** A compliance/audit check run holding a gap's record. */
export interface FakeCheckRun {
  branch: string;
  externalId: string;
  title: string;
  text: string;
}

export class FakeEnforcementGitHub {
  rulesets: FoundRuleset[] = [];
  classic = new Map<string, ClassicProtection>();
  /** Branch name → its policies; absent: the branch does not exist. */
  policies = new Map<string, PolicySet | null>();
  defaultBranch = "main";
  issues: FakeIssue[] = [];
  /** compliance/audit check runs written: the copies of gap records. */
  checkRuns: FakeCheckRun[] = [];
  /** Status opening an issue fails with (410: issues turned off; 502: GitHub's hiccup). */
  failIssues: number | undefined;
  /** Status writing a check run fails with. */
  failCheckRuns: number | undefined;
  /** Commits on each branch, newest first: what "landed" lists. */
  commits = new Map<string, { sha: string; title: string; at: string }[]>();
  /** Every write, as `METHOD what`. */
  writes: string[] = [];
  reads = 0;
  /** Status every write is refused with (403: no administration permission). */
  refuseWrites: number | undefined;
  private nextId = 100;

  constructor(
    readonly owner = "acme",
    readonly repo = "gitops",
  ) {}

  /** An organization's (or another) ruleset, active unless said (one of the app's own forbids deletion and force pushes, as it writes them). */
  addRuleset(ruleset: Partial<FoundRuleset> & { name: string; include: string[]; checks: RequiredCheck[] | null }): FoundRuleset {
    const full: FoundRuleset = {
      id: this.nextId++,
      source: "Repository",
      enforcement: "active",
      target: "branch",
      exclude: [],
      bypass: [],
      strict: false,
      skipOnCreate: false,
      otherRules: ruleset.name.startsWith("compliance-gate (app ") ? [{ type: "deletion" }, { type: "non_fast_forward" }] : [],
      updatedAt: "2026-11-25T09:00:00Z",
      ...ruleset,
    };
    this.rulesets.push(full);
    return full;
  }

  /** The app's first ruleset (`compliance-gate (app N)`, or one named as before the id was in the name). */
  own(): FoundRuleset | undefined {
    return this.rulesets.find((r) => (r.name === "compliance-gate" || r.name.startsWith("compliance-gate (app ")) && r.source === "Repository");
  }

  private active(branch: string): ActiveCheck[] {
    return this.rulesets
      .filter((r) => r.enforcement === "active" && r.include.some((p) => fnmatch(p, `refs/heads/${branch}`)) && !r.exclude.some((p) => fnmatch(p, `refs/heads/${branch}`)))
      .flatMap((r) => (r.checks ?? []).map((c) => ({ ...c, rulesetId: r.id, source: r.source })));
  }

  private write(what: string): void {
    if (this.refuseWrites !== undefined) throw requestFailed(this.refuseWrites, what, what, "Resource not accessible by integration");
    this.writes.push(what);
  }

  private apply(change: EnforcementChange, appId: number): void {
    // What GitHub keeps of the body the adapter sends, read back as the adapter reads it.
    const body = (spec: RulesetSpec, id: number): FoundRuleset => ({
      ...rulesetOf({ ...rulesetBody(spec, appId), id, source_type: "Repository", updated_at: "2026-11-25T10:00:00Z" }, id),
    });
    switch (change.kind) {
      case "create_ruleset":
        this.write(`POST ruleset ${change.spec.name}`);
        this.rulesets.push(body(change.spec, this.nextId++));
        return;
      case "update_ruleset": {
        this.write(`PUT ruleset ${change.id}`);
        const at = this.rulesets.findIndex((r) => r.id === change.id);
        this.rulesets[at] = body(change.spec, change.id);
        return;
      }
      case "delete_ruleset":
        this.write(`DELETE ruleset ${change.id}`);
        this.rulesets = this.rulesets.filter((r) => r.id !== change.id);
        return;
      case "classic_checks": {
        this.write(`PATCH protection ${change.branch}`);
        const before = this.classic.get(change.branch);
        this.classic.set(change.branch, { kind: "protected", checks: change.checks, strict: change.strict, enforceAdmins: before?.kind === "protected" ? before.enforceAdmins : null });
      }
    }
  }

  /** The gap records of the issues opened, verified. */
  gaps(): GapRecord[] {
    return this.issues.map((i) => readGapBlock(i.body, { where: `#${i.number}` }).gap).filter((g): g is GapRecord => g !== null);
  }

  /** The gap records of the check runs written, verified. */
  keptGaps(): GapRecord[] {
    return this.checkRuns.map((r) => readGapBlock(r.text, { where: r.externalId }).gap).filter((g): g is GapRecord => g !== null);
  }

  ports(): EnforcementPorts {
    return {
      repository: { owner: this.owner, repo: this.repo },
      requests: () => this.reads + this.writes.length,
      policies: {
        defaultBranch: async () => this.defaultBranch,
        policiesOn: async (branch): Promise<BranchPolicyLookup> => {
          this.reads += 1;
          if (!this.policies.has(branch)) return { kind: "no_branch" };
          const set = this.policies.get(branch);
          return set ? { kind: "policies", policies: set, commit: "c".repeat(40) } : { kind: "no_policies", commit: "c".repeat(40) };
        },
      },
      rules: {
        find: async (branches) => {
          this.reads += 1 + branches.length * 2;
          return {
            rulesets: this.rulesets.map((r) => structuredClone(r)),
            branches: branches.map((branch) => ({ branch, active: this.active(branch), classic: this.classic.get(branch) ?? { kind: "unprotected" } })),
          };
        },
        apply: async (change, appId) => this.apply(change, appId),
      },
      issues: {
        open: async ({ key, title, body }) => {
          const existing = this.issues.find((i) => i.body.includes(`compliance-gate:exception ${key} `));
          if (existing) return { number: existing.number, url: null };
          if (this.failIssues !== undefined) throw requestFailed(this.failIssues, "POST /repos/{owner}/{repo}/issues", "opening the exception issue", "Issues are disabled for this repo");
          this.writes.push(`POST issue`);
          const issue = { number: this.issues.length + 1, title, body };
          this.issues.push(issue);
          return { number: issue.number, url: null };
        },
      },
      evidence: {
        keep: async ({ gap, branches, title, text }) => {
          if (this.failCheckRuns !== undefined) throw requestFailed(this.failCheckRuns, "POST /repos/{owner}/{repo}/check-runs", "posting the gap's record", "Server Error");
          const on = branches.filter((b) => this.policies.has(b));
          const where = on.length > 0 ? on : [this.defaultBranch];
          for (const branch of where) {
            this.writes.push(`POST check-run ${branch}`);
            this.checkRuns.push({ branch, externalId: `enforcement:${branch}:${gap.from ?? "unknown"}`, title, text });
          }
          return where.map((b) => `tip-of-${b}`);
        },
        landed: async (branch, from, until) => {
          this.reads += 1;
          const commits = (this.commits.get(branch) ?? []).filter((c) => Date.parse(c.at) >= Date.parse(from) && Date.parse(c.at) <= Date.parse(until));
          return { commits, complete: true };
        },
      },
    };
  }
}
