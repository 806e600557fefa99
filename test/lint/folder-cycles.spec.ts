import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// `make lint` runs scripts/folder-cycles.mjs over src/: no import cycle between top-level folders of src/.
// Here it runs as make lint runs it, once over a planted fixture tree (test/fixtures/layout: its own src/ and
// tsconfig.json, cruised with the project's .dependency-cruiser.cjs) and once over the real src/.
const repo = join(__dirname, '..', '..');
const fixture = join(repo, 'test', 'fixtures', 'layout');

function run(cwd: string, command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [command, ...args], { cwd, encoding: 'utf8' });
  return { status, stdout, stderr };
}

const folderCycles = (cwd: string) => run(cwd, join(repo, 'scripts', 'folder-cycles.mjs'), ['src']);

describe('no cycle between top-level folders of src/', () => {
  it('fails on the planted cycle alpha -> beta -> alpha, and reports exactly it', () => {
    const result = folderCycles(fixture);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    // gamma -> alpha is closed only by a spec (alpha/a.spec.ts -> gamma), which the config leaves out;
    // beta -> alpha is type-only and still counts; src/main.ts is a node of its own and in no cycle.
    expect(result.stdout).toBe(
      [
        '  error no-circular-top-level-folders: src/alpha → src/beta → src/alpha',
        '    src/alpha/a.ts → src/beta/sub/y.ts',
        '    src/beta/b.ts → src/alpha/inner/x.ts',
        '',
        '✘ 1 cycle between top-level folders of src/',
        '',
      ].join('\n'),
    );
  });

  it("is a cycle dependency-cruiser's own rules (no-circular, no-circular-folders) let through", () => {
    const result = run(fixture, join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), [
      'src',
      '--config',
      join(repo, '.dependency-cruiser.cjs'),
    ]);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('no dependency violations found (6 modules, 5 dependencies cruised)');
  });

  it('passes on src/', () => {
    const result = folderCycles(repo);

    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^✔ no cycle between top-level folders of src\/ \(\d+ folders and files\)\n$/);
    expect(result.status).toBe(0);
  });
});
