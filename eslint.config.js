// ESLint for the web UI (plain ES modules served as they are: no build step) and its unit tests. `npx eslint` or
// `npm run lint` from the repository root; `./iac test` runs it when Node.js is present.
import js from '@eslint/js';
import globals from 'globals';

const WEB = 'server/src/main/resources/web';
const WEB_TESTS = 'server/src/test/web';

export default [
  { ignores: ['**/node_modules/', '**/target/', '.iac-data/'] },
  {
    files: ['eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: [`${WEB}/**/*.js`, `${WEB_TESTS}/**/*.js`],
    ...js.configs.recommended,
  },
  {
    files: [`${WEB}/**/*.js`, `${WEB_TESTS}/**/*.js`],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'all' }],
      eqeqeq: ['error', 'always'],
      'no-implicit-globals': 'error',
      'prefer-const': 'error',
      'no-var': 'error',
      'no-shadow': 'error',
      'no-console': 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    // The UI runs in the browser only: no Node globals there.
    files: [`${WEB}/**/*.js`],
    languageOptions: { globals: globals.browser },
    rules: {
      // Everything from the API reaches the page through text nodes.
      'no-restricted-properties': ['error',
        { property: 'innerHTML', message: 'Use textContent or h(): API data must stay text.' },
        { property: 'outerHTML', message: 'Use textContent or h(): API data must stay text.' },
        { property: 'insertAdjacentHTML', message: 'Use h(): API data must stay text.' }],
    },
  },
  {
    files: [`${WEB_TESTS}/**/*.js`],
    languageOptions: { globals: globals.node },
  },
];
