/** A sleep that `wake()` ends at once: how a polling loop stops without waiting out its interval. */
export class WakeablePause {
  private wakeUp?: () => void;

  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
