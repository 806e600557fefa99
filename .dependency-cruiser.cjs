// dependency-cruiser: import cycles and layering rules for src/. `make lint` runs
//   npx depcruise src --config .dependency-cruiser.cjs
// Paths below are relative to the repository root; packages appear as their resolved files
// (e.g. node_modules/@temporalio/workflow/lib/index.js), node: modules by their bare name (fs).
// `import type` edges are part of the graph (tsPreCompilationDeps), so they count for cycles and
// for reachability too. Specs (*.spec.ts) are left out (options.exclude): nothing imports a spec,
// so none can close a cycle, and specs may reach across folders to test with real parts.
// Cycles between top-level folders of src/ (src/a/** <-> src/b/**) are checked on this same graph by
// scripts/folder-cycles.mjs, which `make lint` runs next: rules here cannot collapse paths before matching.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order (and Nest/TypeORM decorator metadata) fragile. Break the cycle.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      scope: 'folder',
      comment:
        'Folders must not depend on each other in a cycle either, e.g. src/tasks -> src/assignment -> src/tasks: ' +
        'a folder imports the ones it calls, never one that calls it. This compares the folder each file sits in, ' +
        'so src/a -> src/b/x plus src/b -> src/a/y passes here; scripts/folder-cycles.mjs (make lint) collapses ' +
        'src/ to its top-level folders and fails on that too.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import must resolve; otherwise the rules above silently see less of the graph.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'domain-imports-nothing',
      severity: 'error',
      comment:
        'src/domain/ is pure: it may import only other files in src/domain/ — no packages, no node: modules, ' +
        'nothing elsewhere in src/. (Matches nothing while the folder does not exist.)',
      from: { path: '^src/domain/', pathNot: '\\.spec\\.ts$' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'workflow-sandbox',
      severity: 'error',
      comment:
        'Workflow code runs in the Temporal sandbox: it may import only @temporalio/workflow, src/domain/, ' +
        'src/temporal/workflows/ and (type-only) src/temporal/activities/.',
      from: { path: '^src/temporal/workflows/', pathNot: '\\.spec\\.ts$' },
      to: {
        pathNot: ['(^|/)node_modules/@temporalio/workflow/', '^src/domain/', '^src/temporal/workflows/', '^src/temporal/activities/'],
      },
    },
    {
      name: 'workflow-activities-type-only',
      severity: 'error',
      comment: 'Workflows call activities through proxyActivities<Activities>(): import their types only (`import type`).',
      from: { path: '^src/temporal/workflows/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^src/temporal/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'worker-without-api',
      severity: 'error',
      comment:
        "The worker must boot without the api's modules: src/worker.ts may not reach src/app.ts, src/app.module.ts, " +
        'a controller, or the api-only modules (ingest, auth, the outbox dispatcher), directly or transitively.',
      from: { path: '^src/worker\\.ts$' },
      to: {
        path: [
          '^src/app\\.ts$',
          '^src/app\\.module\\.ts$',
          '\\.controller\\.ts$',
          '^src/ingest/ingest\\.',
          '^src/auth/',
          '^src/outbox/outbox-dispatcher',
        ],
        reachable: true,
      },
    },
  ],
  options: {
    // Follow src/ only; record (but do not descend into) packages and node: modules.
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: '\\.spec\\.ts$' },
    // Keep `import type` (and all-inline `import { type X }`) edges, marked 'type-only' (workflow-activities-type-only needs this).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts', '.json'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
