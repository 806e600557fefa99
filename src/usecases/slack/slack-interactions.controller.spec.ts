import { ProblemException } from '../../common/problem';
import { conflict } from '../../domain';
import { actorName, type Actor } from '../actor';
import type { Env } from '../../common/env';
import { ACTIONS } from '../../integrations/slack/blocks';
import { NOT_MAPPED, SlackInteractionsController, type SlackRequest } from './slack-interactions.controller';
import { signSlackRequest } from './signature';

const SECRET = 'slack-signing-secret-for-tests';
const TASK_ID = '11111111-2222-4333-8444-555555555555';
const APPROVAL_ID = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T1/1/abc';

const env = { SLACK_SIGNING_SECRET: SECRET, SLACK_RESPONSE_URL_PREFIX: 'https://hooks.slack.com/' } as Env;

function setup() {
  const calls: string[] = [];
  const task = { id: TASK_ID, title: 'Port <scan>', status: 'acknowledged' };
  let refuse: Error | null = null;
  /** A use case double: refuses when told to, else records its command (the actor as its audit name and origin). */
  const useCase =
    <T>(name: string, answer: T, show: (c: Record<string, unknown>) => string) =>
    async (c: Record<string, unknown> & { actor: Actor }) => {
      if (refuse) throw refuse;
      calls.push(`${name} ${show(c)} ${actorName(c.actor)} ${c.actor.origin}`);
      return answer;
    };
  const controller = new SlackInteractionsController(
    env,
    { analystBySlackUser: (u: string) => (u === 'U0ALICE' ? { id: 'alice', name: 'Alice', role: 'analyst', team: null } : null) } as never,
    { listTasks: async () => ({ items: [], nextCursor: null }) } as never,
    { execute: useCase('ack', task, (c) => String(c.taskId)) } as never,
    { execute: useCase('take', task, (c) => `${c.taskId} ${c.reason}`) } as never,
    { execute: useCase('resolve', task, (c) => `${c.taskId} ${c.disposition} ${c.resolution}`) } as never,
    { execute: useCase('decide', { action: 'block_ip', stepId: 'block' }, (c) => `${c.approvalId} ${c.decision} ${c.reason}`) } as never,
    { execute: useCase('away', {}, (c) => `${c.analystId} ${JSON.stringify(c.change)}`) } as never,
  );
  return { controller, calls, refuseWith: (e: Error) => (refuse = e) };
}

/** A form request as the content-type parser leaves it: parsed body, raw text, signed headers. */
function form(fields: Record<string, string>, { secret = SECRET, at = Math.floor(Date.now() / 1000) } = {}) {
  const raw = new URLSearchParams(fields).toString();
  return {
    req: { rawBody: raw } as SlackRequest,
    body: Object.fromEntries(new URLSearchParams(raw)),
    signature: signSlackRequest(raw, secret, at),
    timestamp: String(at),
  };
}

const click = (action: Record<string, unknown>, user = 'U0ALICE') =>
  form({ payload: JSON.stringify({ type: 'block_actions', user: { id: user }, response_url: RESPONSE_URL, actions: [action] }) });

