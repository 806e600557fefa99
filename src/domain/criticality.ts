/** How much an asset or identity matters to the business, lowest first (config/assets.yaml). */
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export const criticalityRank = (c: Criticality): number => CRITICALITIES.indexOf(c);

/** The highest of some criticalities; undefined for none. */
export const highestCriticality = (values: Iterable<Criticality>): Criticality | undefined => {
  let best: Criticality | undefined;
  for (const v of values) if (best === undefined || criticalityRank(v) > criticalityRank(best)) best = v;
  return best;
};
