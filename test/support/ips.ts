import { randomInt } from 'node:crypto';

/** A fresh IPv4 address per call, so tests never correlate with each other's alerts. */
export const uniqueIp = () => `10.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
