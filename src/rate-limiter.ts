/** A sliding-window rate limit, shared by stack captures and log lines. */
/**
 * At most `limit` events in any `periodMs` window: a sliding window, because that is what "N per
 * minute" promises (a token bucket of N refilled over a minute lets up to 2N through in the first
 * minute). Bounds stack captures and log lines; durations and counts are never rate-limited.
 */
export class RateLimiter {
  /** When each event in the window happened: a ring of `limit` slots, oldest at `oldest`. */
  private readonly times: Float64Array;
  private oldest = 0;
  private count = 0;

  constructor(
    private readonly limit: number,
    private readonly periodMs: number,
  ) {
    this.times = new Float64Array(Math.max(0, limit));
  }

  tryTake(nowMs: number): boolean {
    if (this.limit <= 0) return false;
    this.expire(nowMs);
    if (this.count >= this.limit) return false;
    this.times[(this.oldest + this.count) % this.limit] = nowMs;
    this.count += 1;
    return true;
  }

  /** When tryTake can next succeed: now, or when the oldest event leaves the window. */
  nextFreeMs(nowMs: number): number {
    if (this.limit <= 0) return Infinity;
    this.expire(nowMs);
    return this.count < this.limit ? nowMs : this.times[this.oldest]! + this.periodMs;
  }

  private expire(nowMs: number): void {
    while (this.count > 0 && nowMs - this.times[this.oldest]! >= this.periodMs) {
      this.oldest = (this.oldest + 1) % this.limit;
      this.count -= 1;
    }
  }
}
