// The ports of enforcement (enforce-ports.ts) wired to the adapters over GitHub's REST API, for one repository and
// one client: rulesets, branch rules and classic protection; the policies through the app's
// facts gatherer (its one policy cache); the exception issues that record enforcement gaps.
import type { EnforcementPorts } from "./enforce-ports.js";
import { gapFlagOf, parseGapBlock, type GapFlag } from "../audit/enforcement-gap.js";
import { recordWriter } from "../audit/writer.js";
import { mayBeOwnRuleset, type FoundBranch, type FoundRuleset } from "../engine/enforcement.js";
import { listExceptionIssues, readRepository } from "../github/audit-population.js";
import { readClassicProtection, writeClassicChecks } from "../github/branch-protection.js";
import { GatherFailed, GitHubSession, type GitHubClient } from "../github/client.js";
import { openExceptionIssue } from "../github/exception-issues.js";
import type { FactsGatherer } from "../github/facts.js";
import type { LruCache } from "../github/lru-cache.js";
import { activeChecksOn, createRuleset, deleteRuleset, listRulesets, readRuleset, updateRuleset } from "../github/rulesets.js";

export interface EnforcementGitHubOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The delivery's default branch, which saves reading the repository. */
  defaultBranch?: string;
  gatherer: FactsGatherer;
  /** This app's bot login: only its issues hold gaps. */
  botLogin: () => Promise<string>;
  /** Repositories whose compliance-exception label exists. */
  labels: LruCache<string, true>;
}

/** The enforcement ports of one repository, over one client. */
export function enforcementGitHub(options: EnforcementGitHubOptions): EnforcementPorts {
  const { octokit, owner, repo, gatherer } = options;
  const gh = new GitHubSession(octokit);
  let requestsElsewhere = 0;
  return {
    repository: { owner, repo },
    requests: () => gh.count.total + requestsElsewhere,
    policies: {
      async defaultBranch() {
        return options.defaultBranch ?? (await readRepository(gh, owner, repo)).defaultBranch;
      },
      async policiesOn(branch) {
        const probe = await gatherer.probe(octokit, { owner, repo, base: branch });
        requestsElsewhere += probe.requests.total;
        if (probe.kind === "policies") return { kind: "policies", policies: probe.policies, commit: probe.policyCommit };
        if (probe.kind === "no_policies") return { kind: "no_policies", commit: probe.policyCommit };
        // The gatherer says failures in words: a 404 on the branch's tip is a branch not created yet.
        if (/\berror 404 while reading the tip\b/.test(probe.error)) return { kind: "no_branch" };
        throw new GatherFailed(probe.error);
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
        const listed = await listExceptionIssues(gh, { owner, repo, repository: `${owner}/${repo}`, since: Date.parse(since) });
        return listed.items.flatMap((issue) => {
          if (!recordWriter(issue.author, login).ok) return [];
          const gap = parseGapBlock(issue.body);
          return gap !== null && gap.repository.toLowerCase() === `${owner}/${repo}`.toLowerCase() ? [{ gap, issue: `#${issue.number}` }] : [];
        });
      },
    },
  };
}

/**
 * The enforcement gap a change landed in (SPEC §5): the gaps recorded in this app's exception
 * issues updated since the change (a gap's issue is opened when it ends, after the change), one
 * listing of them; null when none covers `branch` at `at` (epoch ms).
 */
export async function enforcementGapAt(
  gh: GitHubSession,
  request: { owner: string; repo: string; login: string; branch: string; at: number },
): Promise<GapFlag | null> {
  const { owner, repo } = request;
  const listed = await listExceptionIssues(gh, { owner, repo, repository: `${owner}/${repo}`, since: request.at });
  const gaps = listed.items.flatMap((issue) => {
    if (!recordWriter(issue.author, request.login).ok) return [];
    const gap = parseGapBlock(issue.body);
    return gap !== null && gap.repository.toLowerCase() === `${owner}/${repo}`.toLowerCase() ? [{ gap, issue: `#${issue.number}` }] : [];
  });
  return gapFlagOf(gaps, request.branch, request.at);
}
