/**
 * Why a run failed, in words fit for an API answer. The raw error (a pg or ioredis message, with
 * host names, SQL fragments or stack frames) goes to the log only; the run row and the report keep
 * one of these reasons. Workers tag a failure where it happens (a Redis read, a statement), since
 * by the time an error reaches the main thread it has lost everything but its message.
 */
import { AppError } from '../errors.js';

export type FailureReason =
  | 'redis unreachable'
  | 'database error'
  | 'aborted by shutdown'
  | 'run lock lost'
  | 'worker failed';

/** A failure with its reason; `cause` is the raw error, for the log. */
export class RunFailure extends Error {
  constructor(readonly reason: FailureReason, cause: unknown) {
    super(reason, { cause });
    this.name = 'RunFailure';
  }
}

/** Tags a failure of `work` with `reason` (a failure already tagged keeps its own). */
export async function failAs<T>(reason: FailureReason, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof RunFailure ? error : new RunFailure(reason, error);
  }
}

/** The reason of any error: its tag, or a shutdown, or else a failure nobody foresaw. */
export function reasonOf(error: unknown): FailureReason {
  if (error instanceof RunFailure) return error.reason;
  if (error instanceof AppError && error.code === 'SHUTTING_DOWN') return 'aborted by shutdown';
  return 'worker failed';
}

/** The raw text of an error and its causes, for the log line of a failed run. */
export function detailOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    // A RunFailure's own message is its reason, which the run records anyway.
    if (!(current instanceof RunFailure)) parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/** A run's `abort` is aborted by shutdown (SHUTTING_DOWN) or by the loss of the lock's connection. */
export function abortReason(reason: unknown): FailureReason {
  return reasonOf(reason) === 'aborted by shutdown' ? 'aborted by shutdown' : 'run lock lost';
}
