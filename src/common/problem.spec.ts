import type { ArgumentsHost } from '@nestjs/common';
import { conflict } from '../domain';
import { ProblemException, ProblemFilter } from './problem';

/** What the filter sends for `exception` on a request to `url`. */
function answer(exception: unknown, url: string): { status: number; body: Record<string, unknown> } {
  const sent: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
  const reply = {
    status: (s: number) => ((sent.status = s), reply),
    header: () => reply,
    send: (b: Record<string, unknown>) => ((sent.body = b), reply),
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ url }) }) } as unknown as ArgumentsHost;
  new ProblemFilter().catch(exception, host);
  return sent;
}

describe(ProblemFilter.name, () => {
  it('names the path as the instance, never the query string (a secret may ride in it)', () => {
    const { body } = answer(new ProblemException(401, 'not signed'), '/v1/integrations/jira/webhook?secret=hunter2');
    expect(body.instance).toBe('/v1/integrations/jira/webhook');
  });

  it('maps a domain refusal to its status and fields', () => {
    expect(answer(conflict('Task t is already taken by Ana.', '/assignee'), '/v1/tasks/t/take')).toEqual({
      status: 409,
      body: {
        type: 'urn:warden:problem:conflict',
        title: 'Conflict',
        status: 409,
        detail: 'Task t is already taken by Ana.',
        errors: [{ path: '/assignee', message: 'Task t is already taken by Ana.' }],
        instance: '/v1/tasks/t/take',
      },
    });
  });
});
