/**
 * `npm run bench [-- <scenario>… ] [options]`: runs each scenario against the bare fastify
 * ceiling, the naive engine and the batched engine in one invocation, checks correctness after
 * every service run, and writes bench/results/<scenario>.json and bench/results/summary.md.
 * With no scenario named it runs them all, then bench/reconcile-bench.ts when that file exists.
 * See bench/README.md for the options and what the figures mean.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkRun, quietSnapshot, type Snapshot } from './check.js';
import { backendPids, processCpuMs, totalCpuMs } from './cpu.js';
import { measureFloor } from './floor.js';
import { runLoad } from './load.js';
import { combineRounds } from './rounds.js';
import { summariseProfile } from './profile-summary.js';
import {
  goalsOf, listFiles, ratiosOf, resultsDir, writeScenarioResult, writeSummary,
  type ScenarioResult, type TargetResult,
} from './results.js';
import { seededRandom } from '../test/helpers/seeded-random.js';
import { emptyTally, scenarioNames, scenarios, type Features, type Scenario, type ScenarioName, type Tally } from './scenarios.js';
import { repoRoot, startServer, targetNames, type ServerHandle, type TargetName } from './servers.js';

interface Cli {
  scenarios: ScenarioName[];
  reconcile: boolean;
  targets: TargetName[];
  /** Measured seconds per server per round. */
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  keyed: boolean;
  /** The server to run under `node --cpu-prof` (the batched one when `--profile` is given bare). */
  profile: TargetName | null;
  overrides: Record<string, string>;
  /** Names the results of a variant run (e.g. tuned settings), so it does not replace the default's. */
  tag: string | null;
  reconcileProducts: number[];
}

