/**
 * One run of `work` at a time. A call while it runs does not start a second one: it asks for
 * one more run after it (the run under way may have read before the change the caller means)
 * and gets the promise that covers both.
 */
export class CoalescedRun {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    /** Checked between runs: true stops the repeating. */
    private readonly stopped: () => boolean = () => false,
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.work();
        } while (this.again && !this.stopped());
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Ask for one more run (after the current one, or as part of the next). */
  request(): void {
    this.again = true;
  }

  /** Resolves when no run is under way (its failure ignored). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
