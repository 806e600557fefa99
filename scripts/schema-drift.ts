// The drift report of scripts/schema-types.ts: which columns differ between two generated schema modules.
// Pure, so test/lint/schema-types.spec.ts runs it without a database.

/** `table.column: type` for every column of every generated table interface (table named as in SQL where the DB map says so). */
export function columns(source: string): Map<string, string> {
  const tableOf = new Map<string, string>();
  const db = /export interface DB \{([^}]*)\}/.exec(source)?.[1] ?? '';
  for (const [, table, iface] of db.matchAll(/^\s*(\w+): (\w+);/gm)) tableOf.set(iface, table);
  const result = new Map<string, string>();
  for (const [, iface, body] of source.matchAll(/export interface (\w+) \{([^}]*)\}/g)) {
    if (iface === 'DB') continue;
    for (const [, column, type] of body.matchAll(/^\s*(\w+): (.+);$/gm)) result.set(`${tableOf.get(iface) ?? iface}.${column}`, type);
  }
  return result;
}

/** The columns that were added, removed or retyped between `committed` and `generated`, one line each. */
export function describeDrift(committed: string, generated: string, name = 'src/database/schema.ts'): string[] {
  const before = columns(committed);
  const after = columns(generated);
  const lines: string[] = [];
  for (const [column, type] of before) {
    if (!after.has(column)) lines.push(`  - ${column}: ${type}   (in ${name}, not in the migrated schema)`);
    else if (after.get(column) !== type) lines.push(`  ~ ${column}: ${type} -> ${after.get(column)}`);
  }
  for (const [column, type] of after)
    if (!before.has(column)) lines.push(`  + ${column}: ${type}   (in the migrated schema, not in ${name})`);
  return lines;
}
