// The links Warden sends people (Slack, Jira, notices, reports, the CLI) open the analyst's
// workspace (GET /app) on the page for the thing, never the JSON API: a person clicking one has a
// browser and a session, not a bearer key. The #fragment names the view (never sent to the server).

/** `PUBLIC_URL/app#<view>`. */
export const workspaceUrl = (publicUrl: string, view: string): string => `${publicUrl.replace(/\/+$/, '')}/app#${view}`;

/** The incident's page: alerts, tasks and actions, playbook runs, approvals, evidence. */
export const incidentPageUrl = (publicUrl: string, incidentId: string): string =>
  workspaceUrl(publicUrl, `incident/${encodeURIComponent(incidentId)}`);

/** A stored report's page (daily or executive). */
export const reportPageUrl = (publicUrl: string, reportId: string): string =>
  workspaceUrl(publicUrl, `report/${encodeURIComponent(reportId)}`);

/** The IP investigation's page. */
export const ipPageUrl = (publicUrl: string, ip: string): string => workspaceUrl(publicUrl, `ip/${encodeURIComponent(ip)}`);
