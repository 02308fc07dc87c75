import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
export const distDir = `${packageRoot}dist`;
export const pagesDir = `${packageRoot}test/browser/pages`;
/** Where make-test-media writes (ctest passes MTRACE_TEST_MEDIA). */
export const mediaDir = process.env.MTRACE_TEST_MEDIA ?? `${repoRoot}build/player-sdk-test-media`;
