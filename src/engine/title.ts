// The one-line title of an environment's check (SPEC §3): what is missing, or that nothing is.
import { formatPolicyError } from "../policy/errors.js";
import type { EnvironmentDecision, Needed, RuleDecision, UnlinkedIdentity } from "./types.js";

/** The message of the evaluation error behind a truncated file list (SPEC §2 step 3). */
export const TRUNCATED = "cannot see every changed file";
/** Titles longer than this are cut with an ellipsis. */
export const MAX_TITLE = 120;
/** At most this many approvers are named in a title; the rest are counted. */
const MAX_NAMES = 3;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `a`, `a or b`, `a, b or c`. */
const orList = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;

/** `a`, `a and b`, `a, b and c`. */
const andList = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

/** A commit identity as git shows it: `carol <carol@laptop>`, or whichever half is known. */
export function describeIdentity(identity: Pick<UnlinkedIdentity, "name" | "email">): string {
  const name = identity.name.trim();
  const email = identity.email.trim();
  if (email === "") return name === "" ? "an identity with no name or e-mail" : name;
  return name === "" ? `<${email}>` : `${name} <${email}>`;
}

/** `cannot tell who wrote abc1234: carol <carol@laptop>`, naming the first unlinked identity and counting the rest. */
function unlinkedNote(unlinked: readonly UnlinkedIdentity[]): string {
  const [first, ...rest] = unlinked;
  if (first === undefined) return "";
  const more = rest.length > 0 ? ` (+${rest.length} more)` : "";
  return `cannot tell who wrote ${first.commit.slice(0, 7)}: ${describeIdentity(first)}${more}`;
}

/** Who can approve, for a title: `@alice, @acme/sre or anyone with maintain`; empty when nobody can. */
export function describeNeeded(needed: Needed): string {
  const names = [
    ...needed.users.map((u) => `@${u}`),
    ...needed.teams.map((t) => `@${t}`),
    ...(needed.permission !== undefined ? [`anyone with ${needed.permission}`] : []),
  ];
  if (names.length > MAX_NAMES) {
    const shown = names.slice(0, MAX_NAMES - 1);
    return orList([...shown, plural(names.length - shown.length, "other")]);
  }
  return orList(names);
}

/** Makes `head + tail` one line that fits MAX_TITLE, cutting `head` (error messages and names may hold line breaks). */
function fit(rawHead: string, tail = ""): string {
  const head = rawHead.replace(/\s+/g, " ").trim();
  if (head.length + tail.length <= MAX_TITLE) return head + tail;
  return `${head.slice(0, Math.max(0, MAX_TITLE - tail.length - 1)).trimEnd()}…${tail}`;
}

/** Unsatisfied rules as `2 approvals from @acme/sre`; rules with the same approvers need only the larger count. */
function waitingFor(rules: readonly RuleDecision[]): string[] {
  const byWho = new Map<string, number>();
  for (const rule of rules) {
    if (rule.satisfied) continue;
    const who = describeNeeded(rule.needed);
    const key = who === "" ? `\0${rule.name}` : who;
    byWho.set(key, Math.max(byWho.get(key) ?? 0, rule.missing));
  }
  return [...byWho].map(([key, missing]) =>
    key.startsWith("\0")
      ? `${plural(missing, "approval")} for "${key.slice(1)}" (nobody eligible)`
      : `${plural(missing, "approval")} from ${key}`,
  );
}

/** What a labelled break glass still lacks, as `; break glass needs 1 approval from @acme/ic`, else empty. */
function breakGlassNote(env: EnvironmentDecision): string {
  const bg = env.break_glass_detail;
  if (!bg || !bg.labelled || bg.satisfied) return "";
  const who = describeNeeded(bg.needed);
  return `; break glass needs ${plural(bg.missing, "approval")}${who ? ` from ${who}` : ""}`;
}

/** The one-line title of an environment's decision (SPEC §3), at most MAX_TITLE characters. */
export function titleOf(env: EnvironmentDecision): string {
  switch (env.state) {
    case "not_affected":
      return "Not affected";
    case "approved":
      return env.break_glass && env.break_glass_detail
        ? fit(`Approved by break glass (label ${env.break_glass_detail.label})`)
        : "Approved";
    case "error": {
      const [first, ...rest] = env.errors;
      if (first === undefined) return "Error";
      if (first.field === "" && first.message === TRUNCATED) return "Cannot see every changed file";
      return fit(`Invalid policy: ${formatPolicyError(first)}`, rest.length ? ` (+${rest.length} more)` : "");
    }
    case "blocked": {
      const parts: string[] = [];
      if (env.uncovered.length) parts.push(`no rule covers ${plural(env.uncovered.length, "path")}`);
      if (env.freeze !== null) parts.push(`change freeze "${env.freeze}"`);
      if (env.changes_requested.length) {
        const names = env.changes_requested.map((u) => `@${u}`);
        const shown = names.length > MAX_NAMES ? [...names.slice(0, MAX_NAMES - 1), `${names.length - MAX_NAMES + 1} more`] : names;
        parts.push(`changes requested by ${andList(shown)}`);
      }
      if (env.unlinked_blocks) parts.push(unlinkedNote(env.unlinked));
      return fit(`Blocked: ${parts.join("; ")}${breakGlassNote(env)}`);
    }
    case "pending":
      return fit(`Waiting for ${andList(waitingFor(env.rules))}${breakGlassNote(env)}`);
  }
}
