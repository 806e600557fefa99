// Where a person opens Warden's objects in the outside tools: pure, so every channel and page builds them alike.

/** Jira's browse link of an issue. */
export const jiraIssueUrl = (jiraBaseUrl: string, key: string): string =>
  `${jiraBaseUrl.replace(/\/+$/, '')}/browse/${encodeURIComponent(key)}`;

/**
 * A Slack thread's link. With the workspace's own address (`https://acme.slack.com`) it is the
 * message's permalink (`/archives/<channel>/p<ts without its dot>`), which Slack's apps open at the
 * thread; without it, Slack's redirect to the channel, which opens in whichever workspace the
 * person is signed in to.
 */
export function slackThreadUrl(channel: string, ts: string, workspaceUrl: string | undefined): string {
  if (workspaceUrl) return `${workspaceUrl.replace(/\/+$/, '')}/archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
  return `https://slack.com/app_redirect?channel=${encodeURIComponent(channel)}`;
}
