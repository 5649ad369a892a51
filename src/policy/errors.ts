// Policy errors and warnings as people read them: one line each, errors in file order.
import { compareCodePoints } from "./code-point-order.js";
import type { PolicyError, PolicyWarning } from "./types.js";

/** Prints an error as `file:line:col: field: message`, leaving out what is unknown or empty. */
export function formatPolicyError(error: PolicyError): string {
  const at = error.line === undefined ? "" : error.column === undefined ? `:${error.line}` : `:${error.line}:${error.column}`;
  const field = error.field === "" ? "" : `${error.field}: `;
  return `${error.file}${at}: ${field}${error.message}`;
}

/** Orders errors by file, then line and column (errors without a position first); stable otherwise. */
export function sortPolicyErrors(errors: readonly PolicyError[]): PolicyError[] {
  return [...errors].sort(
    (a, b) =>
      compareCodePoints(a.file, b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** Prints a warning as `file[:line:col]: warning: field: message`, the way `validate` prints it. */
export function formatPolicyWarning(warning: PolicyWarning): string {
  const where = warning.line !== undefined ? `${warning.file}:${warning.line}:${warning.column ?? 1}` : warning.file;
  return `${where}: warning: ${warning.field ? `${warning.field}: ` : ""}${warning.message}`;
}
