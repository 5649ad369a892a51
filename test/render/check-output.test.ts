// The one cut that makes any check output fit GitHub's limits before it is posted.
import { fitCheckOutput } from "../../src/render/check-output.js";

describe("fitCheckOutput", () => {
  test("output beyond GitHub's limits is cut, not refused", () => {
    const fitted = fitCheckOutput({ title: "x".repeat(2000), summary: "y".repeat(70_000), text: "z".repeat(70_000) });
    expect(fitted.title).toHaveLength(1000 - 2); // "…" is 3 bytes
    expect(fitted.summary).toHaveLength(65_535 - 2);
    expect(fitted.text).toHaveLength(65_535 - 2);
    expect(fitted.summary.endsWith("65,535 bytes)")).toBe(true);
  });
});

describe("fitCheckOutput on output put together from several (a merge group's)", () => {
  const line = (i: number): string => `- #${i} — **not approved**: \`clusters/production/file-${i}.yaml\` [policy](https://github.com/acme/gitops/blob/${i}/policies/p.yml)`;
  const summary = Array.from({ length: 1000 }, (_, i) => line(i)).join("\n");

  test("is cut at a line break: every line kept is whole, then the marker", () => {
    const fitted = fitCheckOutput({ title: "t", summary });
    expect(summary.length).toBeGreaterThan(65_535);
    expect(fitted.summary.length).toBeLessThanOrEqual(65_535);
    const [kept, marker] = fitted.summary.split("\n\n");
    expect(marker).toBe("… (cut: GitHub shows at most 65,535 bytes)");
    const lines = (kept as string).split("\n");
    expect(lines.length).toBeGreaterThan(100);
    lines.forEach((shown, i) => expect(shown).toBe(line(i)));
  });

  test("what fits is left as it is", () => {
    const small = { title: "t", summary: summary.slice(0, 60_000), text: "x" };
    expect(fitCheckOutput(small)).toEqual(small);
  });

  test("a title is never cut inside a character", () => {
    const fitted = fitCheckOutput({ title: "😀".repeat(600), summary: "s" });
    expect(fitted.title.length).toBeLessThanOrEqual(1000);
    expect(fitted.title.endsWith("😀…")).toBe(true);
  });
});
