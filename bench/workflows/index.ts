import { condition, defineSignal, proxySinks, setHandler, type Sinks } from '@temporalio/workflow';

// Workflows of the Temporal benchmarks (bench/temporal-*.ts): no activities, no Warden code.

export interface BenchSinks extends Sinks {
  progress: { opened(): void };
}

/** Returns at once: one workflow task from start to completion. */
export async function emptyWorkflow(): Promise<void> {}

export const releaseSignal = defineSignal('release');

/** Stays open until signalled, like an incident waiting under its SLA: what the sticky cache holds. */
export async function waitingWorkflow(): Promise<void> {
  let released = false;
  setHandler(releaseSignal, () => void (released = true));
  proxySinks<BenchSinks>().progress.opened();
  await condition(() => released);
}
