/**
 * A private three-master Redis Cluster (redis-server --cluster-enabled yes, joined with
 * redis-cli --cluster create), for tests of the cluster path that must not touch the shared Redis.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './private-redis.js';

const run = promisify(execFile);

export class PrivateRedisCluster {
  private constructor(readonly ports: number[], private readonly processes: ChildProcess[], private readonly dir: string) {}

  get nodes(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
    const ports: number[] = [];
    for (let i = 0; i < masters; i += 1) ports.push(await freePort());
    const processes = ports.map((port) => spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no',
    ], { stdio: 'ignore' }));
    const cluster = new PrivateRedisCluster(ports, processes, dir);
    try {
      for (const port of ports) await waitForPing(port);
      await run('redis-cli', ['--cluster', 'create', ...cluster.nodes, '--cluster-replicas', '0', '--cluster-yes']);
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) return cluster;
        await sleep(100);
      }
      throw new Error('the private Redis cluster did not become ready');
    } catch (error) {
      await cluster.stop(); // no redis-server outlives a failed start
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((child) => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(null);
      child.once('exit', resolve);
      child.kill('SIGKILL');
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPing(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
      if (stdout.trim() === 'PONG') return;
    } catch { /* not up yet */ }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not start`);
}
