/**
 * Benchmark results: one JSON file per scenario in bench/results/ (figures, conditions, check,
 * goals) and bench/results/summary.md, a short table rebuilt from every scenario file present, so
 * running one scenario refreshes its row and keeps the others (each row says when it was measured).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from './check.js';
import type { FloorResult } from './floor.js';
import type { LoadFigures } from './load.js';
import type { ScenarioName } from './scenarios.js';
import { repoRoot, type TargetName } from './servers.js';

export const resultsDir = join(repoRoot, 'bench/results');

export interface TargetResult extends LoadFigures {
  deltasAcked: number;
  deltasRefused: number;
  readsOk: number;
  readsFailed: number;
  /** The scenario's headline rate: requests/s or acknowledged deltas/s. */
  rate: number;
  /** Null for the bare server (no database to check). */
  check: CheckResult | null;
  /** CPU time per measured request (µs): the server process, its PostgreSQL backends, this load generator. */
  cpuMicrosPerRequest: { server: number; postgres: number | null; client: number };
  /** Retries answered with their first result. */
  replays: number;
  /** `inventory_flushes_total{outcome="rolled_back"}` gained during the measured run; null for bare. */
  rolledBackFlushes: number | null;
}

export interface Goal { name: string; target: string; actual: string; met: boolean }

export interface ScenarioResult {
  scenario: ScenarioName;
  /** Null for a run with the shipped settings; a name for a variant (`--tag`). */
  tag: string | null;
  summary: string;
  unit: 'req/s' | 'deltas/s';
  status: 'ran' | 'skipped' | 'failed';
  note: string | null;
  conditions: Record<string, unknown>;
  targets: Partial<Record<TargetName, TargetResult>>;
  ratios: { batchedOverNaive: number | null; batchedOverBare: number | null };
  /** The batch scenario's set-based PostgreSQL floor, measured in the same run (`bench/floor.ts`). */
  floor: FloorResult | null;
  goals: Goal[];
}

export function ratiosOf(targets: ScenarioResult['targets']): ScenarioResult['ratios'] {
  const ratio = (a: TargetResult | undefined, b: TargetResult | undefined) =>
    a !== undefined && b !== undefined && b.rate > 0 ? Math.round((a.rate / b.rate) * 100) / 100 : null;
  return { batchedOverNaive: ratio(targets.batched, targets.naive), batchedOverBare: ratio(targets.batched, targets.bare) };
}

/** The issue's targets that apply to this scenario, judged on this run's figures. */
export function goalsOf(result: Omit<ScenarioResult, 'goals'>): Goal[] {
  const batched = result.targets.batched;
  if (batched === undefined) return [];
  const goals: Goal[] = [];
  const atLeast = (name: string, actual: number | null, target: number) =>
    goals.push({ name, target: `≥ ${target}`, actual: actual === null ? 'n/a' : String(actual), met: actual !== null && actual >= target });
  const clean = batched.errors === 0 && batched.non2xx === 0 && (batched.check?.passed ?? false);
  const p99 = () => goals.push({ name: 'batched p99', target: '≤ 50 ms', actual: `${batched.latencyP99Ms} ms`, met: batched.latencyP99Ms <= 50 });
  const exact = () => goals.push({
    name: 'batched errors, non-2xx, check', target: '0, 0, pass',
    actual: `${batched.errors}, ${batched.non2xx}, ${batched.check?.passed ? 'pass' : 'FAIL'}`, met: clean,
  });
  // The targets of issue 10 (engine v2).
  switch (result.scenario) {
    case 'seckill':
      atLeast('batched / bare req/s', result.ratios.batchedOverBare, 0.5);
      atLeast('batched / naive req/s', result.ratios.batchedOverNaive, 8);
      p99();
      exact();
      break;
    case 'uniform':
      atLeast('batched / bare req/s', result.ratios.batchedOverBare, 0.4);
      atLeast('batched / naive req/s', result.ratios.batchedOverNaive, 5);
      p99();
      exact();
      break;
    case 'batch': {
      const floor = result.floor?.deltasPerSecond ?? null;
      atLeast('batched deltas/s ÷ set-based floor deltas/s', floor === null ? null : Math.round((batched.rate / floor) * 100) / 100, 0.5);
      exact();
      break;
    }
    case 'mixed':
      atLeast('batched / naive req/s', result.ratios.batchedOverNaive, 2);
      exact();
      break;
    case 'retry':
      goals.push({ name: 'rolled-back flushes', target: '0', actual: String(batched.rolledBackFlushes), met: batched.rolledBackFlushes === 0 });
      exact();
      break;
  }
  return goals;
}

