/**
 * The timer of a service's `process(now)`: runs it every `intervalMs` and reports a failed run (the next one
 * retries). Services expose `start`/`stop` through it; tests call `process` directly with their own clock.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.run().catch(this.onError);
    }, intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
