// The times of freeze windows: RFC 3339 instants, "HH:MM-HH:MM" local time ranges and IANA time zones.

/** An RFC 3339 date-time with seconds and an explicit zone (`Z` or `±HH:MM`). */
export const DATE_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * A local time range `HH:MM-HH:MM` from 00:00 to 24:00, where 24:00 may only end it.
 * An end before the start is allowed: the window runs past midnight into the next day.
 */
export const TIME_RANGE_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)-(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

/** The whole day, the default `time` of a recurring window. */
export const WHOLE_DAY = "00:00-24:00";

/** Epoch milliseconds of an RFC 3339 date-time with an explicit zone; undefined unless it names a real instant. */
export function parseInstant(text: string): number | undefined {
  const match = DATE_TIME_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = match[7] === undefined ? 0 : Math.floor(Number(`0${match[7]}`) * 1000);
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, fraction);
  const offset = (match[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  return local.getTime() - offset * 60_000;
}

/** Start and end of a time range in minutes since local midnight (end up to 1440); undefined when malformed. */
export function parseTimeRange(text: string): { start: number; end: number } | undefined {
  const match = TIME_RANGE_PATTERN.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]) * 60 + Number(match[2]);
  const end = match[5] === undefined ? Number(match[3]) * 60 + Number(match[4]) : 24 * 60;
  return { start, end };
}

/** Whether the runtime knows `name` as a time zone (asks Intl; carries no zone tables of its own). */
export function isTimeZone(name: string): boolean {
  if (name.trim() === "") return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
}
