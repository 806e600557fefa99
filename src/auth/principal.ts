import type { Scope } from './api-key.entity';

/** Who is calling: the API key that authenticated the request. */
export interface Principal {
  keyId: string;
  name: string;
  scopes: Scope[];
  /** The analyst this key acts for, if any. */
  analystId: string | null;
  /** The alert sources this key may send; null: any. */
  sources: readonly string[] | null;
}

/** Who did it, for the audit log and task history: the analyst when the key names one. */
export const actorOf = (p: Principal): string => (p.analystId ? `analyst:${p.analystId}` : `key:${p.name}`);
