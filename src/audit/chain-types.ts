// The shape of an approval chain (SPEC §8): its links and where its walk ended; chain.ts builds it,
// the deployment and applied records carry a summary of it. Types only.

/**
 * What one commit is to the chain: `approved` or `break_glass` (a record that approved the
 * environment), `untouched` (it changed none of its paths), `baseline` (an earlier approved
 * deployment or applied verdict of the environment, or a re-baseline its approvers accepted,
 * covers it and everything before),
 * `origin` (the environment was not governed before it: nothing older can have a record),
 * or a break: `violation`, `missing`, `unverified`.
 */
export type LinkStatus = "approved" | "break_glass" | "untouched" | "baseline" | "origin" | "violation" | "missing" | "unverified";

/** One commit of the chain, judged. */
export interface ChainLink {
  sha: string;
  status: LinkStatus;
  pull_request: number | null;
  /** The PR's title, for people (records keep the number). */
  title: string | null;
  /** The digest of the record that decided it (a merge, push, deployment or applied record), or null. */
  record: string | null;
  /** What is wrong, for a break: "abc1234 contains #43, merged without approval of production". */
  reason: string | null;
}

/** Where the walk stopped: an approved verdict, the environment's origin, the repository's first commit, or the bound. */
export type ChainEnd = "baseline" | "origin" | "root" | "bound";

/** The chain up to a commit. */
export interface Chain {
  /** The links that touched the environment (or ended the walk), newest first: untouched commits are left out. */
  links: ChainLink[];
  end: ChainEnd;
  /** The commit whose approved verdict ended the walk, when `end` is baseline. */
  baseline: string | null;
  /** No break, and the walk ended on its own rather than at the bound. */
  complete: boolean;
  /** Each break's reason, then the bound's, if reached: what is missing. */
  problems: string[];
}
