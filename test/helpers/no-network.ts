/**
 * Setup file of the unit project: any attempt to open a TCP or Unix socket connection throws, so a
 * test that needs PostgreSQL, Redis or a listening server fails here at once (move it to the
 * integration project) instead of passing only where the services happen to run.
 */
import { Socket } from 'node:net';

Socket.prototype.connect = function refuseConnect(): never {
  throw new Error('unit tests must not open network connections: this test belongs in the integration project (test/, not test/unit/)');
} as typeof Socket.prototype.connect;
