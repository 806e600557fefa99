import { jiraIssueUrl, slackThreadUrl } from './external-urls';

describe('external URLs', () => {
  describe(jiraIssueUrl.name, () => {
    it("is Jira's browse page of the key, whatever the base URL ends in", () => {
      expect([jiraIssueUrl('https://acme.atlassian.net', 'SOC-12'), jiraIssueUrl('https://jira.example/', 'SOC-12')]).toEqual([
        'https://acme.atlassian.net/browse/SOC-12',
        'https://jira.example/browse/SOC-12',
      ]);
    });
  });

  describe(slackThreadUrl.name, () => {
    it("is the top message's permalink when the workspace's address is known", () => {
      expect(slackThreadUrl('C0123ABC', '1712345678.000200', 'https://acme.slack.com/')).toBe(
        'https://acme.slack.com/archives/C0123ABC/p1712345678000200',
      );
    });

    it("is Slack's redirect to the channel when it is not", () => {
      expect(slackThreadUrl('C0123ABC', '1712345678.000200', undefined)).toBe('https://slack.com/app_redirect?channel=C0123ABC');
    });
  });
});
