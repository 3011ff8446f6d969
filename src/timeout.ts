/**
 * The one way this service bounds a wait: `promise`'s value, or `onTimeout` once `ms` have passed,
 * whichever comes first. The timer is cleared either way, so no wait leaves a timer behind to keep
 * the process alive. The promise is not cancelled (nothing in Node can cancel it): callers that
 * give up on it handle its eventual rejection themselves, usually by mapping it to a value first.
 */
export async function withTimeout<T, F>(promise: Promise<T>, ms: number, onTimeout: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => { timer = setTimeout(resolve, ms, onTimeout); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `promise` settles (fulfilled or rejected alike), or `ms` at most. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  await withTimeout(promise.then(() => {}, () => {}), ms, undefined);
}
