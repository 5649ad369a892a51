// The hostile policy files of issue 7, shared by the policy, CLI and app tests: brace bombs that would
// make minimatch compile 100,000 patterns per glob, and a glob minimatch would silently cut short.

/** The five-digit bomb of issue 7, made distinct by its prefix: 100,000 patterns from 36 characters. */
export const bomb = (n: number): string => `z${n}/{0..9}{0..9}{0..9}{0..9}{0..9}/**`;

/** `{a,b}` seventeen times: 131,072 patterns, of which minimatch keeps the first 100,000 and says nothing. */
export const TRUNCATED = `${"{a,b}".repeat(17)}/**`;

/** A valid policy file but for its scope.paths, one glob per line from line 5 on. */
export function policyWithGlobs(globs: readonly string[], environment = "evil"): string {
  return [
    "version: 1",
    `environment: ${environment}`,
    "scope:",
    "  paths:",
    ...globs.map((glob) => `    - ${JSON.stringify(glob)}`),
    "rules:",
    "  - name: anyone",
    "    paths: ['**']",
    "    approvals: 0",
    "",
  ].join("\n");
}

/** The 2.8 to 3 KB file of sixty bombs that ran `compliance-gate validate` out of memory. */
export const SIXTY_BOMBS = policyWithGlobs(Array.from({ length: 60 }, (_, n) => bomb(n)));

/** The error each bomb of SIXTY_BOMBS gets, in file order. */
export function bombErrors(file: string): string[] {
  return Array.from(
    { length: 60 },
    (_, n) => `${file}:${5 + n}:7: scope.paths[${n}]: glob ${JSON.stringify(bomb(n))} expands to 100,000 patterns; the limit is 256`,
  );
}

/** The error of TRUNCATED as the only glob of `policyWithGlobs`. */
export const truncatedError = (file: string): string =>
  `${file}:5:7: scope.paths[0]: glob "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b…" expands to 131,072 patterns; the limit is 256`;