function parseCli(argv: string[]): Cli {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      duration: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '100' },
      targets: { type: 'string', default: targetNames.join(',') },
      unkeyed: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'profile-target': { type: 'string', default: 'batched' },
      set: { type: 'string', multiple: true, default: [] },
      tag: { type: 'string' },
      'reconcile-products': { type: 'string', default: '1000000,3000000' },
    },
  });
  const unknown = positionals.filter((name) => name !== 'reconcile' && !scenarioNames.includes(name as ScenarioName));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${scenarioNames.join(', ')}, reconcile`);
  const named = positionals.filter((name): name is ScenarioName => scenarioNames.includes(name as ScenarioName));
  const targets = values.targets.split(',') as TargetName[];
  if (targets.some((target) => !targetNames.includes(target))) throw new Error(`--targets takes ${targetNames.join(',')}`);
  const overrides: Record<string, string> = {};
  for (const setting of values.set) {
    const at = setting.indexOf('=');
    const [key, value] = at < 0 ? [undefined, undefined] : [setting.slice(0, at), setting.slice(at + 1)];
    if (key === undefined || value === undefined) throw new Error(`--set takes section.key=value, got '${setting}'`);
    overrides[key] = value;
  }
  const variant = Object.keys(overrides).length > 0 || values.unkeyed || targets.length !== targetNames.length ||
    values.connections !== '100';
  if (variant && values.tag === undefined) {
    throw new Error('--set, --unkeyed, --targets and --connections make a variant: name it with --tag so its results do not replace the default run\'s');
  }
  return {
    scenarios: positionals.length === 0 ? [...scenarioNames] : named,
    reconcile: positionals.length === 0 || positionals.includes('reconcile'),
    // The services first: the naive one is also where optional routes are probed.
    targets: (['naive', 'batched', 'bare'] as const).filter((target) => targets.includes(target)),
    seconds: Number(values.duration), warmupSeconds: Number(values.warmup), rounds: Number(values.rounds),
    connections: Number(values.connections),
    keyed: !values.unkeyed, profile: values.profile ? values['profile-target'] as TargetName : null, overrides,
    tag: values.tag === undefined ? null : tagOf(values.tag),
    reconcileProducts: values['reconcile-products'].split(',').map(Number),
  };
}

function tagOf(tag: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(tag)) throw new Error('--tag takes 1-32 characters a-z, 0-9 and -');
  return tag;
}

const runTag = `${Date.now().toString(36)}`;
const profileDir = join(resultsDir, 'profiles');
let orderIds = 0;

/** Which optional routes the service has: a missing route answers 404 NOT_FOUND. */
async function probeFeatures(url: string): Promise<Features> {
  const exists = async (path: string) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = (await response.json()) as { code?: string };
    return !(response.status === 404 && body.code === 'NOT_FOUND');
  };
  return { batchGet: await exists('/api/v1/inventory/batch'), batchSync: await exists('/api/v1/sync-stock/batch') };
}

/** `inventory_flushes_total{outcome="rolled_back"}` of a service now; null for the bare server. */
async function rolledBackFlushes(server: ServerHandle): Promise<number | null> {
  if (server.database === null) return null;
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('inventory_flushes_total{outcome="rolled_back"}'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function measureTarget(cli: Cli, scenario: Scenario, server: ServerHandle, features: Features): Promise<TargetResult> {
  let tally: Tally = emptyTally();
  let before: Snapshot | null = null;
  let rolledBackBefore: number | null = null;
  let cpuBefore = { server: 0, postgres: 0, client: process.cpuUsage() };
  let backends: number[] = [];
  const figures = await runLoad({
    url: server.url, connections: cli.connections, seconds: cli.seconds, warmupSeconds: cli.warmupSeconds,
    requests: () => {
      tally = emptyTally();
      return scenario.requests({
        features, tally, keyed: cli.keyed, nextOrderId: () => `bench-${orderIds++}`, random: seededRandom(0x5eed),
      });
    },
    betweenRuns: async () => {
      if (server.database !== null) {
        before = await quietSnapshot(server.database.client);
        backends = await backendPids(server.database.client, server.database.name);
      }
      rolledBackBefore = await rolledBackFlushes(server);
      cpuBefore = { server: processCpuMs(server.pid), postgres: totalCpuMs(backends), client: process.cpuUsage() };
    },
  });
  const rolledBackAfter = await rolledBackFlushes(server);
  const clientCpu = process.cpuUsage(cpuBefore.client);
  const perRequest = (ms: number) => Math.round((ms * 1000) / Math.max(1, figures.requests));
  const cpuMicrosPerRequest = {
    server: perRequest(processCpuMs(server.pid) - cpuBefore.server),
    postgres: server.database === null ? null : perRequest(totalCpuMs(backends) - cpuBefore.postgres),
    client: perRequest((clientCpu.user + clientCpu.system) / 1000),
  };
  let check = null;
  if (server.database !== null && server.redis !== null) {
    await quietSnapshot(server.database.client);
    check = await checkRun({
      client: server.database.client, redis: server.redis.client, redisPrefix: server.redis.prefix, before: before!, tally,
      keyed: cli.keyed, seedStock: scenario.seedStock, allAnswered: !figures.cut && figures.timeouts === 0 && figures.errors === 0,
    });
  }
  const rate = scenario.unit === 'req/s' ? figures.requestsPerSecond : Math.round(tally.deltasAcked / figures.seconds);
  return {
    ...figures, deltasAcked: tally.deltasAcked, deltasRefused: tally.deltasRefused, readsOk: tally.readsOk,
    readsFailed: tally.readsFailed, rate, check, cpuMicrosPerRequest, replays: tally.replays,
    rolledBackFlushes: rolledBackAfter === null || rolledBackBefore === null ? null : rolledBackAfter - rolledBackBefore,
  };
}

async function runScenario(cli: Cli, scenario: Scenario): Promise<ScenarioResult> {
  const result: Omit<ScenarioResult, 'goals'> = {
    scenario: scenario.name, tag: cli.tag, summary: scenario.summary, unit: scenario.unit, status: 'ran', note: null,
    conditions: conditionsOf(cli), targets: {}, ratios: { batchedOverNaive: null, batchedOverBare: null }, floor: null,
  };
  // Only this run's profile may be in the folder when its summary picks the largest file.
  if (cli.profile !== null) for (const file of listFiles(profileDir, '.cpuprofile')) rmSync(file);
  const servers = new Map<TargetName, ServerHandle>();
  try {
    for (const target of cli.targets) {
      servers.set(target, await startServer({
        target, runTag: `${runTag}_${scenario.name}`, products: scenario.products, seedStock: scenario.seedStock,
        overrides: cli.overrides, profileDir: cli.profile === target ? profileDir : null,
      }));
    }
    const service = servers.get('naive') ?? servers.get('batched');
    const features = service === undefined ? { batchGet: true, batchSync: true } : await probeFeatures(service.url);
    result.conditions.features = features;
    const missing = scenario.needs.filter((feature) => !features[feature]);
    if (missing.length > 0) {
      result.status = 'skipped';
      result.note = `the service has no ${missing.map(routeOf).join(', ')} on this branch yet`;
      return { ...result, goals: [] };
    }
    if (scenario.name === 'mixed' && !features.batchGet) result.note = 'POST /api/v1/inventory/batch is not on this branch: the reads are GET one only';
    const rounds = new Map<TargetName, TargetResult[]>(cli.targets.map((target) => [target, []]));
    for (let round = 0; round < cli.rounds; round += 1) {
      // Rotate who goes first, so no server always follows the same one.
      const order = cli.targets.map((_, index) => cli.targets[(index + round) % cli.targets.length]!);
      for (const target of order) {
        const measured = await measureTarget(cli, scenario, servers.get(target)!, features);
        rounds.get(target)!.push(measured);
        logRound(scenario, target, round, measured);
      }
    }
    for (const [target, measured] of rounds) result.targets[target] = combineRounds(measured, scenario.unit);
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  if (scenario.name === 'batch') {
    log('batch: measuring the set-based PostgreSQL floor (bench/floor.ts)');
    result.floor = await measureFloor(`${runTag}_floor`, scenario.products, Math.max(4, cli.seconds));
    log(`batch: floor ${result.floor.deltasPerSecond} deltas/s (${result.floor.statementsPerSecond} statements/s)`);
  }
  if (cli.profile !== null && cli.targets.includes(cli.profile)) writeProfileSummary(scenario.name, cli.profile);
  result.conditions.loadAverageEnd = loadavg().map((value) => Number(value.toFixed(2)));
  if (Object.values(result.targets).some((figures) => figures.check !== null && !figures.check.passed)) result.status = 'failed';
  result.ratios = ratiosOf(result.targets);
  return { ...result, goals: goalsOf(result) };
}

function logRound(scenario: Scenario, target: TargetName, round: number, measured: TargetResult): void {
  const cpu = measured.cpuMicrosPerRequest;
  const check = measured.check;
  log(`${scenario.name} round ${round + 1}: ${target} ${measured.rate} ${scenario.unit}, p50 ${measured.latencyP50Ms} ms, ` +
    `p99 ${measured.latencyP99Ms} ms, errors ${measured.errors}, non-2xx ${measured.non2xx}, ` +
    `CPU µs/request server ${cpu.server} postgres ${cpu.postgres ?? '-'} client ${cpu.client}` +
    (check === null ? '' : `, deltas per transaction ${(measured.deltasAcked / Math.max(1, check.writeTransactions)).toFixed(1)}, ` +
      `check ${check.passed ? 'pass' : `FAIL: ${check.problems.join('; ')}`}`) +
    ` (load average ${loadavg()[0]!.toFixed(2)})`);
}

function routeOf(feature: keyof Features): string {
  return feature === 'batchSync' ? 'POST /api/v1/sync-stock/batch' : 'POST /api/v1/inventory/batch';
}

function conditionsOf(cli: Cli): Record<string, unknown> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch { /* not a git checkout */ }
  return {
    date: new Date().toISOString(), commit, node: process.version, cpus: cpus().length,
    loadAverageStart: loadavg().map((value) => Number(value.toFixed(2))),
    seconds: cli.seconds, warmupSeconds: cli.warmupSeconds, rounds: cli.rounds, connections: cli.connections, keyed: cli.keyed,
    overrides: cli.overrides, tag: cli.tag,
  };
}

function writeProfileSummary(scenario: ScenarioName, target: TargetName): void {
  const profiles = listFiles(profileDir, '.cpuprofile');
  if (profiles.length === 0) return log('no CPU profile was written');
  const file = join(profileDir, `${scenario}-${target}.txt`);
  mkdirSync(profileDir, { recursive: true });
  // tsx's module loader runs in a worker thread with a profile of its own; the main thread's is the largest.
  const main = profiles.map((path) => ({ path, bytes: statSync(path).size })).sort((a, b) => b.bytes - a.bytes)[0]!.path;
  writeFileSync(file, `${summariseProfile(main)}\n`);
  log(`profile summary: ${file}`);
}

/** The reconciliation benchmark belongs to the health checker's issue; this only runs it when present. */
function runReconcile(products: number[]): void {
  const script = join(repoRoot, 'bench/reconcile-bench.ts');
  if (!existsSync(script)) return log('reconcile: bench/reconcile-bench.ts is not on this branch; skipped');
  for (const count of products) {
    log(`reconcile: bench/reconcile-bench.ts --products ${count}`);
    const outcome = spawnSync(process.execPath, ['--import', 'tsx', script, '--products', String(count)], { cwd: repoRoot, stdio: 'inherit' });
    if (outcome.status !== 0) process.exitCode = 1;
  }
}

function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  for (const name of cli.scenarios) {
    const result = await runScenario(cli, scenarios[name]);
    log(`${name}: ${result.status}${result.note ? ` (${result.note})` : ''}; wrote ${writeScenarioResult(result)}`);
    for (const goal of result.goals) log(`  goal ${goal.name} ${goal.target}: ${goal.actual} ${goal.met ? 'met' : 'NOT met'}`);
    if (result.status === 'failed') process.exitCode = 1;
  }
  if (cli.scenarios.length > 0) log(`summary: ${writeSummary(scenarioNames)}`);
  if (cli.reconcile) runReconcile(cli.reconcileProducts);
}

await main();
