import { Analyst, AssignmentCursor, Role, Team } from '../assignment/analyst.entity';
import { AuditEvent } from '../audit/audit-event.entity';
import { Silence } from '../correlation/silence.entity';
import { Alert } from '../correlation/alert.entity';
import { ApiKey } from '../auth/api-key.entity';
import { Notification } from '../notifications/notification.entity';
import { Incident } from '../correlation/incident.entity';
import { SlaBreach } from '../tasks/sla-breach.entity';
import { TaskAssignment } from '../assignment/task-assignment.entity';
import { TaskComment } from '../tasks/task-comment.entity';
import { Task } from '../tasks/task.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';

/** Every entity, for the DataSource used by the api, the worker and the migration CLI. */
export const entities = [
  AuditEvent,
  ApiKey,
  Alert,
  Incident,
  OutboxMessage,
  Silence,
  Role,
  Team,
  Analyst,
  AssignmentCursor,
  Task,
  TaskAssignment,
  TaskComment,
  SlaBreach,
  Notification,
];