/** Polls until the response_url was posted to (it goes out after the answer). */
async function posted(fetchMock: jest.SpyInstance): Promise<{ text: string; response_type: string; replace_original: boolean }> {
  const deadline = Date.now() + 2000;
  while (fetchMock.mock.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  const [url, init] = fetchMock.mock.calls[0] as [string, { body: string }];
  expect(url).toBe(RESPONSE_URL);
  return JSON.parse(init.body);
}

describe(SlackInteractionsController.name, () => {
  let fetchMock: jest.SpyInstance;
  beforeEach(() => {
    fetchMock = jest.spyOn(global, 'fetch').mockResolvedValue(new Response('ok'));
  });
  afterEach(async () => {
    // A test that does not wait for its response_url post lets it go out here, not in the next test.
    await new Promise((resolve) => setImmediate(resolve));
    fetchMock.mockRestore();
  });

  describe('interactions', () => {
    it('refuses a wrong signature with 401 and does nothing', async () => {
      const { controller, calls } = setup();
      const r = click({ action_id: ACTIONS.ack, value: TASK_ID });
      await expect(controller.interactions(r.req, r.body, `v0=${'0'.repeat(64)}`, r.timestamp)).rejects.toMatchObject({ status: 401 });
      expect(calls).toEqual([]);
    });

    it('refuses an old timestamp with 401', async () => {
      const { controller } = setup();
      const r = form({ payload: '{}' }, { at: Math.floor(Date.now() / 1000) - 301 });
      await expect(controller.interactions(r.req, r.body, r.signature, r.timestamp)).rejects.toBeInstanceOf(ProblemException);
    });

    it('acknowledges as the mapped analyst, from Slack', async () => {
      const { controller, calls } = setup();
      const r = click({ action_id: ACTIONS.ack, value: TASK_ID });
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      expect(calls).toEqual([`ack ${TASK_ID} analyst:alice slack`]);
    });

    it('confirms ephemerally through the response_url, escaped', async () => {
      const { controller } = setup();
      const r = click({ action_id: ACTIONS.ack, value: TASK_ID });
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      expect(await posted(fetchMock)).toEqual({
        response_type: 'ephemeral',
        replace_original: false,
        text: ':eyes: Acknowledged *Port &lt;scan&gt;*.',
      });
    });

    it('takes the task for the clicking analyst', async () => {
      const { controller, calls } = setup();
      const r = click({ action_id: ACTIONS.take, value: TASK_ID });
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      expect(calls).toEqual([`take ${TASK_ID} taken in Slack analyst:alice slack`]);
    });

    it('decides an approval with the reason naming the analyst', async () => {
      const { controller, calls } = setup();
      const r = click({ action_id: ACTIONS.deny, value: APPROVAL_ID });
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      expect(calls).toEqual([`decide ${APPROVAL_ID} deny from Slack by Alice analyst:alice slack`]);
    });

    it('tells the user a refusal and changes nothing', async () => {
      const { controller, calls, refuseWith } = setup();
      refuseWith(conflict('Task x is already taken by Bob.'));
      const r = click({ action_id: ACTIONS.take, value: TASK_ID });
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      expect({ text: (await posted(fetchMock)).text, calls }).toEqual({
        text: ':no_entry: Task x is already taken by Bob.',
        calls: [],
      });
    });

    it('tells an unmapped Slack user so', async () => {
      const { controller } = setup();
      const r = click({ action_id: ACTIONS.ack, value: TASK_ID }, 'U0NOBODY');
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      expect((await posted(fetchMock)).text).toBe(NOT_MAPPED);
    });

    it('posts to no response_url outside the configured prefix', async () => {
      const { controller, calls } = setup();
      const r = form({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: 'U0ALICE' },
          response_url: 'http://169.254.169.254/latest',
          actions: [{ action_id: ACTIONS.ack, value: TASK_ID }],
        }),
      });
      await controller.interactions(r.req, r.body, r.signature, r.timestamp);
      // The action ran before the answer; the post would follow on the next turn.
      await new Promise((resolve) => setImmediate(resolve));
      expect({ calls, fetched: fetchMock.mock.calls.length }).toEqual({ calls: [`ack ${TASK_ID} analyst:alice slack`], fetched: 0 });
    });
  });

  describe('commands', () => {
    const command = (text: string, user = 'U0ALICE') => form({ command: '/warden', text, user_id: user, response_url: RESPONSE_URL });

    it('answers in the HTTP body, ephemerally', async () => {
      const { controller } = setup();
      const r = command('mine');
      expect(await controller.commands(r.req, r.body, r.signature, r.timestamp)).toEqual({
        response_type: 'ephemeral',
        text: 'You have no open tasks.',
      });
    });

    it('resolves with the note', async () => {
      const { controller, calls } = setup();
      const r = command(`resolve ${TASK_ID} fp scanner`);
      await controller.commands(r.req, r.body, r.signature, r.timestamp);
      expect(calls).toEqual([`resolve ${TASK_ID} false_positive scanner analyst:alice slack`]);
    });

    it('marks the analyst away', async () => {
      const { controller, calls } = setup();
      const r = command('away');
      await controller.commands(r.req, r.body, r.signature, r.timestamp);
      expect(calls).toEqual(['away alice {"available":false} analyst:alice slack']);
    });

    it('answers a refusal in the body', async () => {
      const { controller, refuseWith } = setup();
      refuseWith(new ProblemException(404, `No task ${TASK_ID}.`));
      const r = command(`ack ${TASK_ID}`);
      expect((await controller.commands(r.req, r.body, r.signature, r.timestamp)).text).toBe(`:no_entry: No task ${TASK_ID}.`);
    });

    it('refuses an unsigned command with 401', async () => {
      const { controller } = setup();
      const r = command('mine');
      await expect(controller.commands(r.req, r.body, undefined, r.timestamp)).rejects.toMatchObject({ status: 401 });
    });

    it('escapes an unknown command it repeats', async () => {
      const { controller } = setup();
      const r = command('<!channel>');
      expect((await controller.commands(r.req, r.body, r.signature, r.timestamp)).text).toMatch(/^Unknown command "&lt;!channel&gt;"\./);
    });
  });
});
