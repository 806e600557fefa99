// ESLint flat config: `make lint` runs it, `make format` applies its fixes.
// Aim: no `any` in src/ and catch real mistakes; formatting is prettier's job (eslint-config-prettier last).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/', 'bench/results/', 'test/fixtures/', 'test/histories/']),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `_`-prefixed names are deliberately unused (placeholders, rest siblings, catch bindings).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  // Tests poke at fixture JSON by path (record.alert.severity = ...); `any` is allowed there, never in product code.
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // Every raw query whose result is used names its row type: query<Row[]>(...) (pg: query<Row>).
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: ":not(ExpressionStatement) > AwaitExpression > CallExpression[callee.property.name='query']:not([typeArguments])",
          message: 'Name the row type of a query whose result is used: query<Row[]>(...).',
        },
        {
          selector:
            ":matches(ReturnStatement, ArrowFunctionExpression, ArrayExpression, VariableDeclarator) > CallExpression[callee.property.name='query']:not([typeArguments])",
          message: 'Name the row type of a query whose result is used: query<Row[]>(...).',
        },
      ],
    },
  },

  // The few CommonJS files (jest.config.js, .dependency-cruiser.cjs) run under Node.
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  prettier,
);
