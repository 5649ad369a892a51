// The ports of enforcement (EnforcementPorts, ports.ts) wired to the adapters over GitHub's REST API, for one repository and
// one client: rulesets, branch rules and classic protection; the policies through the one policy
// source; the exception issues that record enforcement gaps.
import type { EnforcementPorts } from "./ports.js";
import { isOwnRuleset, type FoundBranch, type FoundRuleset } from "../engine/enforcement.js";
import { readClassicProtection, writeClassicChecks } from "../github/branch-protection.js";
import { GitHubError, GitHubSession, type GitHubClient } from "../github/client.js";
import { EXCEPTION_LABEL, listExceptionIssues, openExceptionIssue } from "../github/exception-issues.js";
import { readRepository } from "../github/history.js";
import type { LruCache } from "../github/lru-cache.js";
import { GitHubPolicySource, type PolicyCache } from "../github/policy-source.js";
import { activeChecksOn, createRuleset, deleteRuleset, listRulesets, readRuleset, updateRuleset } from "../github/rulesets.js";
import { gapsIn } from "./enforcement-gaps.js";

export interface EnforcementGitHubOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The delivery's default branch, which saves reading the repository. */
  defaultBranch?: string;
  /** The one policy cache. */
  policies: PolicyCache;
  /** This app's bot login: only its issues hold gaps. */
  botLogin: () => Promise<string>;
  /** Repositories whose compliance-exception label exists. */
  labels: LruCache<string, true>;
}

/** The enforcement ports of one repository, over one client. */
export function enforcementGitHub(options: EnforcementGitHubOptions): EnforcementPorts {
  const { octokit, owner, repo } = options;
  const gh = new GitHubSession(octokit);
  const source = new GitHubPolicySource(options.policies, gh, owner, repo);
  return {
    repository: { owner, repo },
    requests: () => gh.count.total,
    policies: {
      async defaultBranch() {
        return options.defaultBranch ?? (await readRepository(gh, owner, repo)).defaultBranch;
      },
      async policiesOn(branch) {
        try {
          const found = await source.atBranchTip(branch);
          return found.kind === "policies" ? { kind: "policies", policies: found.policies, commit: found.commit } : { kind: "no_policies", commit: found.commit };
        } catch (error) {
          // A 404 on the branch's tip is a branch not created yet.
          if (error instanceof GitHubError && error.status === 404 && error.request?.route === "GET /repos/{owner}/{repo}/git/ref/{ref}") return { kind: "no_branch" };
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
        // In full: this app's rulesets, and the repository's that require its checks (their bypass actors decide whether they count).
        const wanted = new Set(summaries.filter(isOwnRuleset).map((s) => s.id));
        for (const b of branches) for (const rule of b.active) if (rule.source === "Repository" && rule.appId === appId) wanted.add(rule.rulesetId);
        const rulesets: FoundRuleset[] = [];
        for (const summary of summaries) {
          if (wanted.has(summary.id)) rulesets.push(await readRuleset(gh, owner, repo, summary.id));
          else rulesets.push({ ...summary, target: null, include: [], exclude: [], bypass: null, checks: null, strict: false, otherRules: [], updatedAt: null });
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
            await writeClassicChecks(gh, owner, repo, change.branch, change.checks, change.strict);
            return;
        }
      },
    },
    issues: {
      async open(request) {
        const written = await openExceptionIssue(gh, { owner, repo, login: await options.botLogin(), labels: options.labels, ...request });
        return written.issue;
      },
      async gapsSince(since) {
        const login = await options.botLogin();
        const listed = await listExceptionIssues(gh, owner, repo, new Date(Date.parse(since)).toISOString(), `listing the ${EXCEPTION_LABEL} issues of ${owner}/${repo}`);
        return gapsIn(listed.items, [`${owner}/${repo}`], login);
      },
    },
  };
}
