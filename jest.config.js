// Nest 12, @marcbachmann/cel-js, openid-client and oidc-provider ship ESM only; jest cannot require() ESM on
// Node 20, so swc transpiles those packages (and their ESM dependencies, nested copies included) to CommonJS.
const esm = [
  '@nestjs',
  '@marcbachmann',
  'file-type',
  'strtok3',
  'token-types',
  'peek-readable',
  'uint8array-extras',
  '@tokenizer',
  'load-esm',
  'cookie',
  // import()s the ESM cookie package, which jest cannot do without --experimental-vm-modules.
  '@fastify/cookie',
  'openid-client',
  'oauth4webapi',
  'jose',
  'oidc-provider',
];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(?:[^/]+/node_modules/)?(?:${esm.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // test/lint/: unit-speed checks of the lint rules themselves (test/fixtures/ holds planted trees, never run).
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
    '<rootDir>/test/lint/**/*.spec.ts',
    '<rootDir>/migrations/**/*.spec.ts',
  ],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // Suites share one Temporal server and one database; two workers match the two cores.
  maxWorkers: 2,
};
