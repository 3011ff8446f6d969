/**
 * Combines the rounds of one server in one scenario. The servers take turns (naive, batched, bare,
 * then rotated), so a burst of load from elsewhere on the machine falls on all of them rather than
 * on whichever happened to run then; the headline figures are over all rounds: rates from total
 * work over total time, p50 the median round's, p99 the worst round's, faults summed, and a check
 * passes only if every round's passed.
 */
import type { CheckResult } from './check.js';
import type { TargetResult } from './results.js';

export interface RoundSummary { rate: number; latencyP50Ms: number; latencyP99Ms: number; errors: number; non2xx: number; checkPassed: boolean | null }

export function combineRounds(rounds: TargetResult[], unit: 'req/s' | 'deltas/s'): TargetResult & { rounds: RoundSummary[] } {
  const sum = (pick: (round: TargetResult) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  const requests = sum((round) => round.requests);
  const seconds = sum((round) => round.seconds);
  const weighted = (pick: (round: TargetResult) => number) => Math.round(sum((round) => pick(round) * round.requests) / Math.max(1, requests));
  const p50s = rounds.map((round) => round.latencyP50Ms).sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  for (const round of rounds) for (const [code, count] of Object.entries(round.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const deltasAcked = sum((round) => round.deltasAcked);
  const requestsPerSecond = Math.round(requests / seconds);
  const postgres = rounds.every((round) => round.cpuMicrosPerRequest.postgres !== null) ? weighted((round) => round.cpuMicrosPerRequest.postgres!) : null;
  return {
    requests, seconds: Math.round(seconds * 1000) / 1000, requestsPerSecond,
    latencyP50Ms: p50s[Math.floor((p50s.length - 1) / 2)]!,
    latencyP99Ms: Math.max(...rounds.map((round) => round.latencyP99Ms)),
    latencyMaxMs: Math.max(...rounds.map((round) => round.latencyMaxMs)),
    errors: sum((round) => round.errors), timeouts: sum((round) => round.timeouts), non2xx: sum((round) => round.non2xx),
    statusCodes, cut: rounds.some((round) => round.cut),
    warmupRequestsPerSecond: Math.round(sum((round) => round.warmupRequestsPerSecond) / rounds.length),
    deltasAcked, deltasRefused: sum((round) => round.deltasRefused), readsOk: sum((round) => round.readsOk), readsFailed: sum((round) => round.readsFailed),
    rate: unit === 'req/s' ? requestsPerSecond : Math.round(deltasAcked / seconds),
    check: combineChecks(rounds.map((round) => round.check)),
    cpuMicrosPerRequest: { server: weighted((round) => round.cpuMicrosPerRequest.server), postgres, client: weighted((round) => round.cpuMicrosPerRequest.client) },
    replays: sum((round) => round.replays),
    rolledBackFlushes: rounds.some((round) => round.rolledBackFlushes === null) ? null : sum((round) => round.rolledBackFlushes!),
    rounds: rounds.map((round) => ({
      rate: round.rate, latencyP50Ms: round.latencyP50Ms, latencyP99Ms: round.latencyP99Ms, errors: round.errors, non2xx: round.non2xx,
      checkPassed: round.check === null ? null : round.check.passed,
    })),
  };
}

/** Per-run quantities add up; whole-database counts (products off their log, chain breaks, Redis) take the worst. */
function combineChecks(checks: (CheckResult | null)[]): CheckResult | null {
  if (checks.some((check) => check === null)) return null;
  const all = checks as CheckResult[];
  const sum = (pick: (check: CheckResult) => number) => all.reduce((total, check) => total + pick(check), 0);
  const worst = (pick: (check: CheckResult) => number) => Math.max(...all.map(pick));
  return {
    passed: all.every((check) => check.passed), exact: all.every((check) => check.exact),
    stockMoved: sum((check) => check.stockMoved), stockExpected: sum((check) => check.stockExpected),
    logRowsAdded: sum((check) => check.logRowsAdded), keyRowsAdded: sum((check) => check.keyRowsAdded),
    keyRowsExpected: sum((check) => check.keyRowsExpected), writeTransactions: sum((check) => check.writeTransactions),
    productsOffTheirLog: worst((check) => check.productsOffTheirLog), logChainBreaks: worst((check) => check.logChainBreaks),
    redisMismatches: worst((check) => check.redisMismatches),
    problems: all.flatMap((check, index) => check.problems.map((problem) => `round ${index + 1}: ${problem}`)),
  };
}
