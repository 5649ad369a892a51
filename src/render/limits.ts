// GitHub's size limits on what this app writes, declared once. Longer is refused with a 422, and
// a refused check run or audit comment would be missing: everything rendered fits these.

/**
 * A check run's title, in characters. GitHub documents no limit on `output.title` (only on summary
 * and text): titles are kept to one line of at most this many.
 */
export const MAX_CHECK_TITLE = 1000;

/**
 * A check run's `output.summary` and `output.text`: "Maximum length: 65535 characters" (REST
 * reference, Create a check run). fitBlocks counts UTF-8 bytes (fit.ts `sizeOf`, never fewer than
 * characters), so what it fits fits however GitHub counts; the last cut (check-output.ts) and the
 * push's audit text count characters, as documented.
 */
export const MAX_CHECK_TEXT = 65_535;

/** An issue's or a comment's body: GitHub answers "body is too long (maximum is 65536 characters)". */
export const MAX_BODY = 65_536;

/** A deployment status's description ("The maximum description length is 140 characters"); a deployment's is cut alike. */
export const MAX_DEPLOYMENT_DESCRIPTION = 140;
