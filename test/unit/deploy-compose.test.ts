/**
 * Proves the deployment files fit together, by parsing them (Docker itself does not run here):
 * docker-compose.yml starts postgres, redis and the service by default and prometheus and grafana
 * under the `monitoring` profile; the service's environment is read by the config loader as a
 * connection to the compose postgres and redis on the published port; Prometheus scrapes that
 * service name and port at /metrics; Grafana mounts the provisioning and dashboard the repository
 * holds; the Dockerfile builds with dev dependencies and runs dist/server.js as a non-root user with
 * production dependencies, config/ and migrations/. Where a docker compose CLI exists, `docker
 * compose config` must accept the file too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { redisOptions } from '../../src/store/redis/redis-client.js';

const repo = new URL('../../', import.meta.url);
const repoPath = (path: string) => new URL(path, repo).pathname;
const readText = (path: string) => readFileSync(repoPath(path), 'utf8');

interface ComposeService {
  image?: string; build?: string; profiles?: string[]; command?: string[];
  environment?: Record<string, string>; ports?: string[]; volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
}
const composeText = readText('docker-compose.yml');
/** `${NAME:-default}` in every string value, as docker compose reads it (after YAML) with no such variable set. */
function interpolated(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name: string, fallback: string) => fallback);
  if (Array.isArray(value)) return value.map(interpolated);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolated(item)]));
  return value;
}
const compose = interpolated(parseYaml(composeText)) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = compose.services;
const service = (name: string) => {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
/** [host port, container port] of each "host:container" mapping. */
const portsOf = (name: string) => (service(name).ports ?? []).map((mapping) => mapping.split(':').map(Number) as [number, number]);
/** Container path a repository path is mounted at, e.g. ./prometheus/prometheus.yml → /etc/prometheus/prometheus.yml. */
const mountOf = (name: string, source: string) => {
  const volume = (service(name).volumes ?? []).find((entry) => entry.split(':')[0] === source);
  if (volume === undefined) throw new Error(`${name} does not mount ${source}`);
  expect(existsSync(repoPath(source)), source).toBe(true);
  return volume.split(':')[1]!;
};

describe('docker-compose.yml', () => {
  it('starts postgres, redis and the service by default, prometheus and grafana with --profile monitoring', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'inventory-service', 'postgres', 'prometheus', 'redis']);
    for (const name of ['postgres', 'redis', 'inventory-service']) expect(service(name).profiles, name).toBeUndefined();
    for (const name of ['prometheus', 'grafana']) expect(service(name).profiles, name).toEqual(['monitoring']);
    expect(service('inventory-service').build).toBe('.');
    // Every variable has a default, so a bare `docker compose up` works.
    expect(composeText.match(/\$\{[^}]*\}/g)!.filter((use) => !use.includes(':-'))).toEqual([]);
  });

  it('waits for healthy postgres and redis before starting the service', () => {
    expect(service('inventory-service').depends_on).toEqual({
      postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' },
    });
    expect(service('postgres').healthcheck!.test.join(' ')).toContain('pg_isready');
    expect(service('redis').healthcheck!.test).toContain('ping');
  });

  it('gives the service environment overrides the config loader reads as the compose postgres and redis', () => {
    const environment = service('inventory-service').environment!;
    expect(Object.keys(environment)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'PORT']));
    const config = loadConfig(environment);
    const database = new URL(config.database.postgres.url!);
    const postgres = service('postgres').environment!;
    expect([database.hostname, Number(database.port), database.pathname.slice(1)]).toEqual(['postgres', portsOf('postgres')[0]![1], postgres.POSTGRES_DB]);
    expect([database.username, database.password]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD]);
    const redis = redisOptions(config.redis);
    expect([redis.host, redis.port, redis.db]).toEqual(['redis', portsOf('redis')[0]![1], 2]);
    expect(config.server.port).toBe(Number(environment.PORT));
    expect(config.server.host).toBe('0.0.0.0'); // reachable from the other containers
    expect(portsOf('inventory-service')).toEqual([[8083, config.server.port]]);
    expect(config.server.auth_token).toBe('');
  });

  it('has Prometheus scrape the service by its compose name and port at /metrics', () => {
    const prometheus = service('prometheus');
    const configFile = prometheus.command!.find((arg) => arg.startsWith('--config.file='))!.split('=')[1];
    expect(mountOf('prometheus', './prometheus/prometheus.yml')).toBe(configFile);
    const scrape = parseYaml(readText('prometheus/prometheus.yml')) as {
      global: { scrape_interval: string };
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const job = scrape.scrape_configs.find((entry) => entry.job_name === 'inventory-service')!;
    expect(job.metrics_path).toBe('/metrics');
    const port = loadConfig(service('inventory-service').environment!).server.port;
    expect(job.static_configs.flatMap((entry) => entry.targets)).toEqual([`inventory-service:${port}`]);
    expect(portsOf('prometheus')).toEqual([[9090, 9090]]);
  });

  it('has Prometheus load the alerting rules, mounted where prometheus.yml names them', () => {
    const configFile = service('prometheus').command!.find((arg) => arg.startsWith('--config.file='))!.split('=')[1]!;
    const { rule_files: ruleFiles } = parseYaml(readText('prometheus/prometheus.yml')) as { rule_files: string[] };
    expect(ruleFiles).toEqual(['alerts.yml']);
    // Relative rule files resolve against the config file's directory.
    expect(mountOf('prometheus', './prometheus/alerts.yml')).toBe(`${configFile.slice(0, configFile.lastIndexOf('/'))}/alerts.yml`);
  });

  it('has Grafana load the repository\'s datasource and dashboard', () => {
    const provisioning = mountOf('grafana', './grafana/provisioning');
    expect(provisioning).toBe('/etc/grafana/provisioning');
    const dashboardsDir = mountOf('grafana', './grafana/dashboards');
    const providers = parseYaml(readText('grafana/provisioning/dashboards/dashboards.yml')) as { providers: { options: { path: string } }[] };
    expect(providers.providers.map((provider) => provider.options.path)).toEqual([dashboardsDir]);
    const home = service('grafana').environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(home.startsWith(`${dashboardsDir}/`)).toBe(true);
    expect(existsSync(repoPath(`grafana/dashboards/${home.slice(dashboardsDir.length + 1)}`))).toBe(true);

    const datasource = (parseYaml(readText('grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { url: string; jsonData: { timeInterval: string } }[];
    }).datasources[0]!;
    const url = new URL(datasource.url);
    expect([url.hostname, Number(url.port)]).toEqual(['prometheus', portsOf('prometheus')[0]![1]]);
    // $__rate_interval assumes this is the scrape interval.
    expect(datasource.jsonData.timeInterval).toBe((parseYaml(readText('prometheus/prometheus.yml')) as { global: { scrape_interval: string } }).global.scrape_interval);
    expect(portsOf('grafana')).toEqual([[3000, 3000]]);
  });
});

