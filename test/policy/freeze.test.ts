// The times of freeze windows: instants, local time ranges, zones.
import { isTimeZone, parseInstant, parseTimeRange } from "../../src/policy/freeze.js";

describe("parseInstant", () => {
  test.each<[string, number | undefined]>([
    ["2026-12-20T00:00:00Z", Date.UTC(2026, 11, 20)],
    ["2026-12-20t00:00:00z", Date.UTC(2026, 11, 20)],
    ["2026-12-20T01:00:00+01:00", Date.UTC(2026, 11, 20)],
    ["2026-12-19T18:30:00-05:30", Date.UTC(2026, 11, 20)],
    ["2026-12-20T00:00:00.123456789Z", Date.UTC(2026, 11, 20, 0, 0, 0, 123)],
    ["2028-02-29T00:00:00Z", Date.UTC(2028, 1, 29)],
    // Years below 100 are not taken for 19xx.
    ["0099-01-01T00:00:00Z", Date.parse("0099-01-01T00:00:00Z")],
    ["2027-02-29T00:00:00Z", undefined],
    ["2026-13-01T00:00:00Z", undefined],
    ["2026-12-32T00:00:00Z", undefined],
    ["2026-12-20T24:00:00Z", undefined],
    ["2026-12-20T00:60:00Z", undefined],
    ["2026-12-20T00:00:60Z", undefined],
    ["2026-12-20T00:00:00+24:00", undefined],
    ["2026-12-20T00:00:00", undefined],
    ["2026-12-20T00:00Z", undefined],
    ["2026-12-20 00:00:00Z", undefined],
    ["2026-12-20", undefined],
  ])("%s", (text, expected) => {
    expect(parseInstant(text)).toBe(expected);
  });
});

describe("parseTimeRange", () => {
  test.each<[string, { start: number; end: number } | undefined]>([
    ["00:00-24:00", { start: 0, end: 1440 }],
    ["09:30-17:00", { start: 570, end: 1020 }],
    // An end before the start: the window runs past midnight into the next day.
    ["22:00-06:00", { start: 1320, end: 360 }],
    ["23:59-00:00", { start: 1439, end: 0 }],
    ["24:00-06:00", undefined],
    ["00:00-24:01", undefined],
    ["25:00-26:00", undefined],
    ["9:00-17:00", undefined],
    ["09:00", undefined],
    ["09:00 - 17:00", undefined],
  ])("%s", (text, expected) => {
    expect(parseTimeRange(text)).toEqual(expected);
  });
});

test("isTimeZone asks the runtime", () => {
  expect(isTimeZone("UTC")).toBe(true);
  expect(isTimeZone("Europe/Berlin")).toBe(true);
  expect(isTimeZone("America/Argentina/Buenos_Aires")).toBe(true);
  expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
  expect(isTimeZone("")).toBe(false);
  expect(isTimeZone(" ")).toBe(false);
});
