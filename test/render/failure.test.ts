// The output of a check that could not be decided (SPEC §3.3): fails closed, says why, never a stack trace.
import type { CheckOutput } from "../../src/render/check-output.js";
import { renderFailure } from "../../src/render/failure.js";

/** The check as a reviewer reads it: the title, the summary, and the text below them. */
function shown(output: CheckOutput): string {
  return [`# ${output.title}`, output.summary, ...(output.text !== undefined ? ["--- text ---", output.text] : [])].join("\n\n");
}

describe("renderFailure", () => {
  test("says what went wrong and that the check fails closed", () => {
    const output = renderFailure("GitHub API error 502 while listing reviews of #42: Bad Gateway");
    expect(output.title).toBe("Cannot evaluate: GitHub API error 502 while listing reviews of #42: Bad Gateway");
    expect(shown(output)).toMatchSnapshot();
  });

  test("never shows a stack trace, and escapes the message", () => {
    const output = renderFailure("TypeError: cannot read <b>x</b>\n    at decide (/app/lib/engine/decide.js:12:3)\n    at async run (node:internal)");
    expect(output.title).toBe("Cannot evaluate: TypeError: cannot read <b>x</b>");
    expect(output.summary).not.toMatch(/decide\.js|node:internal|\bat /);
    expect(output.summary).toContain(String.raw`TypeError: cannot read \<b\>x\</b\>`);
  });
});
