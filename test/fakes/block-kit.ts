/**
 * Block Kit's size limits for messages, as Slack's Block Kit reference documents them: what the
 * spec's schema does not say (it has no lengths or counts) and Slack refuses with `invalid_blocks`.
 * Lengths are counted in UTF-16 units, never fewer than Slack's characters, so a finding here is
 * never something Slack would take. The numbers are Slack's, written here on their own; Warden's
 * own caps (src/integrations/slack/blocks.ts) are checked against them, not read from them.
 */
export const BLOCK_KIT = {
  blocksPerMessage: 50,
  blockId: 255,
  /** A text object anywhere (section text, context element): 1 to 3,000. */
  text: 3000,
  sectionText: 3000,
  fieldsPerSection: 10,
  field: 2000,
  header: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  buttonValue: 2000,
  url: 3000,
  placeholder: 150,
  options: 100,
  optionText: 75,
  optionValue: 150,
  altText: 2000,
  /** chat.postMessage's top-level `text` (msg_too_long beyond). */
  messageText: 40000,
} as const;

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Where `blocks` (a message's, or an attachment's) breaks a limit: `<path> <what>` per finding,
 * the path a JSON pointer under `at` (`/blocks`, `/attachments/0/blocks`). Empty when all is within.
 */
export function blockKitProblems(blocks: unknown, at = '/blocks'): string[] {
  const out: string[] = [];
  const say = (path: string, what: string) => out.push(`${path} ${what}`);
  const length = (path: string, value: unknown, max: number, min = 0) => {
    if (typeof value !== 'string') return;
    if (value.length > max) say(path, `must be at most ${max} characters (is ${value.length})`);
    else if (value.length < min) say(path, `must be at least ${min} character${min === 1 ? '' : 's'}`);
  };
  const textObject = (path: string, value: unknown, max: number, plainOnly = false) => {
    if (!isNode(value)) return;
    if (plainOnly && value.type !== 'plain_text') say(`${path}/type`, 'must be plain_text');
    length(`${path}/text`, value.text, Math.min(max, BLOCK_KIT.text), 1);
  };
  const count = (path: string, value: unknown, max: number, min = 0) => {
    if (!Array.isArray(value)) return;
    if (value.length > max) say(path, `must have at most ${max} items (has ${value.length})`);
    else if (value.length < min) say(path, `must have at least ${min} item${min === 1 ? '' : 's'}`);
  };
  const element = (path: string, e: unknown) => {
    if (!isNode(e)) return;
    length(`${path}/action_id`, e.action_id, BLOCK_KIT.actionId, 1);
    switch (e.type) {
      case 'button':
        textObject(`${path}/text`, e.text, BLOCK_KIT.buttonText, true);
        length(`${path}/value`, e.value, BLOCK_KIT.buttonValue);
        length(`${path}/url`, e.url, BLOCK_KIT.url);
        if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') say(`${path}/style`, 'must be primary or danger');
        break;
      case 'static_select':
      case 'overflow':
      case 'radio_buttons':
      case 'checkboxes':
        textObject(`${path}/placeholder`, e.placeholder, BLOCK_KIT.placeholder, true);
        count(`${path}/options`, e.options, BLOCK_KIT.options, 1);
        for (const [i, o] of (Array.isArray(e.options) ? e.options : []).entries()) {
          if (!isNode(o)) continue;
          textObject(`${path}/options/${i}/text`, o.text, BLOCK_KIT.optionText);
          length(`${path}/options/${i}/value`, o.value, BLOCK_KIT.optionValue, 1);
        }
        break;
      case 'image':
        length(`${path}/alt_text`, e.alt_text, BLOCK_KIT.altText);
        length(`${path}/image_url`, e.image_url, BLOCK_KIT.url);
        break;
      default:
        break;
    }
  };

  if (!Array.isArray(blocks)) return out;
  count(at, blocks, BLOCK_KIT.blocksPerMessage);
  for (const [i, block] of blocks.entries()) {
    const path = `${at}/${i}`;
    if (!isNode(block)) continue;
    length(`${path}/block_id`, block.block_id, BLOCK_KIT.blockId, 1);
    switch (block.type) {
      case 'section':
        textObject(`${path}/text`, block.text, BLOCK_KIT.sectionText);
        count(`${path}/fields`, block.fields, BLOCK_KIT.fieldsPerSection, 1);
        for (const [j, f] of (Array.isArray(block.fields) ? block.fields : []).entries())
          textObject(`${path}/fields/${j}`, f, BLOCK_KIT.field);
        if (block.text === undefined && block.fields === undefined) say(path, 'needs text or fields');
        if (block.accessory !== undefined) element(`${path}/accessory`, block.accessory);
        break;
      case 'header':
        textObject(`${path}/text`, block.text, BLOCK_KIT.header, true);
        break;
      case 'context':
        count(`${path}/elements`, block.elements, BLOCK_KIT.contextElements, 1);
        for (const [j, e] of (Array.isArray(block.elements) ? block.elements : []).entries()) {
          if (isNode(e) && e.type === 'image') element(`${path}/elements/${j}`, e);
          else textObject(`${path}/elements/${j}`, e, BLOCK_KIT.text);
        }
        break;
      case 'actions':
        count(`${path}/elements`, block.elements, BLOCK_KIT.actionsElements, 1);
        for (const [j, e] of (Array.isArray(block.elements) ? block.elements : []).entries()) element(`${path}/elements/${j}`, e);
        break;
      case 'image':
        element(path, block);
        break;
      default:
        break;
    }
  }
  return out;
}

/** The findings for a whole message: its blocks, and the blocks inside each attachment. */
export function messageBlockKitProblems(message: { blocks?: unknown; attachments?: unknown }): string[] {
  const out = blockKitProblems(message.blocks, '/blocks');
  if (Array.isArray(message.attachments))
    for (const [i, a] of message.attachments.entries()) if (isNode(a)) out.push(...blockKitProblems(a.blocks, `/attachments/${i}/blocks`));
  return out;
}
