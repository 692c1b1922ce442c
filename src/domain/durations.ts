/**
 * ISO-8601 durations limited to days, hours, minutes and seconds: calendar units (years,
 * months) have no fixed length, and a release window must mean the same thing everywhere.
 * Pure code: also used inside the workflow sandbox.
 */
const PATTERN = /^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

export function isIsoDuration(value: string): boolean {
  return PATTERN.test(value);
}

export function durationToMs(value: string): number {
  const match = PATTERN.exec(value);
  if (!match) throw new RangeError(`${JSON.stringify(value)} is not an ISO-8601 duration such as PT30M`);
  const [, days, hours, minutes, seconds] = match;
  return Math.round(
    (Number(days ?? 0) * 86_400 + Number(hours ?? 0) * 3_600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0)) * 1000,
  );
}
