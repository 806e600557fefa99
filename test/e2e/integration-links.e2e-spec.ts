import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { IntegrationLinks, type CreateAttempt } from '../../src/integrations/links';

// IntegrationLinks.ensure on the real PostgreSQL: the row its claim writes before `create` runs is the
// record of an attempt, so the attempt after one that failed is told the object may exist already.
// Subjects are fresh UUIDs, so the shared test database is fine.

describe(IntegrationLinks.name, () => {
  let db: DataSource;
  let links: IntegrationLinks;
  beforeAll(async () => {
    db = await new DataSource(dataSourceOptions(process.env.DATABASE_URL!, 2)).initialize();
    links = new IntegrationLinks(db);
  });
  afterAll(() => db?.destroy());

  /** Runs ensure with a create that records what it was told, then answers `made` or throws. */
  const attempt = async (subjectId: string, intent: Record<string, unknown>, outcome: 'made' | 'fails') => {
    const told: CreateAttempt[] = [];
    const run = links.ensure(
      'test',
      subjectId,
      async (a) => {
        told.push(a);
        if (outcome === 'fails') throw new Error('answered 500');
        return { externalId: `ext-${subjectId}`, external: { made: true } };
      },
      { intent },
    );
    const result = await run.then(
      (link) => link.externalId,
      (err: Error) => err.message,
    );
    return { told, result };
  };

  it('tells a first attempt that it is the first, and what it aims at', async () => {
    const { told, result } = await attempt(randomUUID(), { channel: '#soc' }, 'made');
    expect({ told, result: result?.startsWith('ext-') }).toEqual({
      told: [{ earlierSince: null, intent: { channel: '#soc' } }],
      result: true,
    });
  });

  it('tells the attempt after a failed one when that one began, and keeps its aim', async () => {
    const subjectId = randomUUID();
    await attempt(subjectId, { channel: '#soc' }, 'fails');
    const [{ created_at: firstBegan }] = await db.query(
      `SELECT created_at FROM integration_links WHERE channel = 'test' AND subject_id = $1`,
      [subjectId],
    );
    const { told } = await attempt(subjectId, { channel: '#elsewhere' }, 'made');
    expect(told).toEqual([{ earlierSince: firstBegan, intent: { channel: '#soc' } }]);
  });

  it('creates nothing once the object is stored', async () => {
    const subjectId = randomUUID();
    await attempt(subjectId, {}, 'made');
    const { told, result } = await attempt(subjectId, {}, 'made');
    expect({ told, result }).toEqual({ told: [], result: `ext-${subjectId}` });
  });

  it('stores what the create answered, not the aim', async () => {
    const subjectId = randomUUID();
    await attempt(subjectId, { channel: '#soc' }, 'made');
    const link = await links.find('test', subjectId);
    expect([link?.externalId, link?.external]).toEqual([`ext-${subjectId}`, { made: true }]);
  });
});
