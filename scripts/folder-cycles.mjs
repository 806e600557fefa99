// No import cycle between the top-level folders of src/. `make lint` runs
//   node scripts/folder-cycles.mjs src
// from the repository root; its test (test/lint/folder-cycles.spec.ts) runs it in a planted fixture tree.
//
// dependency-cruiser's own folder rule (no-circular-folders in .dependency-cruiser.cjs) gives each dependency the
// folder of the file it imports, so src/a -> src/b/inner and src/b -> src/a/inner is no cycle to it as long as
// neither inner folder imports back (that is how src/integrations -> src/tasks -> src/playbooks ->
// src/integrations/containment passed). Here every module is collapsed to the first path segment under the root,
// as `depcruise --collapse '^src/[^/]+'` draws it (a file directly under the root, such as src/main.ts, stays
// itself), and any strongly connected set of two or more of them fails, printed with a shortest cycle and every
// module dependency between its members (the edges to cut).
//
// The graph is depcruise's own, from its JSON output with the project's config: specs are left out
// (options.exclude) and `import type` edges count (tsPreCompilationDeps), as for the rules there.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = (process.argv[2] ?? 'src').replace(/\/+$/, '');
const RULE = 'no-circular-top-level-folders';

const cruised = spawnSync(
  process.execPath,
  [
    join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
    root,
    '--config',
    join(repo, '.dependency-cruiser.cjs'),
    '--output-type',
    'json',
  ],
  { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
);
let result;
try {
  // depcruise exits non-zero when a rule of its own fails; `make lint` reports those from its own run.
  result = JSON.parse(cruised.stdout);
} catch {
  process.stderr.write(`${RULE}: depcruise ${root} gave no JSON (exit ${cruised.status})\n${cruised.stderr ?? ''}${cruised.error ?? ''}\n`);
  process.exit(2);
}

/** The top-level folder (or root-level file) a path belongs to, or null outside the root. */
function topLevel(path) {
  if (!path.startsWith(`${root}/`)) return null;
  return `${root}/${path.slice(root.length + 1).split('/')[0]}`;
}

/** folder -> folder -> ["file -> file", ...] */
const edges = new Map();
const nodes = new Set();
for (const module of result.modules) {
  const from = topLevel(module.source);
  if (!from) continue;
  nodes.add(from);
  for (const dependency of module.dependencies) {
    const to = topLevel(dependency.resolved);
    if (!to || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const targets = edges.get(from);
    if (!targets.has(to)) targets.set(to, new Set());
    targets.get(to).add(`${module.source} → ${dependency.resolved}`);
  }
}
const successors = (node) => [...(edges.get(node)?.keys() ?? [])].sort();

// Tarjan's strongly connected components (the graph has a few dozen nodes; recursion is fine).
const components = [];
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function connect(node) {
  index.set(node, index.size);
  low.set(node, index.get(node));
  stack.push(node);
  onStack.add(node);
  for (const next of successors(node)) {
    if (!index.has(next)) {
      connect(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node), index.get(next)));
    }
  }
  if (low.get(node) === index.get(node)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const node of [...nodes].sort()) if (!index.has(node)) connect(node);

/** A shortest cycle through the component's first member, by breadth-first search inside the component. */
function shortestCycle(component) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of successors(node)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return component;
}

components.sort((a, b) => a[0].localeCompare(b[0]));
for (const component of components) {
  process.stdout.write(`  error ${RULE}: ${shortestCycle(component).join(' → ')}\n`);
  const members = new Set(component);
  for (const from of component) {
    for (const to of successors(from).filter((next) => members.has(next))) {
      for (const edge of [...edges.get(from).get(to)].sort()) process.stdout.write(`    ${edge}\n`);
    }
  }
}
if (components.length > 0) {
  const n = components.length;
  process.stdout.write(`\n✘ ${n} cycle${n === 1 ? '' : 's'} between top-level folders of ${root}/\n`);
  process.exit(1);
}
process.stdout.write(`✔ no cycle between top-level folders of ${root}/ (${nodes.size} folders and files)\n`);
