/**
 * The three places this service reaches past node-postgres' public API, wrapped so the rest of
 * the code names what it needs, and `test/store/pg-internals.test.ts` fails if an upgrade of `pg`
 * (pinned exactly in package.json) takes one away:
 * - `pipeline`: the opt-in pipelined mode of pg ≥ 8.23 (a pool option its typings do not list);
 * - `connection.stream`: the client's socket, corked while a round's statements are issued;
 * - `processID`: the backend's pid, to end that backend after its connection was lost mid-commit.
 */
import type { Duplex } from 'node:stream';
import type pg from 'pg';

/** Pool options that turn pipelining on or off. */
export function pipelineOption(pipeline: boolean): object {
  return { pipeline };
}

function socketOf(client: pg.ClientBase): Duplex | undefined {
  return (client as unknown as { connection?: { stream?: Duplex } }).connection?.stream;
}

/**
 * Sends a round of pipelined statements in one socket write. pg writes each query as soon as it
 * is issued (and a simple query such as BEGIN or COMMIT is a write of its own), so a round of
 * BEGIN, statements and COMMIT would cost one write syscall and one backend wake-up each. With the
 * socket corked while they are issued, Node coalesces them into one writev. The bytes on the wire
 * and their order are unchanged.
 */
export function sendTogether<T>(client: pg.ClientBase, issue: () => T): T {
  const stream = socketOf(client);
  if (stream === undefined) return issue();
  stream.cork();
  try {
    return issue();
  } finally {
    stream.uncork();
  }
}

/** The pid of the backend serving this client, or null before it connected. */
export function backendPidOf(client: pg.ClientBase): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' && pid > 0 ? pid : null;
}

/** Whether the client runs in pipelined mode (the option above took effect). */
export function isPipelined(client: pg.ClientBase): boolean {
  return (client as unknown as { pipeline?: unknown }).pipeline === true;
}

/** True when the client has the socket `sendTogether` corks (false would only cost speed). */
export function canSendTogether(client: pg.ClientBase): boolean {
  const stream = socketOf(client);
  return stream !== undefined && typeof stream.cork === 'function';
}
