// Writes dist/: one minified ESM file per entry (core and each adapter, so each is importable and
// measurable on its own), the IIFE bundle with the global `MTrace`, and type declarations.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  hlsjs: 'src/adapters/hlsjs.ts',
  dashjs: 'src/adapters/dashjs.ts',
  video: 'src/adapters/video.ts',
  whep: 'src/adapters/whep.ts',
};

rmSync(dist, { recursive: true, force: true });
const common = { absWorkingDir: root, bundle: true, minify: true, target: 'es2020', legalComments: 'none' } as const;
await Promise.all([
  ...Object.entries(entries).map(([name, entry]) =>
    build({ ...common, entryPoints: [entry], format: 'esm', outfile: `${dist}/${name}.js` })),
  build({ ...common, entryPoints: ['src/iife.ts'], format: 'iife', globalName: 'MTrace', outfile: `${dist}/mtrace.iife.js` }),
]);
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
const declarationOf: Record<string, string> = {
  index: './types/index', hlsjs: './types/adapters/hlsjs', dashjs: './types/adapters/dashjs',
  video: './types/adapters/video', whep: './types/adapters/whep',
};
for (const [name, path] of Object.entries(declarationOf)) {
  writeFileSync(`${dist}/${name}.d.ts`, `export * from '${path}';\n`);
}
writeFileSync(`${dist}/mtrace.iife.d.ts`, "export * from './types/iife';\nexport as namespace MTrace;\n");
console.log(`built ${Object.keys(entries).length} ESM entries, mtrace.iife.js and declarations in dist/`);
