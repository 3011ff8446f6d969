/**
 * Proves GET /metrics, scraped right after start with no traffic, already lists every labelled
 * counter's series for every known label value at 0 (so Prometheus' rate() and increase() see the
 * first event of each), and that the scrapes themselves are not counted as HTTP traffic.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { parsePrometheusText, valueOf } from './helpers/prometheus-text.js';
import { orderOperationsKnown, orderResultsKnown, syncResultsKnown } from '../src/metrics/metrics.js';
import {
  alertKindsKnown, fixOutcomes, fixSources, fixTypes, rebuildKeyResults, rebuildTriggers, runOutcomes,
} from '../src/metrics/reconcile-metrics.js';
import { webhookDeliveryResults } from '../src/metrics/webhook-metrics.js';

const it = appTest();

/** Every labelled counter, and the label sets it must list at 0 before anything happened. */
const preset: [string, Record<string, string>[]][] = [
  ['inventory_sync_requests_total', syncResultsKnown.map((result) => ({ result }))],
  ['inventory_flushes_total', ['committed', 'rolled_back', 'connection_lost'].map((outcome) => ({ outcome }))],
  ['inventory_flush_replans_total', ['version_moved', 'stored_key', 'duplicate_key', 'deadlock', 'isolated'].map((reason) => ({ reason }))],
  ['inventory_reconcile_runs_total', runOutcomes.map((outcome) => ({ outcome }))],
  ['inventory_diffs_fixed_total', fixTypes.map((fix_type) => ({ fix_type }))],
  ['inventory_diff_fix_attempts_total', fixSources.flatMap((source) => fixOutcomes.map((outcome) => ({ source, outcome })))],
  ['inventory_alerts_raised_total', alertKindsKnown.map(([type, level]) => ({ type, level }))],
  ['inventory_rebuild_runs_total', rebuildTriggers.flatMap((trigger) => runOutcomes.map((outcome) => ({ trigger, outcome })))],
  ['inventory_rebuild_keys_total', rebuildKeyResults.map((result) => ({ result }))],
  ['inventory_webhook_deliveries_total', webhookDeliveryResults.map((result) => ({ result }))],
  ['inventory_ledger_maintenance_runs_total', ['completed', 'failed', 'skipped'].map((outcome) => ({ outcome }))],
  ['inventory_ledger_audit_runs_total', ['completed', 'failed', 'aborted'].map((outcome) => ({ outcome }))],
  ['inventory_order_operations_total', orderOperationsKnown.flatMap((operation) => orderResultsKnown.map((result) => ({ operation, result })))],
  ['inventory_ledger_product_audits_total', ['agrees', 'disagrees'].map((verdict) => ({ verdict }))],
];

it('lists every known series of every labelled counter at 0 right after start', async ({ t }) => {
  const samples = parsePrometheusText((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
  for (const [name, labelSets] of preset) {
    for (const labels of labelSets) expect(valueOf(samples, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(0);
  }
  // And no counter with labels is missing from the list above (a new one must be preset too).
  const labelledCounters = new Set(samples.filter((s) => s.name.endsWith('_total') && Object.keys(s.labels).length > 0).map((s) => s.name));
  expect([...labelledCounters].sort()).toEqual(preset.map(([name]) => name).sort());
});

it('does not count its own scrapes as HTTP traffic', async ({ t }) => {
  for (let i = 0; i < 3; i += 1) expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  await t.app.inject({ method: 'GET', url: '/health' });
  const samples = parsePrometheusText((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
  const routes = samples.filter((s) => s.name === 'inventory_http_request_duration_seconds_count').map((s) => s.labels.route);
  expect(routes).toContain('/health');
  expect(routes).not.toContain('/metrics');
});
