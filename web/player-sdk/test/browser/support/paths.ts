import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
export const distDir = `${packageRoot}dist`;
export const pagesDir = `${packageRoot}test/browser/pages`;
export const mediaDir = `${repoRoot}build/player-sdk-test-media`;
