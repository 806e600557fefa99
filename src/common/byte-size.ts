import { z } from 'zod';

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Parses `65536`, `512B`, `256KiB`, `64MiB`, `1GiB` (or a number of bytes) into whole bytes. */
export function parseByteSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not a whole number of bytes`);
    return value;
  }
  // Config text of a few characters: refuse anything long before matching it.
  const match = value.length <= 32 ? /^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$/.exec(value) : null;
  if (!match) throw new Error(`"${value.slice(0, 32)}" is not a size (examples: 65536, 256KiB, 64MiB, 1GiB)`);
  const bytes = Number(match[1]) * UNITS[match[2] ?? 'B'];
  if (!Number.isSafeInteger(bytes)) throw new Error(`"${value}" is too large`);
  return bytes;
}

/** A size in YAML, as bytes, within [min, max]. */
export const byteSizeSchema = (min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      const bytes = parseByteSize(v);
      if (bytes < min || bytes > max) throw new Error(`must be from ${min} to ${max} bytes; got ${bytes}`);
      return bytes;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
