import { generateApiKey, grants, hashApiKey } from './api-keys';

describe('generateApiKey', () => {
  it('starts with the wdn_ prefix', () => {
    expect(generateApiKey()).toMatch(/^wdn_/);
  });

  it('is at least 40 characters of URL-safe text', () => {
    const key = generateApiKey();
    expect(key.length).toBeGreaterThanOrEqual(40);
    expect(key).toMatch(/^wdn_[A-Za-z0-9_-]+$/);
  });

  it('is different every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateApiKey()));
    expect(keys.size).toBe(50);
  });
});

describe('hashApiKey', () => {
  it('is the hex sha256 of the key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('is stable for the same key', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs between keys', () => {
    expect(hashApiKey('wdn_a')).not.toBe(hashApiKey('wdn_b'));
  });

  it('does not contain the key itself', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).not.toContain(key.slice(4));
  });
});

describe('grants', () => {
  describe('admin', () => {
    it.each(['admin', 'lead', 'analyst', 'ingest'] as const)('grants %s', (needed) => {
      expect(grants(['admin'], needed)).toBe(true);
    });
  });

  describe('lead', () => {
    it('grants lead and analyst', () => {
      expect(grants(['lead'], 'lead')).toBe(true);
      expect(grants(['lead'], 'analyst')).toBe(true);
    });

    it('does not grant ingest or admin', () => {
      expect(grants(['lead'], 'ingest')).toBe(false);
      expect(grants(['lead'], 'admin')).toBe(false);
    });
  });

  describe('ingest', () => {
    it('grants only ingest', () => {
      expect(grants(['ingest'], 'ingest')).toBe(true);
      expect(grants(['ingest'], 'analyst')).toBe(false);
      expect(grants(['ingest'], 'lead')).toBe(false);
      expect(grants(['ingest'], 'admin')).toBe(false);
    });
  });

  describe('analyst', () => {
    it('grants analyst but not lead, admin or ingest', () => {
      expect(grants(['analyst'], 'analyst')).toBe(true);
      expect(grants(['analyst'], 'lead')).toBe(false);
      expect(grants(['analyst'], 'admin')).toBe(false);
      expect(grants(['analyst'], 'ingest')).toBe(false);
    });
  });

  describe('several scopes', () => {
    it('grants what any held scope grants', () => {
      expect(grants(['ingest', 'lead'], 'analyst')).toBe(true);
      expect(grants(['ingest', 'analyst'], 'ingest')).toBe(true);
    });

    it('grants nothing with no scopes', () => {
      expect(grants([], 'analyst')).toBe(false);
    });
  });
});
