// The enforcement gap's record: sealed, written, read back only when it verifies and is within
// bounds, found among the app's issues and check runs, and matched to merges.
import { gapCovers, gapFlagOf, gapsIn, readGapBlock, sealGap, type GapRecord, type UnsealedGap } from "../../src/audit/enforcement-gap.js";
import { gapBlock } from "../../src/render/enforcement-issue.js";
import { privateGlobs } from "../../src/engine/globs.js";
import { fixedKeys, freshKeys } from "./keys.js";

const UNSEALED: UnsealedGap = {
  version: 1,
  repository: "acme/gitops",
  branches: ["main", "release/*"],
  from: "2026-11-25T09:59:58.000Z",
  until: "2026-11-25T10:00:03.000Z",
  restored: true,
  found_at: "2026-11-25T09:59:58.000Z",
  by: "mallory",
  event: "repository_ruleset.deleted",
  what: ["compliance/production was not required on main"],
};
const GAP: GapRecord = sealGap(UNSEALED);
const where = "issue #12";

test("a sealed record reads back as the record it was written from, inside a longer body", () => {
  expect(GAP.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(readGapBlock(`Some text\n\n${gapBlock(GAP)}\n\nafter`, { where })).toEqual({ gap: GAP, problems: [] });
  expect(readGapBlock("no block here", { where })).toEqual({ gap: null, problems: [] });
});

test("signed with the app's key, it verifies with its public key; with another key, or unsigned, it does not", () => {
  const keys = fixedKeys(7);
  const signed = sealGap(UNSEALED, keys.privateKey);
  expect(readGapBlock(gapBlock(signed), { where, publicKey: keys.publicKey }).gap).toEqual(signed);
  expect(readGapBlock(gapBlock(signed), { where, publicKey: freshKeys().publicKey }).problems).toEqual([expect.stringContaining("signature does not verify")]);
  expect(readGapBlock(gapBlock(GAP), { where, publicKey: keys.publicKey }).problems).toEqual([expect.stringContaining("not signed")]);
});

test.each<[string, string]>([
  ["its window shrunk by an edit", gapBlock({ ...GAP, from: "2026-11-25T10:00:02.000Z" })],
  ["an innocent named by an edit", gapBlock({ ...GAP, by: "alice" })],
  ["no seal (written by hand)", gapBlock({ ...UNSEALED } as GapRecord)],
  ["not JSON", "<!-- compliance-gate:enforcement-gap v1 -->\n```json\n{nope\n```"],
  ["another version", gapBlock(sealGap({ ...UNSEALED, version: 2 as 1 }))],
  ["an unreadable time", gapBlock(sealGap({ ...UNSEALED, until: "yesterday" }))],
  ["too many branches", gapBlock(sealGap({ ...UNSEALED, branches: Array.from({ length: 101 }, (_, i) => `b${i}`) }))],
  ["a start after its end", gapBlock(sealGap({ ...UNSEALED, from: "2026-11-25T11:00:00.000Z" }))],
])("a record with %s is a problem, never a gap", (_name, body) => {
  const read = readGapBlock(body, { where });
  expect(read.gap).toBeNull();
  expect(read.problems).toEqual([expect.stringMatching(/^issue #12: its enforcement gap record .*; it is not used$/)]);
});

test("a record ending after the issue that holds it was created is refused (beyond five minutes of clock skew)", () => {
  expect(readGapBlock(gapBlock(GAP), { where, createdAt: "2026-11-25T10:00:04Z" }).gap).toEqual(GAP);
  expect(readGapBlock(gapBlock(GAP), { where, createdAt: "2026-11-25T09:00:00Z" }).problems).toEqual([expect.stringContaining("ends after the record was written")]);
});

test("branch globs out of the policy glob bounds (a brace bomb an edit could plant) are refused before anything compiles them", () => {
  // 203 pairs of braces: 2^203 patterns once expanded; 1,016 characters, within the length bound.
  const bomb = sealGap({ ...UNSEALED, branches: Array.from({ length: 5 }, (_, i) => "{a,b}".repeat(203) + i) });
  const read = readGapBlock(gapBlock(bomb), { where });
  expect(read.gap).toBeNull();
  expect(read.problems[0]).toMatch(/names a branch pattern out of bounds \(glob .* expands to more than 256 patterns; the limit is 256\)/);
});

test("a merge is covered on a branch the gap names, from its start to its end, inclusive; an unknown start covers everything before the end", () => {
  const at = (iso: string): number => Date.parse(iso);
  const globs = privateGlobs();
  expect(gapCovers(GAP, "main", at("2026-11-25T10:00:00Z"), globs)).toBe(true);
  expect(gapCovers(GAP, "release/7", at("2026-11-25T09:59:58Z"), globs)).toBe(true);
  expect(gapCovers(GAP, "main", at("2026-11-25T10:00:03Z"), globs)).toBe(true);
  expect(gapCovers(GAP, "main", at("2026-11-25T10:00:04Z"), globs)).toBe(false);
  expect(gapCovers(GAP, "main", at("2026-11-25T09:59:57Z"), globs)).toBe(false);
  expect(gapCovers(GAP, "develop", at("2026-11-25T10:00:00Z"), globs)).toBe(false);
  expect(gapCovers({ ...GAP, from: null }, "main", at("2020-01-01T00:00:00Z"), globs)).toBe(true);
});

test("the flag names the gap and its issue; a known start is preferred to an unknown one", () => {
  expect(gapFlagOf([{ gap: GAP, issue: "#12" }], "main", Date.parse("2026-11-25T10:00:00Z"))).toEqual({ from: GAP.from, until: GAP.until, by: "mallory", issue: "#12" });
  expect(gapFlagOf([{ gap: GAP, issue: "#12" }], "develop", Date.parse("2026-11-25T10:00:00Z"))).toBeNull();
  const unknown = { gap: { ...GAP, from: null, by: null }, issue: "#9" };
  expect(gapFlagOf([unknown, { gap: GAP, issue: "#12" }], "main", Date.parse("2026-11-25T10:00:00Z"))?.issue).toBe("#12");
  expect(gapFlagOf([unknown], "main", Date.parse("2026-11-20T10:00:00Z"))).toEqual({ from: null, until: GAP.until, by: null, issue: "#9" });
});

test("gaps are found only in the app's issues and check runs, once each, and an edited copy is reported", () => {
  const body = gapBlock(GAP);
  const bot = { login: "compliance-gate[bot]", type: "Bot" };
  const found = gapsIn(
    {
      issues: [
        { number: 12, url: null, author: bot, body, created_at: "2026-11-25T10:00:05Z" },
        { number: 13, url: null, author: { login: "mallory", type: "User" }, body: gapBlock({ ...GAP, by: "alice" }) },
        { number: 14, url: null, author: bot, body: gapBlock({ ...GAP, by: "alice" }) },
      ],
      runs: [
        { id: 1, url: "https://github.com/acme/gitops/runs/1", app: "compliance-gate", text: body },
        { id: 2, url: null, app: "other-app", text: gapBlock(sealGap({ ...UNSEALED, by: "alice" })) },
      ],
    },
    { names: ["acme/gitops"], app: "compliance-gate[bot]" },
  );
  expect(found.gaps).toEqual([{ gap: GAP, issue: "#12" }]);
  expect(found.problems).toEqual([expect.stringMatching(/^issue #14: its enforcement gap record does not verify \(digest mismatch\)/)]);
});
