// GitHub's size limits on what this app writes, declared once. Longer is refused with a 422, and
// a refused check run or audit comment would be missing: everything rendered fits these.

/**
 * A check run's title, in characters. GitHub documents no limit on `output.title` (only on
 * summary and text); a title is one line, and 1,000 keeps it well inside whatever GitHub accepts.
 */
export const MAX_CHECK_TITLE = 1000;

/**
 * A check run's `output.summary` and `output.text`: "Maximum length: 65535 characters" (REST
 * reference, Create a check run). GitHub counts bytes in practice, so sizes here are UTF-8 bytes
 * (fit.ts `sizeOf`), never fewer than characters.
 */
export const MAX_CHECK_TEXT = 65_535;

/** An issue's or a comment's body: GitHub answers "body is too long (maximum is 65536 characters)". */
export const MAX_BODY = 65_536;

/** A deployment's and a deployment status's description: "The maximum description length is 140 characters." */
export const MAX_DEPLOYMENT_DESCRIPTION = 140;