export function writeScenarioResult(result: ScenarioResult): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${result.scenario}${result.tag === null ? '' : `.${result.tag}`}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Rebuilds summary.md from every scenario file present: default runs first, then tagged variants. */
export function writeSummary(order: readonly ScenarioName[]): string {
  const files = listFiles(resultsDir, '.json').map((file) => ({ file, name: file.slice(resultsDir.length + 1, -'.json'.length) }));
  const rank = (name: string) => {
    const [scenario, tag] = name.split('.') as [ScenarioName, string | undefined];
    return (tag === undefined ? 0 : 100) + order.indexOf(scenario);
  };
  const results = files
    .filter(({ name }) => order.includes(name.split('.')[0] as ScenarioName))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
    .map(({ file }) => JSON.parse(readFileSync(file, 'utf8')) as ScenarioResult);
  const file = join(resultsDir, 'summary.md');
  writeFileSync(file, summaryMarkdown(results));
  return file;
}

function summaryMarkdown(results: ScenarioResult[]): string {
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (see `bench/README.md`). Rates are per second; latencies are autocannon\'s, in ms.',
    '`check` is the correctness check after the run (stock moved by exactly the acknowledged deltas, one log row each,',
    'each product equal to seed + its logged deltas, unbroken log chains, Redis equal to the DB).',
    '',
    '| scenario | unit | bare | naive | batched | batched/naive | batched/bare | batched p50 / p99 | errors + non-2xx (bare/naive/batched) | check (naive/batched) | measured |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const result of results) {
    const t = result.targets;
    const name = result.tag === null ? result.scenario : `${result.scenario} (${result.tag}: ${settingsOf(result)})`;
    if (result.status !== 'ran') {
      lines.push(`| ${name} | ${result.unit} | ${result.status}: ${result.note ?? ''} | | | | | | | | ${String(result.conditions.date ?? '')} |`);
      continue;
    }
    const rate = (name: TargetName) => t[name]?.rate.toLocaleString('en-US') ?? '–';
    const faults = (name: TargetName) => (t[name] === undefined ? '–' : String(t[name].errors + t[name].non2xx));
    const check = (name: TargetName) => (t[name]?.check == null ? '–' : t[name].check.passed ? 'pass' : 'FAIL');
    lines.push(`| ${name} | ${result.unit} | ${rate('bare')} | ${rate('naive')} | ${rate('batched')} | ` +
      `${result.ratios.batchedOverNaive ?? '–'} | ${result.ratios.batchedOverBare ?? '–'} | ` +
      `${t.batched ? `${t.batched.latencyP50Ms} / ${t.batched.latencyP99Ms}` : '–'} | ` +
      `${faults('bare')} / ${faults('naive')} / ${faults('batched')} | ${check('naive')} / ${check('batched')} | ` +
      `${String(result.conditions.date ?? '')} |`);
  }
  lines.push('', '## CPU per request (µs: server / its PostgreSQL backends / load generator) and deltas per transaction', '',
    'Steadier than the rates on a shared machine: a process that waits or is preempted spends no CPU.', '',
    '| scenario | bare | naive | batched | naive deltas/tx | batched deltas/tx |', '|---|---|---|---|---|---|');
  for (const result of results.filter((entry) => entry.status !== 'skipped')) {
    const cpu = (name: TargetName) => {
      const figures = result.targets[name]?.cpuMicrosPerRequest;
      return figures === undefined ? '–' : `${figures.server} / ${figures.postgres ?? '–'} / ${figures.client}`;
    };
    const perTransaction = (name: TargetName) => {
      const figures = result.targets[name];
      return figures?.check == null ? '–' : (figures.deltasAcked / Math.max(1, figures.check.writeTransactions)).toFixed(1);
    };
    lines.push(`| ${result.tag === null ? result.scenario : `${result.scenario} (${result.tag})`} | ${cpu('bare')} | ${cpu('naive')} | ` +
      `${cpu('batched')} | ${perTransaction('naive')} | ${perTransaction('batched')} |`);
  }
  const goals = results.filter((result) => result.tag === null)
    .flatMap((result) => result.goals.map((goal) => ({ scenario: result.scenario, ...goal })));
  if (goals.length > 0) {
    lines.push('', '## Targets (issue 10)', '', '| scenario | goal | target | this run | met |', '|---|---|---|---|---|');
    for (const goal of goals) lines.push(`| ${goal.scenario} | ${goal.name} | ${goal.target} | ${goal.actual} | ${goal.met ? 'yes' : 'NO'} |`);
  }
  const floors = results.filter((result) => result.floor != null);
  if (floors.length > 0) {
    lines.push('', '## Set-based PostgreSQL floor (batch scenario, same run)', '',
      'The engine\'s flush statement sent back to back by two clients, 40 distinct products per statement, one keyed',
      'delta each (bench/floor.ts): what PostgreSQL alone does with it here.', '');
    for (const result of floors) {
      const floor = result.floor!;
      lines.push(`- ${result.scenario}${result.tag === null ? '' : ` (${result.tag})`}: ${floor.deltasPerSecond.toLocaleString('en-US')} deltas/s ` +
        `(${floor.statementsPerSecond.toLocaleString('en-US')} statements/s, ${floor.clients} clients, ${floor.seconds} s); ` +
        `batched ${result.targets.batched?.rate.toLocaleString('en-US') ?? '–'} deltas/s`);
    }
  }
  const retries = results.filter((result) => result.scenario === 'retry' && result.status === 'ran');
  for (const result of retries) {
    const t = result.targets;
    lines.push('', `Retry scenario${result.tag === null ? '' : ` (${result.tag})`}: replays answered naive ${t.naive?.replays ?? '–'}, ` +
      `batched ${t.batched?.replays ?? '–'}; rolled-back flushes batched ${t.batched?.rolledBackFlushes ?? '–'}.`);
  }
  const notes = results.filter((result) => result.note !== null && result.status === 'ran');
  if (notes.length > 0) {
    lines.push('', '## Notes', '');
    for (const result of notes.filter((entry) => entry.tag === null)) lines.push(`- ${result.scenario}: ${result.note}`);
  }
  lines.push('', '## Conditions', '');
  for (const result of results.filter((entry) => entry.status === 'ran')) {
    const c = result.conditions as Record<string, unknown>;
    lines.push(`- ${result.scenario}${result.tag === null ? '' : ` (${result.tag})`}: ${String(c.date)}, commit ${String(c.commit)}, ` +
      `node ${String(c.node)}, ${String(c.cpus)} CPUs, load average ${JSON.stringify(c.loadAverageStart)} → ` +
      `${JSON.stringify(c.loadAverageEnd)}, ${String(c.rounds)} rounds of ${String(c.seconds)} s per server (servers taking turns), ` +
      `each after ${String(c.warmupSeconds)} s warm-up, ` +
      `${String(c.connections)} connections, ${c.keyed ? 'order_id on every sync' : 'no order_id'}`);
  }
  const others = listFiles(resultsDir, '.md').map((file) => file.slice(resultsDir.length + 1)).filter((name) => name !== 'summary.md');
  if (others.length > 0) lines.push('', `Other results in this folder: ${others.sort().join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

function settingsOf(result: ScenarioResult): string {
  const overrides = Object.entries((result.conditions.overrides ?? {}) as Record<string, string>);
  return overrides.length === 0 ? 'shipped settings' : overrides.map(([key, value]) => `${key}=${value}`).join(', ');
}

export function listFiles(dir: string, suffix: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(suffix)).map((name) => join(dir, name)) : [];
}
