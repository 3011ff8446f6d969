/**
 * Where a piscina worker file is, and how to start it: `<name>.js` beside the calling module when
 * the service runs compiled (`node dist/server.js`), `<name>.ts` when it runs from source (tsx,
 * vitest); a worker thread does not inherit the parent's TypeScript loader, so then it is given
 * tsx's loader explicitly, by absolute URL (a bare `tsx` would be resolved from the working
 * directory, which is anywhere).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry { filename: string; execArgv: string[] }

/** `moduleUrl` is the caller's `import.meta.url`; the worker file sits beside it. */
export function workerEntry(name: string, moduleUrl: string): WorkerEntry {
  const fromSource = moduleUrl.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, moduleUrl));
  if (!fromSource) return { filename, execArgv: [] };
  const tsxLoader = pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href;
  return { filename, execArgv: ['--import', tsxLoader] };
}
