import { signJiraWebhook, verifyJiraWebhook } from './signature';

describe('jira webhook proof', () => {
  const secret = 'a-jira-webhook-secret-of-length';
  const rawBody = JSON.stringify({ webhookEvent: 'jira:issue_updated', timestamp: 1, issue: { key: 'SOC-1' } });

  describe('X-Hub-Signature', () => {
    it('verifies the HMAC Jira sends', () => {
      expect(verifyJiraWebhook({ rawBody, header: signJiraWebhook(rawBody, secret), secret })).toBe(true);
    });

    it('takes the hex in either case and a Buffer body', () => {
      const header = `sha256=${signJiraWebhook(rawBody, secret).slice(7).toUpperCase()}`;
      expect(verifyJiraWebhook({ rawBody: Buffer.from(rawBody), header, secret })).toBe(true);
    });

    it('refuses a changed body', () => {
      expect(verifyJiraWebhook({ rawBody: rawBody + ' ', header: signJiraWebhook(rawBody, secret), secret })).toBe(false);
    });

    it('refuses another secret', () => {
      expect(verifyJiraWebhook({ rawBody, header: signJiraWebhook(rawBody, 'another-secret-entirely'), secret })).toBe(false);
    });

    it('refuses malformed headers', () => {
      for (const header of ['sha256=', 'sha256=zz', 'sha1=abcd', signJiraWebhook(rawBody, secret).slice(0, -2), 'garbage']) {
        expect(verifyJiraWebhook({ rawBody, header, secret })).toBe(false);
      }
    });

    it('lets a wrong header win over a right query secret', () => {
      expect(verifyJiraWebhook({ rawBody, header: 'sha256=' + '0'.repeat(64), querySecret: secret, secret })).toBe(false);
    });
  });

  describe('?secret=', () => {
    it('accepts the shared secret', () => {
      expect(verifyJiraWebhook({ rawBody, querySecret: secret, secret })).toBe(true);
    });

    it('refuses another one, whatever its length', () => {
      for (const querySecret of ['x', secret.slice(0, -1), secret + 'x', '']) {
        expect(verifyJiraWebhook({ rawBody, querySecret, secret })).toBe(false);
      }
    });

    it('refuses a repeated parameter', () => {
      expect(verifyJiraWebhook({ rawBody, querySecret: [secret, secret], secret })).toBe(false);
    });
  });

  it('refuses everything without a proof or without a configured secret', () => {
    expect(verifyJiraWebhook({ rawBody, secret })).toBe(false);
    expect(verifyJiraWebhook({ rawBody, header: signJiraWebhook(rawBody, ''), querySecret: '', secret: '' })).toBe(false);
  });
});
