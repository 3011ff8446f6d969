/**
 * Proves the scripts the README promises work against a real service: `scripts/test.sh --smoke`
 * passes against this app listening on a port (create, deduct, replay, refusal, restock, reads,
 * stats, metrics, a health run), and `scripts/start.sh --monitoring` asks docker compose for the
 * monitoring profile with a build and returns once /health answers (docker is replaced by a stub
 * that records its arguments, since no Docker daemon runs here).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';

const run = promisify(execFile);
const script = (name: string) => new URL(`../scripts/${name}`, import.meta.url).pathname;
const it = appTest();
let port = 0;
const stubDir = mkdtempSync(join(tmpdir(), 'inventory-scripts-'));
const dockerLog = join(stubDir, 'docker.log');

it.beforeAll(async ({ t }) => {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
  writeFileSync(join(stubDir, 'docker'), `#!/usr/bin/env bash\necho "$*" >> "${dockerLog}"\n`);
  chmodSync(join(stubDir, 'docker'), 0o755);
});
afterAll(() => { rmSync(stubDir, { recursive: true, force: true }); });

describe('scripts/test.sh --smoke', () => {
  it('passes against a running service', async () => {
    const { stdout } = await run('bash', [script('test.sh'), '--smoke', `http://127.0.0.1:${port}`], { timeout: 30_000 });
    expect(stdout).toContain('smoke test: all passed');
    expect(stdout).not.toContain('FAIL');
    expect(stdout.match(/^ok {4}/gm)).toHaveLength(13);
  });

  it('fails when the service answers wrongly', async () => {
    // A second run creates its product afresh but the id is fixed here: the create is refused with 409.
    const env = { ...process.env, SMOKE_PRODUCT_ID: '1' };
    await run('bash', [script('test.sh'), '--smoke', `http://127.0.0.1:${port}`], { env, timeout: 30_000 });
    const failed = await run('bash', [script('test.sh'), '--smoke', `http://127.0.0.1:${port}`], { env, timeout: 30_000 })
      .then(() => null, (error: { code: number; stdout: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain('FAIL  create a product with 10 in stock: status 409');
  });
});

describe('scripts/start.sh', () => {
  it('starts the monitoring profile with a build and waits for /health', async () => {
    rmSync(dockerLog, { force: true });
    const env = { ...process.env, PATH: `${stubDir}:${process.env.PATH}`, INVENTORY_PORT: String(port) };
    const { stdout } = await run('bash', [script('start.sh'), '--monitoring'], { env, timeout: 30_000 });
    expect(readFileSync(dockerLog, 'utf8').trim().split('\n')).toEqual(['compose version', 'compose --profile monitoring up -d --build']);
    expect(stdout).toContain(`inventory service:  http://localhost:${port}`);
    expect(stdout).toContain('grafana:');
  });

  it('starts the default services without a profile, and refuses unknown options', async () => {
    rmSync(dockerLog, { force: true });
    const env = { ...process.env, PATH: `${stubDir}:${process.env.PATH}`, INVENTORY_PORT: String(port) };
    const { stdout } = await run('bash', [script('start.sh'), '--no-build'], { env, timeout: 30_000 });
    expect(readFileSync(dockerLog, 'utf8').trim().split('\n')).toEqual(['compose version', 'compose up -d']);
    expect(stdout).not.toContain('grafana:');
    const refused = await run('bash', [script('start.sh'), '--bogus'], { env }).then(() => null, (error: { code: number; stderr: string }) => error);
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toContain("unknown option '--bogus'");
  });
});
