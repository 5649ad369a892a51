// The output of a check that could not be decided (SPEC §3.3): it fails closed and says why.
import type { CheckOutput } from "./check-output.js";
import { MAX_CHECK_TITLE } from "./limits.js";
import { oneLine, text } from "./markdown.js";

/** Lines of a failure message shown (each cut to MAX_CHECK_TITLE characters). */
const MAX_FAILURE_LINES = 20;

/** The output of a check that could not be decided (fail closed): what went wrong, never a stack trace. */
export function renderFailure(message: string): CheckOutput {
  // A caller may hand over an error's stack by mistake: its frames help no reviewer.
  const lines = message
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "" && !/^\s*at\s/.test(line))
    .slice(0, MAX_FAILURE_LINES)
    .map((line) => text(oneLine(line, MAX_CHECK_TITLE)));
  const what = lines.length > 0 ? lines.join("\\\n") : "an unknown error";
  return {
    title: oneLine(`Cannot evaluate: ${message.split(/\r?\n/, 1)[0]?.trim() || "an unknown error"}`, MAX_CHECK_TITLE),
    summary:
      "**Failed** — compliance-gate could not evaluate this pull request, so this check fails closed: it never passes without a decision.\n\n" +
      `### What went wrong\n\n${what}\n\n` +
      "Re-run this check once the cause is fixed; any new push, review or label evaluates it again too.",
  };
}
