/**
 * Sends a pipelined batch of statements in one socket write. pg writes each query as soon as it is
 * issued (and a simple query such as BEGIN or COMMIT is one write of its own), so a flush of BEGIN,
 * one statement and COMMIT cost three write syscalls and up to three wake-ups of the backend. With
 * the socket corked while they are issued, Node coalesces them into one writev when it is uncorked.
 * The bytes on the wire and their order are unchanged.
 */
import type { Duplex } from 'node:stream';
import type pg from 'pg';

export function sendTogether<T>(client: pg.PoolClient, issue: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: Duplex } }).connection?.stream;
  if (stream === undefined) return issue();
  stream.cork();
  try {
    return issue();
  } finally {
    stream.uncork();
  }
}
