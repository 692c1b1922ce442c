import { z } from 'zod';

/** Field shapes shared by the configuration's parts (src/config.ts, auth, alert sinks, console). */

/** A URL with one of `protocols`; anything else is refused with `message`. */
export const urlField = (protocols: string[], message: string) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, message);

/** A comma-separated list: parts trimmed (and normalised), empty parts dropped, each checked by `item`. */
export const commaList = <T extends z.ZodType<string, string>>(item: T, normalise = (part: string) => part) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => normalise(part.trim()))
        .filter(Boolean),
    )
    .pipe(z.array(item));
