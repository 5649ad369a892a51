// GitHub's size limits on what this app writes, declared once. Longer is refused with a 422, and
// a refused check run or audit comment would be missing: everything rendered fits these.

/**
 * A check run's title, in UTF-8 bytes. GitHub documents no limit on `output.title` (only on summary
 * and text): titles are kept to one line of at most this many.
 */
export const MAX_CHECK_TITLE = 1000;

/**
 * A check run's `output.summary` and `output.text`: the REST reference says "Maximum length: 65535
 * characters", but GitHub refuses more than 65,535 UTF-8 bytes ("exceeds a maximum bytesize"), so
 * every fit and cut counts bytes (fit.ts `sizeOf`; bytes are never fewer than characters).
 */
export const MAX_CHECK_TEXT = 65_535;

/** An issue's or a comment's body: GitHub answers "body is too long (maximum is 65536 characters)". */
export const MAX_BODY = 65_536;

/** A deployment status's description ("The maximum description length is 140 characters"); a deployment's is cut alike. */
export const MAX_DEPLOYMENT_DESCRIPTION = 140;

/**
 * The comment of an answer to a deployment protection rule, in characters. GitHub documents no
 * limit; the Actions run shows it in a small box, so it is kept short: the check run has the rest.
 */
export const MAX_PROTECTION_COMMENT = 1_000;
