// Change-freeze windows: which one is active at an instant, and when the next one opens or closes.
// Local times come from Intl (one formatter per zone); no hand-written zone tables.
import { DAYS, type Freeze, type PolicySet, type RecurringFreeze } from "../policy/types.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Any instant within ±14 h of a local time may show it; ±18 h brackets every real UTC offset. */
const BRACKET = 18 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    // throws RangeError for a zone this runtime does not know
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The UTC offset (ms, local minus UTC) of a time zone at an instant. */
export function utcOffset(zone: string, instant: number): number {
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(zone || "UTC").formatToParts(instant)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  const wall = new Date(0);
  wall.setUTCFullYear(fields.year, fields.month - 1, fields.day);
  wall.setUTCHours(fields.hour, fields.minute, fields.second, 0);
  const ms = ((instant % 1000) + 1000) % 1000;
  return wall.getTime() + ms - instant;
}

/**
 * The zone's offsets 18 h before and after the local time `wall` (ms since the local epoch) and,
 * when they differ, the instant `at` of the one change between them.
 */
function offsetsAround(zone: string, wall: number): { before: number; after: number; at?: number } {
  const lo = wall - BRACKET;
  const hi = wall + BRACKET;
  const before = utcOffset(zone, lo);
  const after = utcOffset(zone, hi);
  if (before === after) return { before, after };
  // one offset change in the bracket: find its instant (offset `before` until it, `after` from it)
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const mid = a + Math.floor((b - a) / 2);
    if (utcOffset(zone, mid) === before) a = mid;
    else b = mid;
  }
  return { before, after, at: b };
}

/** The first instant at which the zone's clock reaches the local time `wall` (ms since the local epoch). */
function firstReach(zone: string, wall: number): number {
  const { before, after, at } = offsetsAround(zone, wall);
  if (at === undefined || wall - before < at) return wall - before; // reached before any change
  if (at + after >= wall) return at; // the clock jumped over `wall` at the change (a gap)
  return wall - after;
}

/**
 * The last instant at which the zone's clock reaches the local time `wall`: when clocks go back,
 * a time in the repeated hour is reached twice, and this is the second time.
 */
function lastReach(zone: string, wall: number): number {
  const { before, after, at } = offsetsAround(zone, wall);
  if (at === undefined) return wall - before;
  if (wall - after >= at) return wall - after; // reached after the change (again, in a repeated hour)
  if (wall - before < at) return wall - before;
  return at; // a gap: skipped, so reached at the jump
}

/** The local calendar day (days since the local epoch) of an instant. */
const localDay = (zone: string, instant: number): number => Math.floor((instant + utcOffset(zone, instant)) / DAY);

/**
 * The window a recurring freeze opens on local day `day`, as instants [open, close), or
 * undefined when it does not run that day. It opens the first time the local clock shows its
 * start and closes the last time the clock reaches its end, so it fails closed around DST:
 * a time skipped when clocks go forward opens or closes it at the jump, and when clocks go back
 * every local time of the window is frozen both times it is shown (the window may then run up
 * to an hour longer than its wall-clock length, never shorter).
 */
function windowOn(freeze: RecurringFreeze, day: number): [number, number] | undefined {
  const weekday = DAYS[(((day + 4) % 7) + 7) % 7];
  if (weekday === undefined || !freeze.days.includes(weekday)) return undefined;
  const zone = freeze.timezone;
  const open = firstReach(zone, day * DAY + freeze.start * MINUTE);
  const endDay = freeze.end <= freeze.start ? day + 1 : day;
  const close = lastReach(zone, endDay * DAY + freeze.end * MINUTE);
  return open < close ? [open, close] : undefined;
}

/** Whether one freeze window contains `now` (epoch ms): start inclusive, end exclusive. */
export function isFreezeActive(freeze: Freeze, now: number): boolean {
  if (freeze.kind === "one-off") return freeze.from <= now && now < freeze.until;
  const today = localDay(freeze.timezone, now);
  // a window lasts at most a day (and a DST hour), so only yesterday's and today's can hold now
  for (const day of [today - 1, today, today + 1]) {
    const w = windowOn(freeze, day);
    if (w && w[0] <= now && now < w[1]) return true;
  }
  return false;
}

/** The name of the first freeze window containing `now`, or null; throws RangeError for an unknown time zone. */
export function activeFreeze(freezes: readonly Freeze[], now: number): string | null {
  for (const freeze of freezes) if (isFreezeActive(freeze, now)) return freeze.name;
  return null;
}

/**
 * Local days looked at for the next transition. A weekly pattern changes within 7 days (and a
 * DST hour); edges are only trusted up to 10 days less the offset bracket, over 7.6 days ahead.
 */
const HORIZON_DAYS = 10;

/** The first instant after `now` at which one freeze window opens or closes, or null if it never does. */
export function nextTransition(freeze: Freeze, now: number): number | null {
  if (freeze.kind === "one-off") {
    if (freeze.from > now) return freeze.from;
    if (freeze.until > now) return freeze.until;
    return null;
  }
  const today = localDay(freeze.timezone, now);
  const windows: [number, number][] = [];
  for (let day = today - 2; day <= today + HORIZON_DAYS + 1; day++) {
    const w = windowOn(freeze, day);
    if (w) windows.push(w);
  }
  // merge windows that touch or overlap (sat 00:00-24:00 then sun 00:00-24:00 is one freeze)
  const merged: [number, number][] = [];
  for (const w of windows.sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else merged.push([w[0], w[1]]);
  }
  // only edges well inside the days looked at are real: the ones at either end may continue
  const limit = (today + HORIZON_DAYS) * DAY - BRACKET;
  for (const [open, close] of merged) {
    if (open > now && open < limit) return open;
    if (close > now && close < limit) return close;
  }
  return null;
}

/**
 * The earliest instant after `now` at which any freeze window of any valid policy opens or
 * closes, or null. A window in a time zone the runtime does not know is skipped: its
 * environment's decision is already an error.
 */
export function nextFreezeTransition(set: PolicySet, now: number): number | null {
  let next: number | null = null;
  for (const policy of set.policies) {
    for (const freeze of policy.freeze) {
      let t: number | null;
      try {
        t = nextTransition(freeze, now);
      } catch (e) {
        if (e instanceof RangeError) continue;
        throw e;
      }
      if (t !== null && (next === null || t < next)) next = t;
    }
  }
  return next;
}
