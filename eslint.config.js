import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (from, forbidden, message) => ({
  files: [`src/${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tmp/**', 'eslint.config.js', 'vitest.config.ts', 'drizzle.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Fastify plugins and handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@anthropic-ai/claude-agent-sdk', message: 'Only src/agent/ imports the Agent SDK.' }] },
      ],
    },
  },
  {
    files: ['src/agent/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Tests read JSON bodies the way a client does: untyped.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  layer('api', ['**/db/**', '@anthropic-ai/claude-agent-sdk', 'drizzle-orm*', 'pg'], 'api/ talks to services, never to the database or the SDK.'),
  layer('services', ['**/db/**', '**/api/**', '**/agent/**', 'fastify*', 'drizzle-orm*', '@anthropic-ai/claude-agent-sdk'], 'services/ depend on domain/ and ports/ only.'),
  layer('domain', ['**/db/**', '**/api/**', '**/services/**', '**/agent/**', 'fastify*', 'drizzle-orm*'], 'domain/ depends on nothing outside it.'),
);
