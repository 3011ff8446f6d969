/**
 * One span of a rebuild, inside a worker thread: the span's active products are streamed with
 * pg-cursor in chunks of `chunkRows` (the next chunk is fetched while Redis takes this one), and
 * each chunk is written through the service's own version-guarded script (`StockCacheWriter
 * .rebuild`), in calls of at most `scriptRows` products sent together (auto-pipelining puts them in
 * one write). A sync that commits while the span is read writes its newer version after commit;
 * whichever of the two writes lands second, the guard keeps the newer value. Memory: two chunks.
 */
import Cursor from 'pg-cursor';
import { assert } from '../assert.js';
import { rebuildSpanText, type RebuildRow } from '../store/postgres/rebuild-queries.js';
import type { StockCacheWriter, StockRow } from '../store/redis/stock-cache.js';
import { failAs } from './reconcile-failure.js';
import type { WorkerClients } from './reconcile-looks.js';
import type { RebuildResult, RebuildTask } from './reconcile-types.js';

export async function rebuildSpan(clients: WorkerClients, task: RebuildTask): Promise<RebuildResult> {
  assert(task.chunkRows >= 1 && task.scriptRows >= 1);
  const progress = new BigInt64Array(task.progress);
  const result: RebuildResult = { scannedRows: 0, keysWritten: 0 };
  const cursor = clients.scan.query(new Cursor<RebuildRow>(rebuildSpanText, [task.fromProductId, task.toProductId], { rowMode: 'array' }));
  const readChunk = () => failAs('database error', cursor.read(task.chunkRows));
  let next: Promise<RebuildRow[]> | null = readChunk();
  try {
    // Bounded: the span is finite, and a chunk shorter than chunkRows is its last.
    while (next !== null) {
      const rows: RebuildRow[] = await next;
      next = rows.length === task.chunkRows ? readChunk() : null;
      const written = await failAs('redis unreachable', writeChunk(clients.cache, rows, task.scriptRows));
      assert(written >= 0 && written <= rows.length, `a chunk of ${rows.length} rows wrote ${written} keys`);
      result.scannedRows += rows.length;
      result.keysWritten += written;
      Atomics.add(progress, 0, BigInt(rows.length));
    }
  } finally {
    await next?.catch(() => []);
    await cursor.close().catch(() => {});
  }
  return result;
}

/** One chunk in script calls of at most `scriptRows` products, all sent before the first answer. */
async function writeChunk(cache: StockCacheWriter, rows: readonly RebuildRow[], scriptRows: number): Promise<number> {
  const calls: Promise<number>[] = [];
  for (let start = 0; start < rows.length; start += scriptRows) {
    const group: StockRow[] = [];
    for (let index = start; index < Math.min(rows.length, start + scriptRows); index += 1) {
      const [productId, available, version] = rows[index]!;
      group.push({ productId, available, version });
    }
    calls.push(cache.rebuild(group));
  }
  const written = await Promise.all(calls);
  return written.reduce((sum, count) => sum + count, 0);
}
