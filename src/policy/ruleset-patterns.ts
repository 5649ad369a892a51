// A `scope.branches` glob as a repository ruleset targets it (SPEC §5): GitHub matches a ruleset's
// `ref_name` patterns with Ruby's File.fnmatch and FNM_PATHNAME, without FNM_EXTGLOB, and with no
// backslash quoting and no `[^…]` complement. A glob says the same there or it is not enforced.
import { braceExpand } from "minimatch";

/** One branch, or one pattern of branches, a glob stands for: its brace expansion and the ruleset's `ref_name` for it. */
export interface RefTarget {
  /** The glob with its braces expanded: a branch name when `literal`. */
  glob: string;
  /** A plain branch name, whose rules GitHub can be asked about (`GET …/rules/branches/{branch}`). */
  literal: boolean;
  /** `refs/heads/…` as a ruleset's `conditions.ref_name.include` says it. */
  ref: string;
}

/** How a branch glob is targeted by a ruleset, or why it cannot be. */
export type RulesetPattern = { ok: true; targets: RefTarget[] } | { ok: false; reason: string };

/** Characters that make a glob a pattern rather than a branch name (minimatch's magic). */
const MAGIC = /[*?[\]{}()!+@\\]/;

/**
 * The ruleset patterns that match exactly the branches `glob` matches as a policy glob (minimatch,
 * `*` never crossing `/`), or the reason none do. What differs, and how it is bridged:
 * - braces (`release/{eu,us}`): fnmatch without FNM_EXTGLOB reads them literally, so the glob is
 *   expanded here into one pattern each (validation bounds an expansion to 256 patterns);
 * - a trailing `**` segment (`release/**`): fnmatch's `**` spans segments only before a `/`, so it
 *   becomes `release/**` + `/*`; `**` elsewhere means the same to both;
 * - `[^a]` is written `[!a]`, the complement GitHub supports;
 * - extglobs (`+(a|b)`, `@(…)`, `!(…)`, `?(…)`, `*(…)`), backslash escapes and POSIX classes
 *   (`[[:digit:]]`) have no equivalent: the glob is reported, never guessed at.
 * `?` and `[…]` classes mean one character other than `/` to both.
 */
export function rulesetPattern(glob: string): RulesetPattern {
  if (!MAGIC.test(glob)) return { ok: true, targets: [{ glob, literal: true, ref: `refs/heads/${glob}` }] };
  if (glob.includes("\\")) return { ok: false, reason: "GitHub's branch patterns have no escape character (\\)" };
  if (/[?*+@!]\(/.test(glob)) return { ok: false, reason: "GitHub's branch patterns have no extglobs such as +(…), @(…), !(…), ?(…), *(…)" };
  if (glob.includes("[[:") || glob.includes("[:")) return { ok: false, reason: "GitHub's branch patterns have no POSIX classes such as [[:digit:]]" };
  const targets: RefTarget[] = [];
  for (const expanded of braceExpand(glob, { nocomment: true, nonegate: true })) {
    if (targets.some((t) => t.glob === expanded)) continue;
    if (!MAGIC.test(expanded)) {
      targets.push({ glob: expanded, literal: true, ref: `refs/heads/${expanded}` });
      continue;
    }
    const segments = expanded.split("/");
    const last = segments.length - 1;
    const translated = segments.map((segment, i) => (segment === "**" && i === last ? "**/*" : segment)).join("/");
    targets.push({ glob: expanded, literal: false, ref: `refs/heads/${translated.replaceAll("[^", "[!")}` });
  }
  return { ok: true, targets };
}
