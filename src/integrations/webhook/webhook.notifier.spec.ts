import { noticePageUrl } from './webhook.notifier';

describe(noticePageUrl.name, () => {
  const PUBLIC = 'https://warden.example';
  const INCIDENT = '0b5f7c3e-1111-4a4a-9c9c-123456789abc';

  it("links an incident's notice to the incident's page in the workspace", () => {
    expect(noticePageUrl(PUBLIC, { incidentId: INCIDENT, data: {} })).toBe(`${PUBLIC}/app#incident/${INCIDENT}`);
  });

  it('links a notice of no incident to the page its data names (a report), or to nothing', () => {
    expect([
      noticePageUrl(PUBLIC, { incidentId: null, data: { url: `${PUBLIC}/app#report/r1` } }),
      noticePageUrl(PUBLIC, { incidentId: null, data: {} }),
    ]).toEqual([`${PUBLIC}/app#report/r1`, null]);
  });
});
