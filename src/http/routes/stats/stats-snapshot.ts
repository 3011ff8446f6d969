/**
 * A value computed at most once per `maxAgeMs`, whatever the number of callers: a request finding
 * it older refreshes it, and every request arriving during that refresh waits for the same one
 * (one query, not one per caller). A failed refresh is not kept: its waiters get the error, the
 * next request tries again. The answer says how old the figures are.
 */
export interface Snapshot<T> {
  value: T;
  takenAt: Date;
}

export interface SnapshotSource<T> {
  get(): Promise<Snapshot<T>>;
  /** Refreshes done so far (each is one load). */
  readonly refreshes: number;
}

export function snapshotSource<T>(load: () => Promise<T>, maxAgeMs: number, now: () => number = Date.now): SnapshotSource<T> {
  let current: Snapshot<T> | null = null;
  let refreshing: Promise<Snapshot<T>> | null = null;
  let refreshes = 0;
  const refresh = async (): Promise<Snapshot<T>> => {
    refreshes += 1;
    const takenAt = new Date(now());
    current = { value: await load(), takenAt };
    return current;
  };
  return {
    get refreshes() { return refreshes; },
    get(): Promise<Snapshot<T>> {
      if (current !== null && now() - current.takenAt.getTime() < maxAgeMs) return Promise.resolve(current);
      refreshing ??= refresh().finally(() => { refreshing = null; });
      return refreshing;
    },
  };
}

/** The fields every stats answer carries about its snapshot. */
export function snapshotAge(snapshot: Snapshot<unknown>, now: number = Date.now()) {
  return { as_of: snapshot.takenAt, age_seconds: Math.max(0, now - snapshot.takenAt.getTime()) / 1000 };
}
