/**
 * Proves prometheus/alerts.yml is valid and alerts on what the service really exposes: every rule
 * parses, has a severity and a summary, and names only metrics a live /metrics lists (after one
 * sync, so histograms have samples); with promtool installed (Debian package `prometheus`), also
 * `promtool check rules`, `promtool check config` (prometheus.yml wires the rules in) and
 * `promtool test rules` (prometheus/alerts.test.yml: each alert fires on its series, not on healthy ones).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { appTest } from './helpers/app-test.js';
import { parsePrometheusText } from './helpers/prometheus-text.js';
import { metricNamesOf } from './helpers/promql.js';
import { createProduct, sync } from './helpers/test-env.js';

const prometheusDir = fileURLToPath(new URL('../prometheus/', import.meta.url));
interface Rule { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string; description?: string } }
const rules = (parseYaml(readFileSync(`${prometheusDir}alerts.yml`, 'utf8')) as { groups: { name: string; rules: Rule[] }[] })
  .groups.flatMap((group) => group.rules);
const promtool = spawnSync('promtool', ['--version']).status === 0;
const it = appTest();

it('parses, and every rule has a severity, a summary and an expression naming exposed metrics', async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 10 });
  expect((await sync(t.app, { product_id: 1, delta: -1 })).status).toBe(200);
  const exposed = new Set(parsePrometheusText((await t.app.inject({ method: 'GET', url: '/metrics' })).body).map((sample) => sample.name));
  expect(rules.map((rule) => rule.alert).sort()).toEqual([
    'InventoryDiffsPending', 'InventoryQueueNearBound', 'InventoryReconciliationFailing', 'InventoryRedisWriteFailuresRising',
    'InventorySyncFailing', 'InventorySyncLatencyHigh', 'InventorySyncSuccessRateLow', 'InventoryWebhookDeliveriesFailing',
    'InventoryWebhookDeliveriesGivenUp',
  ]);
  const missing: string[] = [];
  for (const rule of rules) {
    expect(['warning', 'critical'], rule.alert).toContain(rule.labels.severity);
    expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
    const names = metricNamesOf(rule.expr);
    expect(names.length, rule.alert).toBeGreaterThan(0);
    for (const name of names) if (!exposed.has(name)) missing.push(`${name} (in ${rule.alert})`);
  }
  expect(missing).toEqual([]);
});

it.runIf(promtool)('passes promtool check rules, check config and the rules unit tests', () => {
  for (const args of [['check', 'rules', 'alerts.yml'], ['check', 'config', 'prometheus.yml'], ['test', 'rules', 'alerts.test.yml']]) {
    const run = spawnSync('promtool', args, { cwd: prometheusDir, encoding: 'utf8' });
    expect(run.status, `promtool ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(0);
  }
});
