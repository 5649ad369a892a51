// The ports of enforcement (EnforcementPorts, ports.ts) wired to the adapters over GitHub's REST API, for one repository and
// one client: rulesets, branch rules and classic protection; the policies through the one policy
// source; the exception issues and the compliance/audit check runs that record enforcement gaps.
import type { EnforcementPorts } from "./ports.js";
import { mayBeOwnRuleset, type FoundBranch, type FoundRuleset } from "../engine/enforcement.js";
import { readClassicProtection, requireClassicChecks } from "../github/branch-protection.js";
import { GitHubCheckRuns, type CheckMemory } from "../github/check-runs.js";
import { GitHubError, GitHubSession, type GitHubClient } from "../github/client.js";
import { openExceptionIssue } from "../github/exception-issues.js";
import { listCommitsSince, readRepository } from "../github/history.js";
import type { LruCache } from "../github/lru-cache.js";
import { GitHubPolicySource, type PolicyCache } from "../github/policy-source.js";
import { activeChecksOn, createRuleset, deleteRuleset, listRulesets, readRuleset, updateRuleset } from "../github/rulesets.js";

export interface EnforcementGitHubOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The delivery's default branch, which saves reading the repository. */
  defaultBranch?: string;
  /** The one policy cache. */
  policies: PolicyCache;
  /** The app's one memory of the check runs it posted (the gap records' copies are posted through it). */
  checks: CheckMemory;
  /** This app's bot login: only its issues hold gaps. */
  botLogin: () => Promise<string>;
  /** Repositories whose compliance-exception label exists. */
  labels: LruCache<string, true>;
}

/** Branches whose tips get a copy of a gap's record at most: the record is the same on each. */
const MAX_EVIDENCE_BRANCHES = 10;

/** A branch's tip that does not exist: GitHub's 404 on the ref. */
function isMissingBranch(error: unknown): boolean {
  return error instanceof GitHubError && error.status === 404 && error.request?.route === "GET /repos/{owner}/{repo}/git/ref/{ref}";
}

/** The enforcement ports of one repository, over one client. */
export function enforcementGitHub(options: EnforcementGitHubOptions): EnforcementPorts {
  const { octokit, owner, repo } = options;
  const gh = new GitHubSession(octokit);
  const source = new GitHubPolicySource(options.policies, gh, owner, repo);
  const checkRuns = new GitHubCheckRuns(options.checks, gh, owner, repo);
  const defaultBranchOf = async (): Promise<string> => options.defaultBranch ?? (await readRepository(gh, owner, repo)).defaultBranch;
  return {
    repository: { owner, repo },
    requests: () => gh.count.total,
    policies: {
      defaultBranch: defaultBranchOf,
      async policiesOn(branch) {
        try {
          const found = await source.atBranchTip(branch);
          return found.kind === "policies" ? { kind: "policies", policies: found.policies, commit: found.commit } : { kind: "no_policies", commit: found.commit };
        } catch (error) {
          // A 404 on the branch's tip is a branch not created yet.
          if (isMissingBranch(error)) return { kind: "no_branch" };
          throw error;
        }
      },
    },
    rules: {
      async find(literalBranches, appId) {
        const summaries = await listRulesets(gh, owner, repo);
        const branches: FoundBranch[] = [];
        for (const branch of literalBranches) {
          branches.push({ branch, active: await activeChecksOn(gh, owner, repo, branch), classic: await readClassicProtection(gh, owner, repo, branch) });
        }
        // In full: this app's rulesets, and every other (the organization's too) that requires its checks
        // on a branch: its bypass actors, exclusions and exemptions decide whether it counts.
        const wanted = new Set(summaries.filter((s) => mayBeOwnRuleset(s, appId)).map((s) => s.id));
        for (const b of branches) for (const rule of b.active) if (rule.appId === appId) wanted.add(rule.rulesetId);
        const rulesets: FoundRuleset[] = [];
        for (const summary of summaries) {
          if (wanted.has(summary.id)) rulesets.push(await readRuleset(gh, owner, repo, summary.id));
          else rulesets.push({ ...summary, target: null, include: [], exclude: [], bypass: null, checks: null, strict: false, skipOnCreate: false, otherRules: [], updatedAt: null });
        }
        return { rulesets, branches };
      },
      async apply(change, appId) {
        switch (change.kind) {
          case "create_ruleset":
            await createRuleset(gh, owner, repo, change.spec, appId);
            return;
          case "update_ruleset":
            await updateRuleset(gh, owner, repo, change.id, change.spec, appId);
            return;
          case "delete_ruleset":
            await deleteRuleset(gh, owner, repo, change.id, change.name);
            return;
          case "classic_checks":
            await requireClassicChecks(gh, owner, repo, change.branch, change.require, appId, change.strict);
            return;
        }
      },
    },
    issues: {
      async open(request) {
        const written = await openExceptionIssue(gh, { owner, repo, login: await options.botLogin(), labels: options.labels, ...request });
        return written.issue;
      },
    },
    evidence: {
      async keep({ gap, branches, title, text }) {
        const on: string[] = [];
        const post = async (branch: string): Promise<void> => {
          let sha: string;
          try {
            // The tip as the policy source knows it: no request when this run read it in the last
            // SESSION_TIP_MS (10 s), a free 304 when it is unchanged since.
            sha = await source.tipOf(branch);
          } catch (error) {
            if (isMissingBranch(error)) return;
            throw error;
          }
          await checkRuns.postRecord({
            sha,
            compliant: false,
            neutral: true,
            title,
            summary: title,
            text,
            completedAt: Date.parse(gap.until),
            externalId: `enforcement:${branch}:${gap.from ?? "unknown"}`.slice(0, 1000),
          });
          on.push(sha);
        };
        for (const branch of branches.slice(0, MAX_EVIDENCE_BRANCHES)) await post(branch);
        if (on.length === 0) await post(await defaultBranchOf());
        return on;
      },
      async landed(branch, from, until) {
        // One page: the issue names the first 100 and says when there were more.
        const listed = await listCommitsSince(gh, { owner, repo, branch, tip: branch, since: Date.parse(from), until: Date.parse(until), maxPages: 1 });
        return { commits: listed.items.map((c) => ({ sha: c.sha, title: c.title, at: c.committed_at })), complete: listed.complete };
      },
    },
  };
}
