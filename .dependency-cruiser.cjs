/**
 * The layers, checked on every `npm test`: arrows run
 *   http → engine | reconcile | reservations | orders | ledger | notifications → store → domain
 * and never back up. Everything may use config, limits, errors, assert, timeout and metrics, which use
 * none of the layers. Type-only imports count (a type import is still an arrow).
 */
const above = (layers) => `^src/(${layers.join('|')})/`;
const serviceLayers = ['engine', 'reconcile', 'reservations', 'orders', 'ledger', 'notifications', 'alerts'];
const foundation = '^src/(config/|metrics/|limits\\.ts$|errors\\.ts$|assert\\.ts$|timeout\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'store-imports-upward',
      comment: 'src/store sits below the engine and the other services: it speaks domain types only.',
      severity: 'error',
      from: { path: '^src/store/', pathNot: '^src/store/postgres/flush-queries\\.ts$' },
      to: { path: above([...serviceLayers, 'http']) },
    },
    {
      // The one known exception: flush-queries.ts still takes its plan types from the engine's
      // planner. The engine rewrite (issue 10) removes it; then delete this rule and the pathNot above.
      name: 'flush-queries-imports-upward',
      comment: 'Only the planner types of src/engine/stock-plan.ts, until issue 10 lands.',
      severity: 'error',
      from: { path: '^src/store/postgres/flush-queries\\.ts$' },
      to: { path: above([...serviceLayers, 'http']), pathNot: '^src/engine/stock-plan\\.ts$' },
    },
    {
      name: 'domain-imports-a-layer',
      comment: 'src/domain holds the types every layer shares; it depends on none of them.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: above([...serviceLayers, 'http', 'store', 'config', 'metrics']) },
    },
    {
      name: 'http-imported-from-below',
      comment: 'Only the app (src/app.ts, src/server.ts) builds on the HTTP layer.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(http/|app\\.ts$|server\\.ts$)' },
      to: { path: '^src/http/' },
    },
    {
      name: 'foundation-imports-a-layer',
      comment: 'config, metrics, limits, errors, assert and timeout are used by every layer, so they use none.',
      severity: 'error',
      from: { path: foundation },
      to: { path: above([...serviceLayers, 'http', 'store', 'domain']) },
    },
    {
      name: 'services-bag-outside-the-root',
      comment: 'Routes reach services through decorators (app.engine, app.readPool …), never the whole bag.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app|server)\\.ts$' },
      to: { path: '^src/(services|app|server)\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle between modules hides which one is the lower layer.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
