// What the app's process remembers of each repository's enforcement (SPEC §5), bounded: when and
// what it last verified in force (the start of a gap found later), what it cannot require (for
// compliance/policy), gaps not yet written everywhere (carried by the next run: nothing is lost
// when opening the issue fails), recent restores (a bound on fights), and which branches are
// enforced (which pushes start a run). Lost on a restart: then a gap's start is said to be unknown.
import type { GapRecord } from "../audit/enforcement-gap.js";
import type { VerifiedState } from "../engine/enforcement-drift.js";
import { LruCache } from "../github/lru-cache.js";

/** A check not required on a branch (or pattern), and why: null is the missing administration permission. */
export interface NotRequired {
  branch: string;
  missing: string[];
  reason?: string | null;
}

/** A gap's record waiting to be written: its check-run copy (when not yet), then its issue. */
export interface PendingGap {
  key: string;
  gap: GapRecord;
  /** The literal branches whose tips get the check-run copy. */
  branches: string[];
  title: string;
  /** The body. */
  body: string;
  /** The check run's text. */
  text: string;
  /** Whether the check-run copy is written. */
  kept: boolean;
}

export interface EnforcementState {
  /** ISO 8601: when the requirement was last seen in force whole. */
  lastVerified: string | null;
  /** What was in force then. */
  inForce?: VerifiedState["inForce"];
  /** Checks not required because the app may not (or could not) write, by branch or pattern. */
  notRequired: NotRequired[];
  /** Gap records not yet written everywhere. */
  pending?: PendingGap[];
  /** Keys of the gap records written lately, so a gap found again is not written again. */
  recorded?: string[];
  /** Gaps recorded lately: a run after the one that found a gap starts its own there. */
  recentGaps?: { from: string | null; until: string; branches: string[] }[];
  /** When drift was restored lately (epoch ms): more than MAX_RESTORES_PER_HOUR and the app stops fighting. */
  restores?: number[];
  /** The branch globs the policies enforce, and the default branch: which pushes start a run. */
  enforced?: { defaultBranch: string; globs: string[] };
}

/** Restores of drift in one repository within an hour, at most: past it someone (or something) keeps undoing them. */
export const MAX_RESTORES_PER_HOUR = 5;
const HOUR = 3_600_000;
/** How long after a gap was restored an event about the same change may still arrive (deliveries lag seconds; queues more). */
const RECENT_MS = 10 * 60_000;
/** Gap keys, recent gaps and restores remembered per repository, at most. */
const MAX_REMEMBERED = 50;

/** Per-repository memory of enforcement, bounded: 10,000 repositories, each with bounded lists. */
export class EnforcementMemory {
  private readonly states = new LruCache<string, EnforcementState>({ maxEntries: 10_000 });

  get(owner: string, repo: string): EnforcementState | undefined {
    return this.states.get(`${owner}/${repo}`.toLowerCase());
  }

  set(owner: string, repo: string, state: EnforcementState): void {
    this.states.set(`${owner}/${repo}`.toLowerCase(), state);
  }

  /** Changes part of a repository's state. */
  update(owner: string, repo: string, patch: Partial<EnforcementState>): EnforcementState {
    const next = { lastVerified: null, notRequired: [], ...this.get(owner, repo), ...patch };
    this.set(owner, repo, next);
    return next;
  }

  /** The restores within the hour before `now`. */
  restoresWithin(owner: string, repo: string, now: number): number[] {
    return (this.get(owner, repo)?.restores ?? []).filter((t) => t > now - HOUR && t <= now);
  }

  /** Notes a restore of drift at `now`. */
  restored(owner: string, repo: string, now: number): void {
    this.update(owner, repo, { restores: [...this.restoresWithin(owner, repo, now), now].slice(-MAX_REMEMBERED) });
  }

  /** Notes a gap recorded: its key, and its window for the runs after. */
  recorded(owner: string, repo: string, key: string, gap: { from: string | null; until: string; branches: string[] }): void {
    const state = this.get(owner, repo);
    this.update(owner, repo, {
      recorded: [...(state?.recorded ?? []).filter((k) => k !== key), key].slice(-MAX_REMEMBERED),
      recentGaps: [...(state?.recentGaps ?? []), gap].slice(-MAX_REMEMBERED),
    });
  }

  /**
   * The earliest start of gaps recorded on any of `branches` that ended within RECENT_MS before
   * `now`: when an event shows a change another run already found and restored, its gap began
   * there. Null when such a restore's start is not known (a run that restored without having
   * verified anything before); undefined when there was none.
   */
  recentFrom(owner: string, repo: string, branches: readonly string[], now: number): string | null | undefined {
    const recent = (this.get(owner, repo)?.recentGaps ?? []).filter((g) => Date.parse(g.until) > now - RECENT_MS && g.branches.some((b) => branches.includes(b)));
    if (recent.length === 0) return undefined;
    if (recent.some((g) => g.from === null)) return null;
    return recent.map((g) => g.from as string).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  }

  /** Notes a restore that recorded no gap (nothing was verified before it): an event about it arriving later starts its gap at an unknown time. */
  restoredUnseen(owner: string, repo: string, until: string, branches: string[]): void {
    this.update(owner, repo, { recentGaps: [...(this.get(owner, repo)?.recentGaps ?? []), { from: null, until, branches }].slice(-MAX_REMEMBERED) });
  }
}
