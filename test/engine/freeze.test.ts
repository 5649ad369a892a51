// Freeze windows: one-off and recurring, time zones, overnight windows, DST, next transition.
import fc from "fast-check";
import { activeFreeze, isFreezeActive, nextFreezeTransition, nextTransition, utcOffset } from "../../src/engine/freeze.js";
import { DAYS, type Day, type Freeze } from "../../src/policy/types.js";
import { oneOff, policy, policySet, recurring, rule } from "./build.js";

const at = (iso: string): number => Date.parse(iso);
const active = (freeze: Freeze, iso: string): boolean => isFreezeActive(freeze, at(iso));
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

describe("one-off windows", () => {
  const w = oneOff("year-end freeze", "2026-12-20T00:00:00Z", "2027-01-04T00:00:00Z");
  it.each([
    ["2026-12-19T23:59:59.999Z", false],
    ["2026-12-20T00:00:00.000Z", true],
    ["2027-01-03T23:59:59.999Z", true],
    ["2027-01-04T00:00:00.000Z", false],
  ])("at %s active is %s", (t, expected) => expect(active(w, t)).toBe(expected));

  it("opens at `from`, closes at `until`, then never changes", () => {
    expect(iso(nextTransition(w, at("2026-12-01T00:00:00Z")))).toBe("2026-12-20T00:00:00.000Z");
    expect(iso(nextTransition(w, at("2026-12-20T00:00:00Z")))).toBe("2027-01-04T00:00:00.000Z");
    expect(nextTransition(w, at("2027-01-04T00:00:00Z"))).toBeNull();
  });
});

describe("recurring windows", () => {
  const office = recurring("office hours", ["mon"], "09:00-17:00");
  it.each([
    // 2026-11-30 is a Monday
    ["2026-11-30T08:59:59.999Z", false],
    ["2026-11-30T09:00:00.000Z", true],
    ["2026-11-30T16:59:59.999Z", true],
    ["2026-11-30T17:00:00.000Z", false],
    ["2026-12-01T10:00:00.000Z", false], // a Tuesday
  ])("09:00-17:00 on Mondays at %s is %s (start inclusive, end exclusive, to the ms)", (t, expected) =>
    expect(active(office, t)).toBe(expected),
  );

  it("runs to midnight with 24:00", () => {
    const w = recurring("late", ["mon"], "20:00-24:00");
    expect(active(w, "2026-11-30T23:59:59.999Z")).toBe(true);
    expect(active(w, "2026-12-01T00:00:00.000Z")).toBe(false);
  });

  it("an overnight window belongs to the day it starts on", () => {
    const w = recurring("night", ["fri"], "22:00-06:00");
    expect(active(w, "2026-12-04T21:59:59.999Z")).toBe(false); // Friday
    expect(active(w, "2026-12-04T22:00:00.000Z")).toBe(true);
    expect(active(w, "2026-12-05T05:59:59.999Z")).toBe(true); // Saturday morning
    expect(active(w, "2026-12-05T06:00:00.000Z")).toBe(false);
    expect(active(w, "2026-12-05T23:00:00.000Z")).toBe(false); // Saturday night: not listed
    expect(active(w, "2026-12-04T03:00:00.000Z")).toBe(false); // Friday morning: Thursday's night is not listed
  });

  it("a window with end equal to start lasts a day", () => {
    const w = recurring("day", ["wed"], "12:00-12:00");
    expect(active(w, "2026-12-02T11:59:59.999Z")).toBe(false);
    expect(active(w, "2026-12-02T12:00:00.000Z")).toBe(true);
    expect(active(w, "2026-12-03T11:59:59.999Z")).toBe(true);
    expect(active(w, "2026-12-03T12:00:00.000Z")).toBe(false);
  });

  it("a Saturday freeze in Pacific/Auckland is active at Friday 12:00 UTC", () => {
    const w = recurring("NZ weekend", ["sat", "sun"], "00:00-24:00", "Pacific/Auckland");
    // NZDT is UTC+13 in December: Friday 12:00Z is Saturday 01:00 in Auckland
    expect(active(w, "2026-12-04T12:00:00Z")).toBe(true);
    expect(active(w, "2026-12-04T10:59:59.999Z")).toBe(false);
    expect(active(w, "2026-12-04T11:00:00.000Z")).toBe(true);
    expect(active(w, "2026-12-06T10:59:59.999Z")).toBe(true);
    expect(active(w, "2026-12-06T11:00:00.000Z")).toBe(false);
  });

  it("a Sunday freeze in Los Angeles is still on at Monday 07:59 UTC", () => {
    const w = recurring("sunday", ["sun"], "00:00-24:00", "America/Los_Angeles");
    expect(active(w, "2026-12-07T07:59:59.999Z")).toBe(true);
    expect(active(w, "2026-12-07T08:00:00.000Z")).toBe(false);
  });

  it("activeFreeze names the first active window", () => {
    const freezes = [oneOff("old", "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"), recurring("all days", [...DAYS]), recurring("tuesday", ["tue"])];
    expect(activeFreeze(freezes, at("2026-12-01T10:00:00Z"))).toBe("all days");
    expect(activeFreeze([], at("2026-12-01T10:00:00Z"))).toBeNull();
  });

  it("an unknown time zone throws a RangeError", () => {
    expect(() => activeFreeze([recurring("x", ["mon"], "00:00-24:00", "Mars/Olympus_Mons")], at("2026-11-30T10:00:00Z"))).toThrow(RangeError);
  });
});

