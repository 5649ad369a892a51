// One check shown for several verdicts: a head commit several pull requests share, two checks of one name.
import { sameNameOutput, sharedHeadOutput } from "../../src/render/shared-check.js";

const output = { title: "Waiting for 1 approval from @acme/sre", summary: "**Pending** — 1 of 1 rule still needs approvals." };

test("a shared head: the strictest PR's check, with a note naming every PR, in number order", () => {
  const shown = sharedHeadOutput("compliance/production", [{ number: 43, base: "release" }, { number: 42, base: undefined }], 43, output);
  expect(shown.title).toBe(output.title);
  expect(shown.summary).toBe(
    "> **This commit is the head of several pull requests** (#42, #43 into `release`). " +
      "GitHub keeps one `compliance/production` per commit, so it shows the strictest of their verdicts: this one is #43's.\n\n" +
      output.summary,
  );
});

test("two checks of one name: the first, then the other's title and summary below a rule", () => {
  expect(sameNameOutput(output, { title: "Other", summary: "Body" })).toEqual({ title: output.title, summary: `${output.summary}\n\n---\n\n**Other**\n\nBody` });
});
