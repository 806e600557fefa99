import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Build step: bundle workflow code once so production workers skip webpack at start-up.
async function main(): Promise<void> {
  const out = join(__dirname, '..', '..', 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  writeFileSync(out, code);
  console.log(`workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