describe("DST (Europe/Berlin, 2026-03-29 and 2026-10-25)", () => {
  const weekend = recurring("weekend", ["sat", "sun"], "00:00-24:00", "Europe/Berlin");

  it("a weekend freeze starts at local midnight in winter and ends at local midnight in summer", () => {
    expect(active(weekend, "2026-03-27T22:59:59.999Z")).toBe(false); // Friday 23:59:59.999 CET
    expect(active(weekend, "2026-03-27T23:00:00.000Z")).toBe(true); // Saturday 00:00 CET
    expect(active(weekend, "2026-03-29T21:59:59.999Z")).toBe(true); // Sunday 23:59:59.999 CEST
    expect(active(weekend, "2026-03-29T22:00:00.000Z")).toBe(false); // Monday 00:00 CEST
  });

  it("and the other way round in October", () => {
    expect(active(weekend, "2026-10-23T21:59:59.999Z")).toBe(false);
    expect(active(weekend, "2026-10-23T22:00:00.000Z")).toBe(true); // Saturday 00:00 CEST
    expect(active(weekend, "2026-10-25T22:59:59.999Z")).toBe(true);
    expect(active(weekend, "2026-10-25T23:00:00.000Z")).toBe(false); // Monday 00:00 CET
  });

  it("the next transition follows the offset change", () => {
    expect(iso(nextTransition(weekend, at("2026-03-28T12:00:00Z")))).toBe("2026-03-29T22:00:00.000Z");
    expect(iso(nextTransition(weekend, at("2026-03-30T12:00:00Z")))).toBe("2026-04-03T22:00:00.000Z");
    expect(iso(nextTransition(weekend, at("2026-10-20T12:00:00Z")))).toBe("2026-10-23T22:00:00.000Z");
    expect(iso(nextTransition(weekend, at("2026-10-24T12:00:00Z")))).toBe("2026-10-25T23:00:00.000Z");
  });

  it("a window starting in the skipped hour opens when the clock jumps over its start", () => {
    const w = recurring("gap", ["sun"], "02:30-03:30", "Europe/Berlin");
    expect(active(w, "2026-03-29T00:59:59.999Z")).toBe(false); // 01:59:59.999 CET
    expect(active(w, "2026-03-29T01:00:00.000Z")).toBe(true); // 03:00 CEST: 02:30 has passed
    expect(active(w, "2026-03-29T01:29:59.999Z")).toBe(true);
    expect(active(w, "2026-03-29T01:30:00.000Z")).toBe(false); // 03:30 CEST
    expect(iso(nextTransition(w, at("2026-03-29T00:00:00Z")))).toBe("2026-03-29T01:00:00.000Z");
    expect(iso(nextTransition(w, at("2026-03-29T01:00:00Z")))).toBe("2026-03-29T01:30:00.000Z");
  });

  it("when clocks go forward a window loses the skipped part: shorter, or not open at all that day", () => {
    // 02:15-03:15: the clock jumps from 02:00 CET to 03:00 CEST, so it is frozen 03:00-03:15 CEST, 15 minutes
    const short = recurring("short", ["sun"], "02:15-03:15", "Europe/Berlin");
    expect(active(short, "2026-03-29T00:59:59.999Z")).toBe(false); // 01:59:59.999 CET
    expect(active(short, "2026-03-29T01:00:00.000Z")).toBe(true); // 03:00 CEST
    expect(active(short, "2026-03-29T01:14:59.999Z")).toBe(true);
    expect(active(short, "2026-03-29T01:15:00.000Z")).toBe(false); // 03:15 CEST
    // 02:00-02:30 lies wholly in the skipped hour: never frozen that day
    const gone = recurring("gone", ["sun"], "02:00-02:30", "Europe/Berlin");
    for (let t = at("2026-03-28T22:00:00Z"); t <= at("2026-03-29T04:00:00Z"); t += 60_000) expect([new Date(t).toISOString(), isFreezeActive(gone, t)]).toEqual([new Date(t).toISOString(), false]);
    expect(active(gone, "2026-04-05T00:15:00.000Z")).toBe(true); // a week later, 02:15 CEST
    // one that starts and ends outside the skipped hour holds through it: 01:00 CET to 04:00 CEST
    const night = recurring("night", ["sun"], "01:00-04:00", "Europe/Berlin");
    expect([active(night, "2026-03-28T23:59:59.999Z"), active(night, "2026-03-29T00:00:00.000Z"), active(night, "2026-03-29T01:59:59.999Z"), active(night, "2026-03-29T02:00:00.000Z")]).toEqual([false, true, true, false]);
  });

  it("a window over the repeated hour does not close in it: it runs from its first start to its end", () => {
    const w = recurring("fall", ["sun"], "02:30-04:00", "Europe/Berlin");
    expect(active(w, "2026-10-25T00:29:59.999Z")).toBe(false); // 02:29:59.999 CEST
    expect(active(w, "2026-10-25T00:30:00.000Z")).toBe(true); // 02:30 CEST
    expect(active(w, "2026-10-25T01:10:00.000Z")).toBe(true); // 02:10 CET, the hour again
    expect(active(w, "2026-10-25T02:59:59.999Z")).toBe(true); // 03:59:59.999 CET
    expect(active(w, "2026-10-25T03:00:00.000Z")).toBe(false); // 04:00 CET
    expect(iso(nextTransition(w, at("2026-10-25T00:30:00Z")))).toBe("2026-10-25T03:00:00.000Z");
  });

  it("a window ending in the repeated hour stays frozen until the clock reaches its end the second time", () => {
    const w = recurring("early", ["sun"], "01:00-02:30", "Europe/Berlin");
    expect(active(w, "2026-10-24T22:59:59.999Z")).toBe(false); // 00:59:59.999 CEST
    expect(active(w, "2026-10-24T23:00:00.000Z")).toBe(true); // 01:00 CEST
    expect(active(w, "2026-10-25T00:29:59.999Z")).toBe(true); // 02:29:59.999 CEST
    expect(active(w, "2026-10-25T00:45:00.000Z")).toBe(true); // 02:45 CEST: outside, but frozen on (fails closed)
    expect(active(w, "2026-10-25T01:15:00.000Z")).toBe(true); // 02:15 CET: the clock shows a frozen time again
    expect(active(w, "2026-10-25T01:29:59.999Z")).toBe(true); // 02:29:59.999 CET
    expect(active(w, "2026-10-25T01:30:00.000Z")).toBe(false); // 02:30 CET, the last time the clock shows it
    expect(iso(nextTransition(w, at("2026-10-25T00:00:00Z")))).toBe("2026-10-25T01:30:00.000Z");
  });

  it("02:30-03:00 on the night clocks go back (2026-10-25) is frozen both times the clock shows it", () => {
    const w = recurring("maintenance", ["sun"], "02:30-03:00", "Europe/Berlin");
    expect(active(w, "2026-10-25T00:29:59.999Z")).toBe(false); // 02:29:59.999 CEST
    expect(active(w, "2026-10-25T00:30:00.000Z")).toBe(true); // 02:30 CEST, the first time
    expect(active(w, "2026-10-25T00:59:59.999Z")).toBe(true); // 02:59:59.999 CEST
    expect(active(w, "2026-10-25T01:00:00.000Z")).toBe(true); // 02:00 CET: between the two, kept frozen
    expect(active(w, "2026-10-25T01:30:00.000Z")).toBe(true); // 02:30 CET, the second time
    expect(active(w, "2026-10-25T01:59:59.999Z")).toBe(true); // 02:59:59.999 CET
    expect(active(w, "2026-10-25T02:00:00.000Z")).toBe(false); // 03:00 CET
    expect(iso(nextTransition(w, at("2026-10-24T12:00:00Z")))).toBe("2026-10-25T00:30:00.000Z");
    expect(iso(nextTransition(w, at("2026-10-25T00:30:00Z")))).toBe("2026-10-25T02:00:00.000Z");
    // a week later, no change of clocks: half an hour
    expect(active(w, "2026-11-01T01:29:59.999Z")).toBe(false);
    expect(active(w, "2026-11-01T01:30:00.000Z")).toBe(true);
    expect(active(w, "2026-11-01T02:00:00.000Z")).toBe(false);
  });

  it("utcOffset reads the offset from Intl", () => {
    expect(utcOffset("Europe/Berlin", at("2026-01-15T12:00:00Z"))).toBe(3600_000);
    expect(utcOffset("Europe/Berlin", at("2026-07-15T12:00:00Z"))).toBe(7200_000);
    expect(utcOffset("Asia/Kolkata", at("2026-07-15T12:00:00.123Z"))).toBe(19800_000);
    expect(utcOffset("UTC", at("1969-12-31T23:59:59.999Z"))).toBe(0);
  });
});

