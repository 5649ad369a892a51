// The durable record of a stretch of time a branch was not guarded as its policies require (SPEC §5):
// a machine-readable block in the enforcement exception issue, which the merge recorder and the
// export read back to flag the merges inside it. Pure: writing and parsing the block, and matching.
import { privateGlobs } from "../engine/globs.js";

/** The line that starts an enforcement gap's block in its issue. */
const GAP_MARKER = "<!-- compliance-gate:enforcement-gap v1 -->";

/** A gap as its issue records it. */
export interface GapRecord {
  version: 1;
  repository: string;
  /** Branches and patterns (policy globs) left unguarded. */
  branches: string[];
  /** ISO 8601: since when, as near as known; null when unknown (then no merge is flagged by it). */
  from: string | null;
  /** ISO 8601: when the requirement was restored. */
  until: string;
  /** ISO 8601: when the app found it. */
  found_at: string;
  /** Who did it (the event's sender); null when found by a sweep. */
  by: string | null;
  event: string | null;
  what: string[];
}

/** What a merge's audit record (and its export row) says about a gap it landed in. */
export interface GapFlag {
  from: string;
  until: string;
  by: string | null;
  /** The exception issue, `#12`, when known. */
  issue: string | null;
}

/** A block of `record` in a body: the marker, then the JSON in a fenced block. */
export function gapBlock(record: GapRecord): string {
  return `${GAP_MARKER}\n<details><summary>Enforcement gap record</summary>\n\n\`\`\`json\n${JSON.stringify(record, null, 2)}\n\`\`\`\n</details>`;
}

/** Bounds of what a gap block may name, so a body edited to hold huge lists costs little. */
const MAX_BRANCHES = 100;
const MAX_GLOB = 1024;

const isIso = (value: unknown): value is string => typeof value === "string" && Number.isFinite(Date.parse(value));

/** The gap record in an issue body, or null when it has none (or one that does not read as one). */
export function parseGapBlock(body: string | null | undefined): GapRecord | null {
  if (typeof body !== "string") return null;
  const at = body.indexOf(GAP_MARKER);
  if (at < 0) return null;
  const match = /```json\n([\s\S]*?)\n```/.exec(body.slice(at));
  if (!match) return null;
  let value: unknown;
  try {
    value = JSON.parse(match[1] as string);
  } catch {
    return null;
  }
  const r = value as Partial<GapRecord> | null;
  if (r === null || typeof r !== "object" || r.version !== 1 || typeof r.repository !== "string") return null;
  if (!Array.isArray(r.branches) || r.branches.length > MAX_BRANCHES || !r.branches.every((b) => typeof b === "string" && b.length <= MAX_GLOB)) return null;
  if (!(r.from === null || isIso(r.from)) || !isIso(r.until) || !isIso(r.found_at)) return null;
  return {
    version: 1,
    repository: r.repository,
    branches: r.branches,
    from: r.from,
    until: r.until,
    found_at: r.found_at,
    by: typeof r.by === "string" ? r.by : null,
    event: typeof r.event === "string" ? r.event : null,
    what: Array.isArray(r.what) ? r.what.filter((w): w is string => typeof w === "string") : [],
  };
}

/**
 * Whether a change that landed on `branch` at `at` (epoch ms) did so inside the gap: from its
 * start to its restoring, inclusive, on a branch it names (globs compiled privately: an issue body
 * is not the policies). A gap whose start is unknown flags nothing.
 */
export function gapCovers(gap: GapRecord, branch: string, at: number): boolean {
  if (gap.from === null) return false;
  if (at < Date.parse(gap.from) || at > Date.parse(gap.until)) return false;
  const globs = privateGlobs();
  return gap.branches.some((glob) => {
    try {
      return globs.compile(glob).match(branch);
    } catch {
      return false;
    }
  });
}

/** The flag of the first gap that covers the change, or null. */
export function gapFlagOf(gaps: readonly { gap: GapRecord; issue: string | null }[], branch: string, at: number): GapFlag | null {
  const found = gaps.find(({ gap }) => gapCovers(gap, branch, at));
  if (!found || found.gap.from === null) return null;
  return { from: found.gap.from, until: found.gap.until, by: found.gap.by, issue: found.issue };
}
