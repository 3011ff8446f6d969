/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and says where the time went: self time per
 * function and per package (or source file of ours), largest first. Used by `bench/run.ts
 * --profile`; also runnable alone: `npx tsx bench/profile-summary.ts <file.cpuprofile>`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] }

/** Where a function lives: a package, one of our source files, Node's internals, or V8's pseudo-frames. */
function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/(src|bench)\/(.+)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

/** Nodes under Node's module loader (start-up), with everything they called. */
function startupNodes(profile: Profile): Set<number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const found = new Set<number>();
  const visit = (id: number, inside: boolean) => {
    const node = byId.get(id)!;
    const now = inside || node.callFrame.url.startsWith('node:internal/modules/');
    if (now) found.add(id);
    for (const child of node.children ?? []) visit(child, now);
  };
  visit(profile.nodes[0]!.id, false);
  return found;
}

/**
 * Charges each sample to the innermost frame on its stack that belongs to a package or to our
 * code, so a socket write shows up under the library that asked for it (pg, ioredis, fastify).
 */
function ownerTimes(profile: Profile, hits: Map<number, number>): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const owners = new Map<string, number>();
  const visit = (id: number, owner: string) => {
    const node = byId.get(id)!;
    const { url, functionName } = node.callFrame;
    const place = placeOf(url, functionName);
    const own = place === 'node internals' || place === '(native)' || place === '(program)' ? owner : place;
    const count = hits.get(id) ?? 0;
    if (count > 0) owners.set(own, (owners.get(own) ?? 0) + count);
    for (const child of node.children ?? []) visit(child, own);
  };
  visit(profile.nodes[0]!.id, '(root)');
  return owners;
}

export function summariseProfile(file: string, rowsMax = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  // Start-up (compiling and loading modules) is not the hot path: drop those samples.
  for (const id of startupNodes(profile)) hits.delete(id);
  const samples = [...hits.values()].reduce((sum, count) => sum + count, 0);
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  const byOwner = ownerTimes(profile, hits);
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url, functionName);
    const name = `${functionName || '(anonymous)'}  ${place}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + count);
    byPlace.set(place, (byPlace.get(place) ?? 0) + count);
  }
  // Percentages are of the busy samples: idle time says the process waited, not where it worked.
  const busy = samples - (byPlace.get('(idle)') ?? 0);
  const table = (title: string, counts: Map<string, number>) => [
    title,
    ...[...counts.entries()].filter(([name]) => name !== '(idle)' && !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1]).slice(0, rowsMax)
      .map(([name, count]) => `${((count / busy) * 100).toFixed(1).padStart(6)}%  ${name}`),
  ];
  return [
    `profile ${basename(file)}: ${Math.round(totalMs)} ms, ${samples} samples after start-up, ${((busy / samples) * 100).toFixed(1)}% busy; ` +
      'percentages below are of the busy samples',
    '',
    ...table('self time by package / file:', byPlace),
    '',
    ...table('self time by owner (Node internals and native code charged to the nearest package or file above them):', byOwner),
    '',
    ...table('self time by function:', byFunction),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile>');
    process.exit(2);
  }
  console.log(summariseProfile(file));
}
