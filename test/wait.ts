// Waiting in tests for something that is not an event: poll a condition, bounded, with the reason named on timeout.

/**
 * Calls `probe` until it returns a value other than undefined/false and returns that value; throws naming `what`
 * after `timeoutMs`. For state reached asynchronously (an attempt stored after Fleet's answer, a worker count).
 */
export async function pollUntil<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, o: { timeoutMs?: number; everyMs?: number } = {}): Promise<T> {
  const end = Date.now() + (o.timeoutMs ?? 10_000);
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, o.everyMs ?? 50));
  }
}
