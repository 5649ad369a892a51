// The durable record of a stretch of time a branch was not guarded as its policies require (SPEC §5):
// a sealed, machine-readable block in the enforcement exception issue and in a compliance/audit check
// run, which the merge recorder and the export read back to flag the merges inside it. Pure: sealing,
// reading and verifying the block (render/enforcement-issue.ts writes it), and matching a change against it.
import type { KeyObject } from "node:crypto";
import { privateGlobs, type GlobCompiler } from "../engine/globs.js";
import { boundGlob } from "../policy/glob-bounds.js";
import type { GapFlag } from "./record.js";
import { sealRecord, verifyRecord } from "./seal.js";
import { checkRunWriter, recordWriter, type Author } from "./writer.js";

export type { GapFlag } from "./record.js";

/** The line that starts an enforcement gap's block in its issue or check run (render/enforcement-issue.ts writes it). */
export const GAP_MARKER = "<!-- compliance-gate:enforcement-gap v1 -->";

/** A gap as the app records it, before its seal. */
export interface UnsealedGap {
  version: 1;
  repository: string;
  /** Branches and patterns (policy globs) left unguarded. */
  branches: string[];
  /**
   * ISO 8601: the earliest the gap can have started (the safe lower bound: the last time the
   * requirement was seen in force, or GitHub's own date of the change, whichever is earlier);
   * null when nothing says — then every change before `until` is flagged, "start unknown".
   */
  from: string | null;
  /** ISO 8601: when the requirement was restored, or (not `restored`) when the app last found it missing. */
  until: string;
  /** False when GitHub refused the restore: the gap went on after `until`. */
  restored: boolean;
  /** ISO 8601: when the app found it. */
  found_at: string;
  /** Who did it (the event's sender); null when not known (a sweep, or checks already missing before the event). */
  by: string | null;
  event: string | null;
  what: string[];
}

/** A gap record with its seal (the digest of its canonical JSON, and the app's signature when it has a key), as an audit record's. */
export type GapRecord = UnsealedGap & { digest: string; signature?: string };

/** An issue as listed (population.ts's ListedIssue): where gap records are looked for. */
interface HoldingIssue {
  number: number;
  url: string | null;
  author: Author | null;
  body: string | null;
  created_at?: string | null;
}

/** A compliance/audit check run as listed (population.ts's ListedCheckRun). */
interface HoldingCheckRun {
  id: number;
  url: string | null;
  app: string | null;
  text: string | null;
  started_at?: string | null;
}

/** Seals a gap record as audit records are sealed (SPEC §4.2): throws only on a key that is not Ed25519 (the app checks it at start). */
export function sealGap(gap: UnsealedGap, signingKey?: KeyObject): GapRecord {
  const sealed = sealRecord(gap, signingKey);
  if (!sealed.ok) throw new Error(`cannot seal the enforcement gap record: ${sealed.message}`);
  return sealed.record;
}

/**
 * Bounds of what a gap record may name, so a body edited to hold huge lists or brace bombs costs
 * little: at most 100 branches, each within the policy glob bounds (1,024 characters, at most 256
 * patterns once its braces are expanded), 4,096 patterns and 64 KiB of them in all; 100 lines of what.
 */
const MAX_BRANCHES = 100;
const MAX_PATTERNS = 4096;
const MAX_PATTERN_CHARS = 65_536;
const MAX_WHAT = 100;
/** How far a record's end may lie after the issue that holds it was created: the app's clock and GitHub's differ a little. */
const CLOCK_SKEW_MS = 5 * 60_000;

const isIso = (value: unknown): value is string => typeof value === "string" && Number.isFinite(Date.parse(value));

/** A gap read back: the record when it can be trusted, and what is wrong otherwise. */
export interface GapReading {
  gap: GapRecord | null;
  /** Why a block that is there is not used (edited, out of bounds, impossible times): for the record's and the export's problems. */
  problems: string[];
}

export interface GapReadOptions {
  /** Where the block is, for problems: `issue #12`, a check run's address. */
  where: string;
  /** The app's public key (or its private key): the signature must verify. Without it the digest is checked only. */
  publicKey?: KeyObject;
  /** ISO 8601: when the issue (or check run) that holds the block was created; the gap must have ended before. */
  createdAt?: string | null;
}

/**
 * The gap record in a body. No marker: no gap and no problem. A block that is there but cannot be
 * trusted — not JSON, another shape, its globs out of bounds, its digest or signature not
 * verifying (edited after the app wrote it), a start after its end, an end after its holder was
 * created — is a problem and never a gap: it can neither shrink a window nor name anyone.
 */
