// A commit as people read it in a reason, a problem or a check: its first seven hex digits, as git
// and GitHub abbreviate it. One spelling for the audit trail's texts and render/'s.

/** `0123abc` for `0123abc…`: the first seven characters of a commit sha. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
