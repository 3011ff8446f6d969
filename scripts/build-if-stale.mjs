#!/usr/bin/env node
// `npm start` runs this: it compiles only when the sources changed since the last build, then
// (with --start) runs dist/server.js in this same process, which saves a second Node start-up. A no-op `tsc` (even `--incremental`) still costs 2-3.5 s of CPU here to
// read every file and rebuild its program; listing ~200 files' sizes and times costs ~30 ms.
// The fingerprint covers every source path with its size and mtime (an edited, added or deleted
// file changes it) and the compiler settings; it is stored in dist/ beside the output it describes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampPath = join(root, 'dist', '.build-fingerprint');
const serverPath = join(root, 'dist', 'server.js');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function* files(root, path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    yield `${relative(root, path)} ${stat.size} ${stat.mtimeMs}`;
    return;
  }
  for (const entry of readdirSync(path).sort()) yield* files(root, join(path, entry));
}

/** What the build's output depends on, under `root`: every input path with its size and mtime. */
export function fingerprint(root) {
  const hash = createHash('sha256');
  for (const input of inputs) {
    const path = join(root, input);
    if (existsSync(path)) for (const line of files(root, path)) hash.update(`${line}\n`);
  }
  return hash.digest('hex');
}

function buildIfStale() {
  const before = fingerprint(root);
  const stored = existsSync(stampPath) ? readFileSync(stampPath, 'utf8') : '';
  if (stored === before && existsSync(serverPath)) return;
  console.error('build-if-stale: sources changed since the last build, compiling (npm run build)');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // Written only after a successful build, from the fingerprint taken before it: a file edited
  // while tsc ran makes the next start compile again rather than run stale output.
  writeFileSync(stampPath, before);
}

// Run as a script (npm start), not when a test imports `fingerprint`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildIfStale();
  if (process.argv.includes('--start')) await import(pathToFileURL(serverPath).href);
}
