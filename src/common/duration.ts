import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `90`, `30s`, `5m`, `1h`, `2d` (or a number of seconds) into seconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration (examples: 30s, 5m, 1h, 2d)`);
  return Number(match[1]) * UNITS[match[2] ?? 's'];
}

/** A duration in YAML, as seconds. */
export const durationSchema = z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
  try {
    const seconds = parseDuration(v);
    if (seconds <= 0) throw new Error('must be positive');
    return seconds;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
