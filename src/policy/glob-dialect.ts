// The glob dialect of policy files (SPEC §1.2): minimatch with one set of options, compiled one glob
// at a time. What a glob may cost before it is compiled is glob-bounds.ts's concern.
import { Minimatch, type MinimatchOptions } from "minimatch";

/** The options of every policy glob (SPEC §1.2): case-sensitive, dot files included, no negation. */
export const GLOB_OPTIONS: Readonly<MinimatchOptions> = Object.freeze({
  dot: true,
  nocase: false,
  nonegate: true,
  nocomment: true,
  matchBase: false,
});

/** Compiles one glob of the dialect, uncached; throws on a pattern minimatch rejects (validation bounds globs first). */
export function compilePolicyGlob(glob: string): Minimatch {
  return new Minimatch(glob, { ...GLOB_OPTIONS });
}
