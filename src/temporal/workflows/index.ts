// Everything exported here is registered as a workflow. Import nothing from Nest or TypeORM.
export { incidentWorkflow } from './incident.workflow';
export { digestWorkflow } from './digest.workflow';
export { playbookRunWorkflow } from './playbook-run.workflow';
export { reportWorkflow } from './report.workflow';
export { playbookRedriveWorkflow } from './playbook-redrive.workflow';
