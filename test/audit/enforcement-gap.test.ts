// The enforcement gap's record in its exception issue: written, read back, and matched to merges.
import { gapBlock, gapCovers, gapFlagOf, parseGapBlock, type GapRecord } from "../../src/audit/enforcement-gap.js";

const GAP: GapRecord = {
  version: 1,
  repository: "acme/gitops",
  branches: ["main", "release/*"],
  from: "2026-11-25T09:59:58.000Z",
  until: "2026-11-25T10:00:03.000Z",
  found_at: "2026-11-25T09:59:58.000Z",
  by: "mallory",
  event: "repository_ruleset.deleted",
  what: ["compliance/production was not required on main"],
};

test("the block reads back as the record it was written from, inside a longer body", () => {
  expect(parseGapBlock(`Some text\n\n${gapBlock(GAP)}\n\nafter`)).toEqual(GAP);
});

test.each([
  ["no marker", "```json\n{}\n```"],
  ["not JSON", `<!-- compliance-gate:enforcement-gap v1 -->\n\`\`\`json\n{nope\n\`\`\``],
  ["another version", gapBlock({ ...GAP, version: 2 as 1 })],
  ["an unreadable time", gapBlock({ ...GAP, until: "yesterday" })],
  ["too many branches", gapBlock({ ...GAP, branches: Array.from({ length: 101 }, (_, i) => `b${i}`) })],
])("a body with %s holds no gap", (_name, body) => {
  expect(parseGapBlock(body)).toBeNull();
});

test("a merge is covered on a branch the gap names, from its start to its restoring, inclusive", () => {
  const at = (iso: string): number => Date.parse(iso);
  expect(gapCovers(GAP, "main", at("2026-11-25T10:00:00Z"))).toBe(true);
  expect(gapCovers(GAP, "release/7", at("2026-11-25T09:59:58Z"))).toBe(true);
  expect(gapCovers(GAP, "main", at("2026-11-25T10:00:03Z"))).toBe(true);
  expect(gapCovers(GAP, "main", at("2026-11-25T10:00:04Z"))).toBe(false);
  expect(gapCovers(GAP, "main", at("2026-11-25T09:59:57Z"))).toBe(false);
  expect(gapCovers(GAP, "develop", at("2026-11-25T10:00:00Z"))).toBe(false);
  expect(gapCovers({ ...GAP, from: null }, "main", at("2026-11-25T10:00:00Z"))).toBe(false);
});

test("the flag names the gap and its issue", () => {
  expect(gapFlagOf([{ gap: GAP, issue: "#12" }], "main", Date.parse("2026-11-25T10:00:00Z"))).toEqual({
    from: GAP.from,
    until: GAP.until,
    by: "mallory",
    issue: "#12",
  });
  expect(gapFlagOf([{ gap: GAP, issue: "#12" }], "develop", Date.parse("2026-11-25T10:00:00Z"))).toBeNull();
});
