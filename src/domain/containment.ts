/** Containment actions, each with the action that undoes it, and what each acts on. */
export const INVERSE_ACTIONS = {
  block_ip: 'unblock_ip',
  disable_user: 'enable_user',
  isolate_host: 'release_host',
} as const;
export type ContainmentAction = keyof typeof INVERSE_ACTIONS;
export type UndoAction = (typeof INVERSE_ACTIONS)[ContainmentAction];
export const CONTAINMENT_ACTIONS = Object.keys(INVERSE_ACTIONS) as ContainmentAction[];
export const UNDO_ACTIONS = Object.values(INVERSE_ACTIONS) as UndoAction[];

// Own keys only: `in` would take "constructor" and "toString" for actions.
export const isContainment = (action: string): action is ContainmentAction => Object.hasOwn(INVERSE_ACTIONS, action);

/** What a containment or undo action acts on, and the `with` key that names it. */
export const TARGET_OF: Readonly<Record<ContainmentAction | UndoAction, 'ip' | 'user' | 'host'>> = {
  block_ip: 'ip',
  unblock_ip: 'ip',
  disable_user: 'user',
  enable_user: 'user',
  isolate_host: 'host',
  release_host: 'host',
};
