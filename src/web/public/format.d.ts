/** Types of format.js (a plain script served to the browser; Node specs require it too). */
export type StatKind = 'count' | 'duration' | 'ratio';
export function valueAt(stats: unknown, path: string): unknown;
export function format(kind: StatKind, value: unknown): string;
export function count(value: unknown): string;
export function duration(value: unknown): string;
export function ratio(value: unknown): string;
export function text(value: unknown): string;
export function time(value: unknown): string;
export function countdown(deadline: string | number | Date, now: string | number | Date): string;
export function hiddenCharacters(value: unknown): string[];
