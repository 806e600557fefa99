/** One workflow per incident; the id deduplicates starts and redeliveries. */
export const incidentWorkflowId = (incidentId: string) => `incident-${incidentId}`;
