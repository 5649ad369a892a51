// The part of a compliance check that lists commit identities linked to no GitHub account
// (SPEC §2, fact `unlinked`): the blocker under `unlinked_commits: block`, a warning under `warn`.
import type { EnvironmentDecision, UnlinkedIdentity } from "../engine/types.js";
import { describeIdentity } from "../engine/title.js";
import type { ListBlock } from "./fit.js";
import { code, firstOf, oneLine, shortSha } from "./markdown.js";

/** Identities listed in a summary; the rest are counted there and listed in the check's `text`. */
const MAX_UNLINKED = 20;
/** A git name or e-mail is whatever its writer typed: each identity is cut to this many characters. */
const MAX_IDENTITY = 200;

/** `` `abc1234` co-author `frank <frank@example.com>` ``. */
function unlinkedLine(identity: UnlinkedIdentity): string {
  return `${code(shortSha(identity.commit))} ${identity.role} ${code(oneLine(describeIdentity(identity), MAX_IDENTITY))}`;
}

/** The section naming each unlinked identity and what it does to this environment; null when there are none. */
export function unlinkedBlock(env: EnvironmentDecision): ListBlock | null {
  if (env.unlinked.length === 0) return null;
  const what =
    "These commit identities map to no GitHub account, so whoever wrote them cannot be told apart from the approvers: " +
    "separation of duties cannot be shown for them.";
  const fix =
    "Add and verify each e-mail on its owner's GitHub account, or rewrite the commits with a linked e-mail " +
    "(a co-author with their GitHub noreply address), and push again.";
  const lead = env.unlinked_blocks
    ? `### Cannot tell who wrote these commits\n\n${what} This policy blocks on them (\`options.unlinked_commits: block\`). ${fix}` +
      (env.break_glass_detail ? " Break glass still overrides." : "")
    : `### Warning: separation of duties cannot be shown\n\n${what} This policy only warns (\`options.unlinked_commits: warn\`), ` +
      "and the audit record lists them.";
  return { lead, items: firstOf(env.unlinked.map(unlinkedLine), MAX_UNLINKED) };
}

/** Every unlinked identity, for the check's `text` when the summary could not list them all; null otherwise. */
export function unlinkedDetail(env: EnvironmentDecision): ListBlock | null {
  if (env.unlinked.length <= MAX_UNLINKED) return null;
  return { lead: `### All ${env.unlinked.length.toLocaleString("en-US")} commit identities linked to no GitHub account`, items: env.unlinked.map(unlinkedLine) };
}
