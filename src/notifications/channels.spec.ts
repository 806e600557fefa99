import { alertsAddedKey, channelsFor, subscriptions } from './channels';

describe('channel routing', () => {
  const all = subscriptions({ webhook: true, slack: true, jira: true, webhooks: [{ name: 'siem', events: ['task.resolved'] }] });

  it('sends a notice to people to every channel, and no digest to Slack or Jira', () => {
    expect({
      assigned: channelsFor('assigned', undefined, all),
      digest: channelsFor('digest', undefined, all),
    }).toEqual({ assigned: ['log', 'webhook', 'slack', 'jira'], digest: ['log', 'webhook'] });
  });

  it('sends state events only to the channels that follow them, and a webhook only its events', () => {
    expect({
      resolved: channelsFor('task.resolved', undefined, all),
      alerts: channelsFor('incident.alerts_added', undefined, all),
    }).toEqual({ resolved: ['slack', 'jira', 'webhook:siem'], alerts: ['slack', 'jira'] });
  });

  it('never sends a change back to the channel it came from', () => {
    expect({ fromJira: channelsFor('task.resolved', 'jira', all), fromSlack: channelsFor('approval.decided', 'slack', all) }).toEqual({
      fromJira: ['slack', 'webhook:siem'],
      fromSlack: ['jira'],
    });
  });

  it('sends a report notice to the log and the webhook only: Slack and Jira follow incidents', () => {
    expect(channelsFor('report.published', undefined, all)).toEqual(['log', 'webhook']);
  });

  it('has only the log when nothing is configured', () => {
    expect(subscriptions({ webhook: false, slack: false, jira: false, webhooks: [] }).map((s) => s.name)).toEqual(['log']);
  });

  it('keys an incident’s coalesced alerts row by the incident', () => {
    expect(alertsAddedKey('abc')).toBe('incident-abc:alerts-added');
  });
});