describe("nextFreezeTransition", () => {
  const base = { paths: ["a/**"], rules: [rule("r", ["a/**"], 1, { users: ["x"] })] };

  it("is the earliest opening or closing of any window of any valid policy", () => {
    const set = policySet([
      policy({ ...base, environment: "a", freeze: [oneOff("later", "2026-12-10T00:00:00Z", "2026-12-11T00:00:00Z")] }),
      policy({ ...base, environment: "b", freeze: [recurring("weekend", ["sat", "sun"], "00:00-24:00", "Europe/Berlin")] }),
      policy({ ...base, environment: "c" }),
    ]);
    // Tuesday 2026-12-01: the weekend starts Friday 23:00 UTC
    expect(iso(nextFreezeTransition(set, at("2026-12-01T10:00:00Z")))).toBe("2026-12-04T23:00:00.000Z");
    expect(iso(nextFreezeTransition(set, at("2026-12-05T10:00:00Z")))).toBe("2026-12-06T23:00:00.000Z");
    expect(iso(nextFreezeTransition(set, at("2026-12-09T10:00:00Z")))).toBe("2026-12-10T00:00:00.000Z");
  });

  it("is null without windows, or when windows never change", () => {
    expect(nextFreezeTransition(policySet([]), 0)).toBeNull();
    const always = policy({ ...base, environment: "a", freeze: [recurring("always", [...DAYS], "00:00-24:00", "Europe/Berlin")] });
    expect(nextFreezeTransition(policySet([always]), at("2026-03-28T12:00:00Z"))).toBeNull();
    const past = policy({ ...base, environment: "a", freeze: [oneOff("past", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")] });
    expect(nextFreezeTransition(policySet([past]), at("2026-03-28T12:00:00Z"))).toBeNull();
  });

  it("skips a window in an unknown time zone", () => {
    const set = policySet([
      policy({ ...base, environment: "a", freeze: [recurring("x", ["mon"], "00:00-24:00", "Nowhere/Land")] }),
      policy({ ...base, environment: "b", freeze: [oneOff("later", "2026-12-10T00:00:00Z", "2026-12-11T00:00:00Z")] }),
    ]);
    expect(iso(nextFreezeTransition(set, at("2026-12-01T10:00:00Z")))).toBe("2026-12-10T00:00:00.000Z");
  });

  it("finds a short weekly window a week ahead", () => {
    const w = recurring("one minute", ["mon"], "00:00-00:01");
    expect(iso(nextTransition(w, at("2026-11-30T00:01:00Z")))).toBe("2026-12-07T00:00:00.000Z");
  });

  it("merges touching days into one freeze", () => {
    const w = recurring("weekend", ["sat", "sun"]);
    expect(iso(nextTransition(w, at("2026-12-05T10:00:00Z")))).toBe("2026-12-07T00:00:00.000Z");
  });
});

describe("properties", () => {
  const zones = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns"];
  const window = fc
    .record({
      days: fc.uniqueArray(fc.constantFrom<Day>(...DAYS), { minLength: 1, maxLength: 7 }),
      start: fc.integer({ min: 0, max: 1439 }),
      end: fc.integer({ min: 0, max: 1440 }),
      timezone: fc.constantFrom(...zones),
    })
    .map((w): Freeze => ({ kind: "recurring", name: "w", ...w }));
  // 2025-2028, which holds DST changes in every zone above
  const instant = fc.integer({ min: Date.parse("2025-01-01T00:00:00Z"), max: Date.parse("2028-01-01T00:00:00Z") });

  it("the next transition changes the state, and nothing changes before it", () => {
    fc.assert(
      fc.property(window, instant, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }), (w, now, samples) => {
        const t = nextTransition(w, now);
        const state = isFreezeActive(w, now);
        if (t === null) {
          // only a window that is on all the time never changes
          expect(state).toBe(true);
          return;
        }
        expect(t).toBeGreaterThan(now);
        expect(isFreezeActive(w, t)).not.toBe(isFreezeActive(w, t - 1));
        for (const s of samples) {
          const probe = now + Math.floor(s * (t - now));
          if (probe < t) expect(isFreezeActive(w, probe)).toBe(state);
        }
      }),
      { numRuns: 300 },
    );
  });

  /** The weekday and minute of the day (with fractions) a zone's clock shows at an instant. */
  const wallClock = (zone: string, instant: number): { day: Day; minute: number } => {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", weekday: "short", hour: "numeric", minute: "numeric", second: "numeric" }).formatToParts(instant);
    const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
    const ms = ((instant % 1000) + 1000) % 1000;
    const minute = Number(part("hour")) * 60 + Number(part("minute")) + (Number(part("second")) * 1000 + ms) / 60_000;
    return { day: part("weekday").toLowerCase().slice(0, 3) as Day, minute };
  };

  it("fails closed in every zone: whenever the clock shows a time inside a window, the window is active (DST included)", () => {
    fc.assert(
      fc.property(window, instant, (w, now) => {
        const r = w as Freeze & { kind: "recurring" };
        const { day, minute } = wallClock(r.timezone, now);
        const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7] as Day;
        const shown =
          r.end > r.start
            ? r.days.includes(day) && minute >= r.start && minute < r.end
            : (r.days.includes(day) && minute >= r.start) || (r.days.includes(yesterday) && minute < r.end);
        if (shown) expect(isFreezeActive(w, now)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("... including every minute of the nights clocks change, in Berlin, New York and Sydney", () => {
    const nights = [
      ["Europe/Berlin", "2026-03-29T00:00:00Z"],
      ["Europe/Berlin", "2026-10-25T00:00:00Z"],
      ["America/New_York", "2026-03-08T06:00:00Z"],
      ["America/New_York", "2026-11-01T05:00:00Z"],
      ["Australia/Sydney", "2026-04-04T15:00:00Z"],
      ["Australia/Sydney", "2026-10-03T15:00:00Z"],
    ] as const;
    const windows = ["01:30-02:30", "02:00-03:00", "02:30-03:00", "02:15-02:45", "01:00-02:30", "02:30-04:00", "23:00-02:30"];
    for (const [zone, from] of nights) {
      for (const time of windows) {
        const w: Freeze = { ...recurring("w", [...DAYS], time, zone) };
        const r = w as Freeze & { kind: "recurring" };
        for (let t = at(from); t < at(from) + 5 * 3_600_000; t += 60_000) {
          const { minute } = wallClock(zone, t);
          const shown = r.end > r.start ? minute >= r.start && minute < r.end : minute >= r.start || minute < r.end;
          if (shown && !isFreezeActive(w, t)) throw new Error(`${time} in ${zone} is open at ${new Date(t).toISOString()}, which the clock shows inside it`);
        }
      }
    }
  });

  it("in UTC, a window is active exactly when the weekday and minute say so", () => {
    fc.assert(
      fc.property(window, instant, (w, now) => {
        const utc = { ...w, timezone: "UTC" } as Freeze & { kind: "recurring" };
        const d = new Date(now);
        const minute = d.getUTCHours() * 60 + d.getUTCMinutes() + (d.getUTCSeconds() * 1000 + d.getUTCMilliseconds()) / 60_000;
        const today = DAYS[d.getUTCDay()] as Day;
        const yesterday = DAYS[(d.getUTCDay() + 6) % 7] as Day;
        const expected =
          utc.end > utc.start
            ? utc.days.includes(today) && minute >= utc.start && minute < utc.end
            : (utc.days.includes(today) && minute >= utc.start) || (utc.days.includes(yesterday) && minute < utc.end);
        expect(isFreezeActive(utc, now)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
