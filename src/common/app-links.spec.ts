import { incidentPageUrl, ipPageUrl, reportPageUrl, workspaceUrl } from './app-links';

describe('app links', () => {
  const ID = '0b5f7c3e-1111-4a4a-9c9c-123456789abc';

  it('opens the workspace on the incident, the report or the IP, from PUBLIC_URL with or without its trailing slash', () => {
    expect([
      incidentPageUrl('https://warden.example', ID),
      reportPageUrl('https://warden.example/', ID),
      ipPageUrl('https://soc.example/warden//', '2001:db8::7'),
      workspaceUrl('http://localhost:3000', 'queue'),
    ]).toEqual([
      'https://warden.example/app#incident/0b5f7c3e-1111-4a4a-9c9c-123456789abc',
      'https://warden.example/app#report/0b5f7c3e-1111-4a4a-9c9c-123456789abc',
      'https://soc.example/warden/app#ip/2001%3Adb8%3A%3A7',
      'http://localhost:3000/app#queue',
    ]);
  });

  it('never points at the JSON API', () => {
    expect(incidentPageUrl('https://warden.example', ID)).not.toContain('/v1/');
  });
});
