/**
 * Every route plugin, in one list. The API's plugins are registered once under `apiPrefix` (their
 * paths start at the resource: `/sync-stock`, `/inventory/:productId`); the system routes
 * (`/health`, `/metrics`) stay at the root, where load balancers and Prometheus expect them.
 * A new resource gets its folder under `routes/` and one line here.
 */
import type { RoutePlugin } from '../route-plugin.js';
import { alertsRoutes } from './alerts/alerts-routes.js';
import { healthCheckRoutes } from './health/health-check-routes.js';
import { historyRoutes } from './history/history-routes.js';
import { inventoryRoutes } from './inventory/inventory-routes.js';
import { ledgerRoutes } from './ledger/ledger-routes.js';
import { orderRoutes } from './orders/order-routes.js';
import { reservationRoutes } from './reservations/reservation-routes.js';
import { statsRoutes } from './stats/stats-routes.js';
import { syncRoutes } from './sync/sync-routes.js';
import { healthRoute } from './system/health-route.js';
import { metricsRoute } from './system/metrics-route.js';

export const apiPrefix = '/api/v1';

export const apiRoutes: readonly RoutePlugin[] = [
  syncRoutes,
  inventoryRoutes,
  reservationRoutes,
  orderRoutes,
  historyRoutes,
  healthCheckRoutes,
  alertsRoutes,
  statsRoutes,
  ledgerRoutes,
];

export const systemRoutes: readonly RoutePlugin[] = [healthRoute, metricsRoute];