describe('Dockerfile', () => {
  const lines = readText('Dockerfile').replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const stages: { name: string; instructions: string[] }[] = [];
  for (const line of lines) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(line);
    if (from !== null) stages.push({ name: from[1]!, instructions: [] });
    else if (/^FROM/i.test(line)) throw new Error(`a stage without a name: ${line}`);
    else stages.at(-1)?.instructions.push(line);
  }
  const stageRunning = (command: RegExp) => stages.find((stage) => stage.instructions.some((line) => line.startsWith('RUN') && command.test(line)))!;

  it('builds with dev dependencies, and runs with production dependencies only, as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const build = stageRunning(/npm ci(?!.*--omit=dev)/);
    expect(build.instructions.some((line) => /^RUN .*npm run build/.test(line))).toBe(true);
    const productionDeps = stageRunning(/npm ci .*--omit=dev/);
    const runtime = stages.at(-1)!.instructions;
    expect(runtime.some((line) => line.startsWith('RUN') && /npm (ci|install)/.test(line))).toBe(false);
    expect(runtime).toContain(`COPY --from=${productionDeps.name} /app/node_modules ./node_modules`);
    expect(runtime).toContain(`COPY --from=${build.name} /app/dist ./dist`);
    for (const path of ['package.json', 'config', 'migrations']) expect(runtime.some((line) => new RegExp(`^COPY ${path} `).test(line)), path).toBe(true);
    const user = runtime.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBe('USER node');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/server.js"]');
    expect(runtime).toContain('EXPOSE 8083');
    expect(runtime.some((line) => line.startsWith('HEALTHCHECK') && line.includes('/health'))).toBe(true);
  });

  it('builds dist/server.js and the reconciliation worker from src/', () => {
    const packageJson = JSON.parse(readText('package.json')) as { scripts: { build: string } };
    expect(packageJson.scripts.build).toBe('tsc -p tsconfig.build.json');
    const buildConfig = JSON.parse(readText('tsconfig.build.json')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(buildConfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(repoPath('src/server.ts'))).toBe(true);
    expect(existsSync(repoPath('src/reconcile/reconcile-worker.ts'))).toBe(true);
  });

  it('sends the build what it copies, and not node_modules, dist or tests (.dockerignore)', () => {
    const ignored = readText('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    const matches = (path: string) => ignored.some((pattern) => new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`).test(path));
    const copied = lines.filter((line) => /^COPY (?!--from)/.test(line)).flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(['config', 'migrations', 'package-lock.json', 'package.json', 'package.json', 'package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json'].sort());
    for (const path of copied) expect(matches(path), path).toBe(false);
    for (const path of ['node_modules', 'dist', 'test', '.git']) expect(matches(path), path).toBe(true);
  });
});

describe('scripts', () => {
  it('are executable bash scripts that parse', () => {
    for (const script of ['scripts/start.sh', 'scripts/test.sh']) {
      expect(statSync(repoPath(script)).mode & 0o111, script).not.toBe(0);
      const parsed = spawnSync('bash', ['-n', repoPath(script)], { encoding: 'utf8' });
      expect(parsed.status, parsed.stderr).toBe(0);
    }
  });
});

/** `docker compose` or `docker-compose`, if one of them answers here (neither needs a daemon for `config`). */
function composeCli(): string[] | null {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(cli[0]!, [...cli.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return cli;
  }
  return null;
}
const cli = composeCli();
if (cli === null) console.warn('note: no docker compose CLI on this machine (docker compose / docker-compose); `docker compose config` was not run');

describe.skipIf(cli === null)('docker compose config', () => {
  const run = (...args: string[]) => {
    const result = spawnSync(cli![0]!, [...cli!.slice(1), '-f', repoPath('docker-compose.yml'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout;
  };

  it('accepts the file with and without the monitoring profile, resolved as this test reads it', () => {
    // docker-compose 1.x lists every service here; docker compose 2 only those of active profiles.
    expect(run('config', '--services').trim().split('\n')).toEqual(expect.arrayContaining(['inventory-service', 'postgres', 'redis']));
    expect(run('--profile', 'monitoring', 'config', '--services').trim().split('\n').sort())
      .toEqual(['grafana', 'inventory-service', 'postgres', 'prometheus', 'redis']);
    const resolved = parseYaml(run('--profile', 'monitoring', 'config')) as { services: Record<string, ComposeService> };
    expect(resolved.services['inventory-service']!.environment).toEqual(service('inventory-service').environment);
    expect(resolved.services.prometheus!.profiles).toEqual(['monitoring']);
  });
});
