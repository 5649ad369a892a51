// What `compliance-gate explain` prints (SPEC §6.6): each environment's check as the app would post
// it on a pull request — title, summary and text — never cut, as a terminal has no size limit.
import type { Decision, Facts } from "../engine/types.js";
import { renderEnvironmentCheck } from "./environment-check.js";
import { code, shortSha, text } from "./markdown.js";

/** The pull request explained, and what its decision was made from. */
interface ExplainContext {
  /** `owner/name`. */
  repository: string;
  pullNumber: number;
  facts: Pick<Facts, "head" | "base" | "now">;
  /** The base branch commit the policies were read at. */
  policyCommit: string;
  /** What gathering the facts found that a reviewer should know. */
  warnings: string[];
  /** The web address policy files are linked at. */
  serverUrl: string;
}

/** Each evaluated environment's check as the app would post it: title and summary (and text) under its name. */
export function renderExplain(decision: Decision, context: ExplainContext): string {
  const { facts, policyCommit, warnings, repository } = context;
  const header = [
    `# ${text(repository)}#${context.pullNumber}: compliance checks`,
    `Head ${code(shortSha(facts.head))} into ${code(facts.base)}, judged by the policies at ${code(shortSha(policyCommit))} ` +
      `(the tip of ${code(facts.base)}), at ${new Date(facts.now).toISOString()}.`,
  ].join("\n\n");
  if (decision.environments.length === 0) {
    return `${header}\n\nNo policy judges the base branch ${code(facts.base)}: the app posts no compliance check on this pull request.\n`;
  }
  const sections = decision.environments.map((env) => {
    const output = renderEnvironmentCheck(env, {
      repository,
      policyCommit,
      serverUrl: context.serverUrl,
      warnings,
      // a terminal has no size limit: print everything rather than what fits in a check
      limit: Number.POSITIVE_INFINITY,
    });
    const parts = [`## ${text(env.check)}`, `**${text(output.title)}**`, output.summary];
    if (output.text !== undefined) parts.push(output.text);
    return parts.join("\n\n");
  });
  return `${header}\n\n${sections.join("\n\n---\n\n")}\n`;
}