export function readGapBlock(body: string | null | undefined, options: GapReadOptions): GapReading {
  if (typeof body !== "string") return { gap: null, problems: [] };
  const at = body.indexOf(GAP_MARKER);
  if (at < 0) return { gap: null, problems: [] };
  const refuse = (why: string): GapReading => ({ gap: null, problems: [`${options.where}: its enforcement gap record ${why}; it is not used`] });
  const match = /```json\n([\s\S]*?)\n```/.exec(body.slice(at));
  if (!match) return refuse("has no JSON block");
  let value: unknown;
  try {
    value = JSON.parse(match[1] as string);
  } catch {
    return refuse("is not JSON");
  }
  const r = value as Partial<GapRecord> | null;
  if (r === null || typeof r !== "object" || Array.isArray(r) || r.version !== 1 || typeof r.repository !== "string") return refuse("is not a version 1 record");
  const bounded = branchesProblem(r.branches);
  if (bounded !== undefined) return refuse(bounded);
  if (!(r.from === null || isIso(r.from)) || !isIso(r.until) || !isIso(r.found_at) || typeof r.restored !== "boolean") return refuse("has unreadable times");
  if (!(r.by === null || typeof r.by === "string") || !(r.event === null || typeof r.event === "string")) return refuse("has an unreadable author or event");
  if (!Array.isArray(r.what) || r.what.length > MAX_WHAT || !r.what.every((w) => typeof w === "string")) return refuse("has an unreadable list of what changed");
  const verified = verifyRecord(r, options.publicKey);
  if (!verified.ok) return refuse(`does not verify (${verified.problems.join(", ")}): it was changed after the app wrote it`);
  if (r.from !== null && Date.parse(r.from) > Date.parse(r.until)) return refuse("starts after it ends");
  if (isIso(options.createdAt) && Date.parse(r.until) > Date.parse(options.createdAt) + CLOCK_SKEW_MS) return refuse("ends after the record was written");
  return { gap: r as GapRecord, problems: [] };
}

/** Why a record's branches are out of bounds, or undefined. Linear in their length: braces are counted, never expanded. */
function branchesProblem(branches: unknown): string | undefined {
  if (!Array.isArray(branches) || branches.length > MAX_BRANCHES || !branches.every((b) => typeof b === "string")) return `does not name at most ${MAX_BRANCHES} branches`;
  let patterns = 0;
  let chars = 0;
  for (const glob of branches as string[]) {
    const bound = boundGlob(glob);
    if (!bound.ok) return `names a branch pattern out of bounds (${bound.problem})`;
    patterns += bound.patterns;
    chars += bound.chars;
  }
  if (patterns > MAX_PATTERNS || chars > MAX_PATTERN_CHARS) return `names branch patterns that expand to more than ${MAX_PATTERNS} patterns or ${MAX_PATTERN_CHARS} characters`;
  return undefined;
}

/**
 * Whether a change that landed on `branch` at `at` (epoch ms) did so inside the gap: from its
 * start (any time before, when the start is unknown) to its end, inclusive, on a branch it names.
 * Globs are compiled by `globs` — one private compiler per run or export, so each distinct glob
 * is compiled once there, and never in the engine's shared cache (an issue is not the policies).
 */
export function gapCovers(gap: UnsealedGap, branch: string, at: number, globs: GlobCompiler = privateGlobs()): boolean {
  if (gap.from !== null && at < Date.parse(gap.from)) return false;
  if (at > Date.parse(gap.until)) return false;
  return gap.branches.some((glob) => {
    try {
      return globs.compile(glob).match(branch);
    } catch {
      return false;
    }
  });
}

/** The flag of the first gap that covers the change, or null; a known start is preferred to an unknown one. */
export function gapFlagOf(gaps: readonly { gap: UnsealedGap; issue: string | null }[], branch: string, at: number, globs: GlobCompiler = privateGlobs()): GapFlag | null {
  const covering = gaps.filter(({ gap }) => gapCovers(gap, branch, at, globs));
  const found = covering.find(({ gap }) => gap.from !== null) ?? covering[0];
  if (!found) return null;
  return { from: found.gap.from, until: found.gap.until, by: found.gap.by, issue: found.issue };
}

/** Where gap records were found, with the problems of those that cannot be used. */
export interface FoundGaps {
  gaps: { gap: GapRecord; issue: string | null }[];
  problems: string[];
}

/**
 * The trusted gap records of a repository (any of its `names`) among listed issues and
 * compliance/audit check runs: only those the app wrote (`app`, its bot login; without it any
 * GitHub App's, never a person's), each verified by readGapBlock; a record found in both places
 * once (by digest), the issue preferred for its number.
 */
export function gapsIn(
  sources: { issues?: readonly HoldingIssue[]; runs?: readonly HoldingCheckRun[] },
  about: { names: readonly string[]; app?: string; publicKey?: KeyObject },
): FoundGaps {
  const names = about.names.map((n) => n.toLowerCase());
  const found: FoundGaps = { gaps: [], problems: [] };
  const seen = new Set<string>();
  const take = (reading: GapReading, issue: string | null): void => {
    found.problems.push(...reading.problems);
    const gap = reading.gap;
    if (gap === null || !names.includes(gap.repository.toLowerCase()) || seen.has(gap.digest)) return;
    seen.add(gap.digest);
    found.gaps.push({ gap, issue });
  };
  const keyed = about.publicKey !== undefined ? { publicKey: about.publicKey } : {};
  for (const issue of sources.issues ?? []) {
    if (typeof issue.body !== "string" || !issue.body.includes(GAP_MARKER) || !recordWriter(issue.author, about.app).ok) continue;
    take(readGapBlock(issue.body, { where: issue.url ?? `issue #${issue.number}`, createdAt: issue.created_at ?? null, ...keyed }), `#${issue.number}`);
  }
  for (const run of sources.runs ?? []) {
    if (typeof run.text !== "string" || !run.text.includes(GAP_MARKER) || !checkRunWriter(run.app, about.app).ok) continue;
    const where = run.url ?? `check run ${run.id}`;
    take(readGapBlock(run.text, { where, createdAt: run.started_at ?? null, ...keyed }), where);
  }
  return found;
}
