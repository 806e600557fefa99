import fc from 'fast-check';
import { ACTIONS } from '../../integrations/slack/blocks';
import { isCommandError, parseInteraction, parseSlashCommand, parseUntil } from './interactions';

const TASK_ID = '11111111-2222-4333-8444-555555555555';
const APPROVAL_ID = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T1/1/abc';
const NOW = new Date('2026-01-02T10:00:00Z');

const interaction = (action: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, response_url: RESPONSE_URL, actions: [action], ...over }),
});
const slash = (text: string, over: Record<string, string> = {}) =>
  parseSlashCommand({ command: '/warden', text, user_id: 'U0ALICE', response_url: RESPONSE_URL, ...over }, NOW);

describe('parseInteraction', () => {
  it.each([
    [ACTIONS.ack, 'ack'],
    [ACTIONS.take, 'take'],
  ])('reads %s with its task id', (action_id, kind) => {
    expect(parseInteraction(interaction({ action_id, value: TASK_ID }))).toEqual({
      kind,
      taskId: TASK_ID,
      slackUserId: 'U0ALICE',
      responseUrl: RESPONSE_URL,
    });
  });

  it('reads a resolve choice with its disposition', () => {
    const parsed = parseInteraction(interaction({ action_id: ACTIONS.resolve, selected_option: { value: `${TASK_ID}:false_positive` } }));
    expect(parsed).toMatchObject({ kind: 'resolve', taskId: TASK_ID, disposition: 'false_positive' });
  });

  it.each([
    [ACTIONS.approve, 'approve'],
    [ACTIONS.deny, 'deny'],
  ])('reads %s with its approval id', (action_id, kind) => {
    expect(parseInteraction(interaction({ action_id, value: APPROVAL_ID }))).toMatchObject({ kind, approvalId: APPROVAL_ID });
  });

  it.each([
    ['no payload', {}],
    ['a payload that is not JSON', { payload: '{nope' }],
    ['a payload that is not an object', { payload: '[1]' }],
    ['another interaction type', { payload: JSON.stringify({ type: 'view_submission', user: { id: 'U0ALICE' } }) }],
    ['no user', interaction({ action_id: ACTIONS.ack, value: TASK_ID }, { user: null })],
    ['a user id that is not one', interaction({ action_id: ACTIONS.ack, value: TASK_ID }, { user: { id: '<!channel>' } })],
    ['no action', interaction({}, { actions: [] })],
    ['an unknown action', interaction({ action_id: 'warden.delete', value: TASK_ID })],
    ['a task id that is not a UUID', interaction({ action_id: ACTIONS.ack, value: "1' OR 1=1" })],
    ['a resolve without a disposition', interaction({ action_id: ACTIONS.resolve, selected_option: { value: TASK_ID } })],
    ['a resolve with an unknown disposition', interaction({ action_id: ACTIONS.resolve, selected_option: { value: `${TASK_ID}:maybe` } })],
    ['a resolve with extra parts', interaction({ action_id: ACTIONS.resolve, selected_option: { value: `${TASK_ID}:benign:x` } })],
    ['an approval id that is not a UUID', interaction({ action_id: ACTIONS.approve, value: 'x' })],
  ])('refuses %s', (_what, form) => {
    expect(isCommandError(parseInteraction(form))).toBe(true);
  });

  it('keeps the response URL of a refused action, so the user can be told', () => {
    expect(parseInteraction(interaction({ action_id: 'warden.delete' }))).toMatchObject({
      slackUserId: 'U0ALICE',
      responseUrl: RESPONSE_URL,
    });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (form, payload) => {
        parseInteraction(form);
        parseInteraction({ payload: JSON.stringify(payload) ?? '' });
        parseInteraction({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1X' }, actions: [payload] }) });
      }),
    );
  });
});

describe('parseSlashCommand', () => {
  it('reads mine', () => {
    expect(slash('mine')).toEqual({ kind: 'mine', slackUserId: 'U0ALICE', responseUrl: RESPONSE_URL });
  });

  it.each(['ack', 'take'])('reads %s with its task id', (sub) => {
    expect(slash(`${sub} ${TASK_ID}`)).toMatchObject({ kind: sub, taskId: TASK_ID });
  });

  it('reads resolve with a disposition and the note as written', () => {
    expect(slash(`resolve ${TASK_ID} false-positive  scanner from  the red team`)).toMatchObject({
      kind: 'resolve',
      taskId: TASK_ID,
      disposition: 'false_positive',
      text: 'scanner from  the red team',
    });
  });

  it('stores the note as written, not as Slack escaped it', () => {
    expect(slash(`resolve ${TASK_ID} benign a &lt; b &amp;&amp; c`)).toMatchObject({ text: 'a < b && c' });
  });

  it('reads resolve without a note', () => {
    expect(slash(`resolve ${TASK_ID} benign`)).not.toHaveProperty('text');
  });

  it('refuses resolve without a disposition', () => {
    expect(slash(`resolve ${TASK_ID}`)).toMatchObject({ error: expect.stringContaining('give a disposition') });
  });

  it('refuses ack without a task id', () => {
    expect(slash('ack')).toMatchObject({ error: expect.stringContaining('/warden ack <taskId>') });
  });

  it('reads away with no end', () => {
    expect(slash('away')).toEqual({ kind: 'away', slackUserId: 'U0ALICE', responseUrl: RESPONSE_URL });
  });

  it('reads away off', () => {
    expect(slash('away off')).toMatchObject({ kind: 'away', off: true });
  });

  it('reads away until a date-time', () => {
    expect(slash('away until 2026-01-05T18:00:00+01:00')).toMatchObject({ kind: 'away', until: '2026-01-05T17:00:00.000Z' });
  });

  it('reads away until a date', () => {
    expect(slash('away 2026-01-05')).toMatchObject({ kind: 'away', until: '2026-01-05T00:00:00.000Z' });
  });

  it('refuses away until a past date', () => {
    expect(slash('away until 2025-12-01')).toMatchObject({ error: expect.stringContaining('already past') });
  });

  it('answers help to nothing', () => {
    expect(slash('')).toMatchObject({ kind: 'help' });
  });

  it('answers help to an unknown command, naming it', () => {
    expect(slash('delete everything')).toMatchObject({ kind: 'help', text: 'Unknown command "delete".' });
  });

  it('refuses a command without a Slack user', () => {
    expect(isCommandError(slash('mine', { user_id: '' }))).toBe(true);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (form, text) => {
        parseSlashCommand(form);
        parseSlashCommand({ user_id: 'U0ALICE', text });
      }),
    );
  });
});

describe('parseUntil', () => {
  it('refuses a date that does not exist', () => {
    expect(parseUntil('2026-02-30T10:00:00Z', NOW)).toHaveProperty('error');
  });

  it('refuses a time that does not exist', () => {
    expect(parseUntil('2026-03-01T24:30:00Z', NOW)).toHaveProperty('error');
  });

  it('refuses a date-time without an offset', () => {
    expect(parseUntil('2026-03-01T10:00:00', NOW)).toHaveProperty('error');
  });
});
