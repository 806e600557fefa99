import type { ServerResponse } from 'node:http';

/** How a failing change is answered: with this status, or never ('timeout': the client gives up first). */
export type FailAnswer = number | 'timeout';

/** The controls each containment fake offers on its changes (block, unblock, disable, enable, isolate, release). */
export interface HalfSuccessControls {
  /**
   * From now on each change (or only those of the action `only`, e.g. 'block_ip') is applied to
   * the fake's state, then answered `answer`, or not at all: a backend that acted and then failed
   * to say so. Holds until heal().
   */
  applyThenFail(answer: FailAnswer, only?: string): void;
  /** From now on each change (or only `only`) is refused with `status` before it is applied. Holds until heal(). */
  refuse(status: number, only?: string): void;
  /** Changes are applied and answered again. Requests held by applyThenFail('timeout') stay held. */
  heal(): void;
  /** Answers each request held by applyThenFail('timeout') that is still waiting with the success it had; returns how many. */
  answerHeld(): number;
}

interface Fault {
  kind: 'apply-then-fail' | 'refuse';
  answer: FailAnswer;
  only?: string;
}

/**
 * The faults a containment fake applies to its changes. A handler asks `refusal(change)` before
 * it applies a change (an answer means: refuse it, and change nothing), applies it, then
 * answers through `answer(change, res, send)`, which fails it if told to.
 */
export class HalfSuccess implements HalfSuccessControls {
  private fault: Fault | undefined;
  private readonly held: { res: ServerResponse; send: () => void }[] = [];

  applyThenFail(answer: FailAnswer, only?: string): void {
    this.fault = { kind: 'apply-then-fail', answer, only };
  }

  refuse(status: number, only?: string): void {
    this.fault = { kind: 'refuse', answer: status, only };
  }

  heal(): void {
    this.fault = undefined;
  }

  answerHeld(): number {
    let answered = 0;
    for (const { res, send } of this.held.splice(0)) {
      if (res.writableEnded || res.destroyed || res.socket?.destroyed) continue;
      send();
      answered++;
    }
    return answered;
  }

  private active(change: string): Fault | undefined {
    const f = this.fault;
    return f && (f.only === undefined || f.only === change) ? f : undefined;
  }

  /** The status to refuse `change` with before applying it, or undefined to go ahead. */
  refusal(change: string): number | undefined {
    const f = this.active(change);
    return f?.kind === 'refuse' ? (f.answer as number) : undefined;
  }

  /**
   * After `change` was applied: `send` answers the success; a fault answers its status instead
   * (with `fail`), or holds the response.
   */
  answer(change: string, res: ServerResponse, send: () => void, fail: (status: number) => void): void {
    const f = this.active(change);
    if (f?.kind !== 'apply-then-fail') return send();
    if (f.answer === 'timeout') return void this.held.push({ res, send });
    fail(f.answer);
  }
}
