import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Two projects. `unit` (`npm run test:unit`): the tests next to the code and test/unit/, with nothing
// built, no root and no network namespaces (loopback sockets and Debian's DNS tools are fine).
// `integration` (`npm run test:integration`): the rest of test/, whatever needs the built app, root or
// namespaces; its global setup builds out/ first. `npm test` runs both.
export default defineConfig({
  resolve: { alias: { '@shared': resolve(import.meta.dirname, 'shared') } },
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'electron/**/*.test.ts',
            'shared/**/*.test.ts',
            'renderer/src/**/*.test.ts',
            'scripts/**/*.test.ts',
            // Tests of the repository itself (its lint rules) that need nothing built.
            'test/unit/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          globalSetup: ['test/global-setup.ts'],
          // Integration tests bind real sockets and spawn real DNS servers; each file picks free ports.
          fileParallelism: true,
        },
      },
    ],
  },
});
