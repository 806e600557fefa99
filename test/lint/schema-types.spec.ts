import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { columns, describeDrift } from '../../scripts/schema-drift';

const schemaFile = join(__dirname, '..', '..', 'src', 'database', 'schema.ts');

// The drift report of `make lint`'s schema check (scripts/schema-drift.ts), on the committed schema module.
describe('schema types drift report', () => {
  const committed = readFileSync(schemaFile, 'utf8');

  it('reads every table column under its SQL table name', () => {
    const cols = columns(committed);
    expect(cols.get('tasks.resolution')).toBe('string | null');
    expect(cols.get('audit_log.id')).toBe('Generated<Int8>');
    expect([...cols.keys()].some((c) => c.startsWith('migrations.'))).toBe(false);
  });

  it('names a renamed column and a retyped one', () => {
    const generated = committed
      .replace('  resolution: string | null;', '  resolution_text: string | null;')
      .replace('  seq: number;', '  seq: Int8;');
    const drift = describeDrift(committed, generated);
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}- tasks\.resolution: string \| null /),
        expect.stringMatching(/^ {2}\+ tasks\.resolution_text: string \| null /),
        '  ~ evidence_bundles.seq: number -> Int8',
      ]),
    );
    expect(drift).toHaveLength(3);
  });

  it('reports nothing for the same text', () => {
    expect(describeDrift(committed, committed)).toEqual([]);
  });
});
