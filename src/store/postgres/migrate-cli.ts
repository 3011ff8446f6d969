/** `npm run migrate`: create the database if needed and apply pending migrations, then exit. */
import { loadConfig } from '../../config/load-config.js';
import { ensureDatabase, migrate } from './migrate.js';

const config = loadConfig();
if (config.database.postgres.create_database) await ensureDatabase(config.database.postgres);
const applied = await migrate(config.database.postgres);
console.log(applied.length === 0 ? 'migrations: up to date' : `migrations applied: ${applied.join(', ')}`);
