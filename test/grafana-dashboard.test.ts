/**
 * Proves the Grafana dashboard cannot silently go blank: after traffic that makes every series
 * appear (syncs, a refusal, a reconciliation run with a diff, its fix and alerts), every metric
 * named by every PromQL expression of the dashboard has samples in GET /metrics of an app built as
 * server.ts builds it (prom-client defaults on). Also checks the board's wiring: each panel uses
 * the provisioned datasource, panels do not overlap, and the board covers what the issue asks.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createServices, type Services } from '../src/services.js';
import { parsePrometheusText, samplesOf, valueOf } from './helpers/prometheus-text.js';
import { metricNamesOf } from './helpers/promql.js';
import { checkNow, dropRedisKeys, fix, setRedisStock } from './helpers/reconcile-fixtures.js';
import { createProduct, dropDatabase, sync, testConfig } from './helpers/test-env.js';

const repo = new URL('../', import.meta.url);
const readText = (path: string) => readFileSync(new URL(path, repo), 'utf8');

interface Panel {
  id: number; type: string; title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(readText('grafana/dashboards/inventory-service.json')) as {
  uid: string; panels: Panel[]; templating: { list: { query: { query: string } | string; datasource: { uid: string } }[] };
};

const targets = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
const variableQueries = dashboard.templating.list.map((variable) =>
  typeof variable.query === 'string' ? variable.query : variable.query.query);

describe('the PromQL reader of this test', () => {
  it('finds metric names and nothing else', () => {
    expect(metricNamesOf('histogram_quantile(0.99, sum by (le, route) (rate(inventory_http_request_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval])))'))
      .toEqual(['inventory_http_request_duration_seconds_bucket']);
    expect(metricNamesOf('sum(rate(a_total{result=~"success|replayed"}[5m])) / sum(rate(b_total[5m])) * 1e3'))
      .toEqual(['a_total', 'b_total']);
    expect(metricNamesOf('sum by (pool) (x_connections - x_idle_connections) > bool 0')).toEqual(['x_connections', 'x_idle_connections']);
  });
});

describe('the Grafana dashboard against a live /metrics', () => {
  const config = testConfig({ inventory: { low_stock_threshold: 10 } });
  let services: Services;
  let app: FastifyInstance;

  beforeAll(async () => {
    services = await createServices(config, { collectDefaultMetrics: true });
    app = await buildApp(services);
    await app.ready();
    await createProduct(app, { product_id: 1, stock: 100 });
    await createProduct(app, { product_id: 2, stock: 0 }); // an out_of_stock alert
    expect((await sync(app, { product_id: 1, delta: -1 })).status).toBe(200);
    expect((await sync(app, { product_id: 2, delta: -1 })).status).toBe(409);
    await setRedisStock(services, 1, 50); // a diff, then its fix
    const report = await checkNow(app);
    expect(report.diffs_found).toBe(1);
    expect((await fix(app, report.diffs[0]!.id, { fix_type: 'use_db' })).status).toBe(200);
  });
  afterAll(async () => {
    if (services !== undefined) await dropRedisKeys(services);
    await app?.close();
    await services?.close();
    await dropDatabase(config);
  });

  it('names only metrics that /metrics exposes, each with samples', async () => {
    const scraped = parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const exposed = new Set(scraped.map((sample) => sample.name));
    const expressions = [...targets.map(({ target }) => target.expr), ...variableQueries.map((query) => /label_values\((\w+)/.exec(query)![1]!)];
    expect(expressions.length).toBeGreaterThanOrEqual(30);
    const missing: string[] = [];
    for (const expr of expressions) {
      const names = metricNamesOf(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) if (!exposed.has(name)) missing.push(`${name} (in ${expr})`);
    }
    expect(missing).toEqual([]);
  });

  it('carries the run\'s counts from the worker threads into the main registry', async () => {
    const scraped = parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const value = (name: string, labels: Record<string, string> = {}) => valueOf(scraped, name, labels);
    expect(value('inventory_reconcile_rows_scanned_total')).toBe(2);
    expect(value('inventory_reconcile_last_run_rows_scanned')).toBe(2);
    expect(value('inventory_reconcile_runs_total', { outcome: 'completed' })).toBe(1);
    expect(value('inventory_diffs_found_total')).toBe(1);
    expect(value('inventory_reconcile_last_run_diffs_found')).toBe(1);
    expect(value('inventory_reconcile_last_run_duration_seconds')).toBeGreaterThan(0);
    expect(value('inventory_diffs_fixed_total', { fix_type: 'use_db' })).toBe(1);
    expect(value('inventory_diffs_pending')).toBe(0);
    // Product 2 is out of stock; product 1 (99 available) is above the threshold of 10, and its
    // diff of -49 is within alert_threshold (50): a warning.
    expect(samplesOf(scraped, 'inventory_alerts_raised_total').map((s) => `${s.labels.type}:${s.labels.level}=${s.value}`).sort())
      .toEqual(['diff_alert:error=0', 'diff_alert:warning=1', 'low_stock:warning=0', 'out_of_stock:error=1']);
  });

  it('counts per interval, so bars add up to the total whatever the zoom, and shows webhook deliveries', () => {
    // increase() over $__rate_interval at each step overlaps the next window: fractional counts that change with zoom.
    const counting = targets.filter(({ target }) => /\bincrease\(/.test(target.expr) && !/\[5m\]/.test(target.expr));
    expect(counting.length).toBeGreaterThanOrEqual(5);
    for (const { panel, target } of counting) {
      expect(target.expr, panel.title).toContain('[$__interval]');
      expect((panel as Panel & { interval?: string }).interval, panel.title).toBe('1m');
    }
    for (const { target } of targets) expect(target.expr).not.toMatch(/increase\([^)]*\[\$__rate_interval\]/);
    const used = new Set(targets.flatMap(({ target }) => metricNamesOf(target.expr)));
    for (const name of ['inventory_webhook_deliveries_total', 'inventory_webhook_outbox_rows']) expect(used.has(name), name).toBe(true);
  });

  it('covers what the issue asks for at a glance', () => {
    const used = new Set(targets.flatMap(({ target }) => metricNamesOf(target.expr)));
    for (const name of [
      'inventory_sync_requests_total', 'inventory_sync_duration_seconds_bucket', 'inventory_flush_batch_size_bucket',
      'inventory_shard_queue_depth', 'inventory_diffs_pending', 'inventory_reconcile_last_run_diffs_found',
      'inventory_alerts_raised_total', 'inventory_reconcile_last_run_duration_seconds', 'inventory_pg_pool_connections',
      'inventory_pg_pool_idle_connections', 'inventory_http_request_duration_seconds_bucket',
    ]) expect(used.has(name), name).toBe(true);
    const exprs = targets.map(({ target }) => target.expr).join('\n');
    expect(exprs).toContain('result!~"success|replayed"'); // refusals by code
    expect(exprs).toContain('histogram_quantile(0.5,');
    expect(exprs).toContain('histogram_quantile(0.99,');
  });
});

describe('the dashboard\'s wiring', () => {
  const datasources = parseYaml(readText('grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string }[] };
  const provisioned = datasources.datasources[0]!;

  it('points every panel, target and variable at the provisioned Prometheus datasource', () => {
    expect(provisioned.type).toBe('prometheus');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid, panel.title).toBe(provisioned.uid);
    for (const { panel, target } of targets) expect(target.datasource?.uid, panel.title).toBe(provisioned.uid);
    for (const variable of dashboard.templating.list) expect(variable.datasource.uid).toBe(provisioned.uid);
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
    const panels = dashboard.panels;
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const [i, a] of panels.entries()) {
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
      for (const b of panels.slice(i + 1)) {
        const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w
          && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${a.title} / ${b.title}`).toBe(false);
      }
    }
  });
});
