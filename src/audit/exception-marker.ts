// The hidden line that names the change an exception issue is about (SPEC §4.3): the app finds its
// issue again by it, and the export accepts an issue's copy of a push record only under it.

/** The marker of the exception about `key`: `owner/name#42` (a merge) or `owner/name@<before>..<after>` (a push). */
export function exceptionMarker(key: string): string {
  return `<!-- compliance-gate:exception ${key} -->`;
}
