// Proves the served OpenAPI document passes a linter nobody here wrote: Stoplight Spectral's
// `spectral:oas` ruleset with every rule on (.spectral.yaml) reports nothing at all on /docs/json,
// warnings and hints included. Spectral runs as its CLI, as a user would run it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';

const it = appTest();
const run = promisify(execFile);
const spectral = join(process.cwd(), 'node_modules', '.bin', 'spectral');
const ruleset = join(process.cwd(), '.spectral.yaml');

interface Finding { code: string; severity: number; path: string[]; message: string }

describe('OpenAPI under Spectral', () => {
  it('reports no finding of any severity on /docs/json', async ({ t }) => {
    const answer = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(answer.statusCode).toBe(200);
    const folder = await mkdtemp(join(tmpdir(), 'openapi-spectral-'));
    try {
      const document = join(folder, 'openapi.json');
      await writeFile(document, answer.body);
      // --fail-severity hint: any finding at all makes the CLI exit non-zero; the JSON lists them.
      const outcome = await run(spectral, ['lint', document, '--ruleset', ruleset, '--format', 'json', '--fail-severity', 'hint', '--quiet'],
        { timeout: 20_000 }).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', failed: error.code }));
      const findings = JSON.parse(outcome.stdout || '[]') as Finding[];
      expect(findings.map((finding) => `${finding.code} at ${finding.path.join('.')}: ${finding.message}`)).toEqual([]);
      expect('failed' in outcome ? outcome.failed : 0).toBe(0);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
