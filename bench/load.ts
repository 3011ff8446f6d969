/**
 * Drives load with autocannon in this process. A run by duration cuts off the requests in flight
 * when time is up, and those may commit without being acknowledged, which would make the
 * correctness check inexact. So the measured run is by count: a short warm-up by duration (JIT,
 * connections, prepared statements) measures the rate, the measured run sends rate × seconds
 * requests and ends when every one has its answer. Its rate is counted from its first request to
 * its last answer.
 */
import autocannon, { type Request, type Result } from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** A fresh list per call: autocannon keeps per-request state. */
  requests: () => Request[];
  /** Called between warm-up and measured run (the server has gone quiet by its return). */
  betweenRuns?: () => Promise<void>;
}

export interface LoadFigures {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** The run was stopped before every request had its answer. */
  cut: boolean;
  warmupRequestsPerSecond: number;
}

/** Seconds a request may take before autocannon counts it as timed out (and the check turns inexact). */
const requestTimeoutSeconds = 10;

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const warmup = await cannon({ url: options.url, connections: options.connections, duration: options.warmupSeconds,
    timeout: requestTimeoutSeconds, requests: options.requests() });
  const warmupRate = warmup.result.requests.total / warmup.seconds;
  await options.betweenRuns?.();
  // At least two requests per connection; no more, or a slow server (the naive engine on batches of
  // 100) needs longer than the cut-off below and its run can no longer be checked exactly.
  const amount = Math.max(options.connections * 2, Math.round(warmupRate * options.seconds));
  // A server that slows down badly after the warm-up must not hold the benchmark hostage.
  const cutAfterMs = (options.seconds * 4 + requestTimeoutSeconds) * 1000;
  const measured = await cannon({ url: options.url, connections: options.connections, amount,
    timeout: requestTimeoutSeconds, requests: options.requests() }, cutAfterMs);
  const result = measured.result;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, stats]) => [code, stats.count]));
  return {
    requests: result.requests.total,
    seconds: round(measured.seconds, 3),
    requestsPerSecond: Math.round(result.requests.total / measured.seconds),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    cut: measured.cut,
    warmupRequestsPerSecond: Math.round(warmupRate),
  };
}

interface Cannoned { result: Result; seconds: number; cut: boolean }

/** One autocannon run; `seconds` runs from the start to the last answer, not to autocannon's next 1 s tick. */
function cannon(options: Parameters<typeof autocannon>[0], cutAfterMs?: number): Promise<Cannoned> {
  return new Promise((resolve, reject) => {
    const startedMs = performance.now();
    let lastAnswerMs = startedMs;
    let cut = false;
    let timer: NodeJS.Timeout | undefined;
    const instance = autocannon(options, (error, result) => {
      clearTimeout(timer);
      if (error) return reject(error);
      const endMs = options.amount !== undefined && !cut ? lastAnswerMs : performance.now();
      resolve({ result, seconds: (endMs - startedMs) / 1000, cut });
    });
    instance.on('response', () => { lastAnswerMs = performance.now(); });
    if (cutAfterMs !== undefined) {
      timer = setTimeout(() => {
        cut = true;
        instance.stop();
      }, cutAfterMs);
    }
  });
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
