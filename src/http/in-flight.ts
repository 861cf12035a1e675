/**
 * The HTTP requests in flight, keyed by their connection, not by their request or response object.
 * A connection holds one request at a time, or a queue of them when the client pipelines. An idle
 * keep-alive connection keeps its entry (null) until the next sweep: deleting each entry as its
 * response finished and adding it again at the next request (and, before that, a map keyed by each
 * `ServerResponse`) cost +6.7 us CPU per request and +126 MiB RSS on Node 24.22 under the overhead
 * bench's load; kept, the cost is within the noise
 * (docs/benchmarks.md, "Cost of the request context").
 * Closed connections' entries go at the next sweep, with at most IDLE_MAX of them kept.
 */

export interface InFlightRequest {
  req: { socket?: { destroyed?: boolean } | null };
  res: { writableFinished?: boolean; destroyed?: boolean };
}

/** Connection entries without a request in flight kept before a sweep drops them. */
const IDLE_MAX = 1024;

export class InFlight<T extends InFlightRequest> {
  private readonly bySocket = new Map<object, T | T[] | null>();
  /** Requests held. */
  size = 0;

  add(socket: object, request: T): void {
    const held = this.bySocket.get(socket);
    if (held === undefined || held === null) {
      this.bySocket.set(socket, request);
      if (held === undefined && this.bySocket.size > this.size + IDLE_MAX) this.sweep();
    } else if (Array.isArray(held)) held.push(request);
    else this.bySocket.set(socket, [held, request]);
    this.size += 1;
  }

  /** The request whose response this is, removed; undefined when it was not held. */
  remove(socket: object, res: object): T | undefined {
    const held = this.bySocket.get(socket);
    if (held === undefined || held === null) return undefined;
    if (!Array.isArray(held)) {
      if (held.res !== res) return undefined;
      this.bySocket.set(socket, null);
      this.size -= 1;
      return held;
    }
    for (let i = 0; i < held.length; i++) {
      if (held[i]!.res !== res) continue;
      const [request] = held.splice(i, 1);
      if (held.length === 0) this.bySocket.set(socket, null);
      this.size -= 1;
      return request;
    }
    return undefined;
  }

  /**
   * Drops idle connections' entries and the requests whose connection closed (or whose response
   * finished unseen): a request that never finishes is held only while its connection is open.
   */
  sweep(): void {
    for (const [socket, held] of this.bySocket) {
      if (held === null) {
        this.bySocket.delete(socket);
        continue;
      }
      const list = Array.isArray(held) ? held : [held];
      const alive = list.filter((request) => request.res.writableFinished !== true && request.res.destroyed !== true && request.req.socket?.destroyed === false);
      if (alive.length === list.length) continue;
      this.size -= list.length - alive.length;
      if (alive.length === 0) this.bySocket.delete(socket);
      else this.bySocket.set(socket, alive.length === 1 ? alive[0]! : alive);
    }
  }

  *values(): IterableIterator<T> {
    for (const held of this.bySocket.values()) {
      if (Array.isArray(held)) yield* held;
      else if (held !== null) yield held;
    }
  }

  clear(): void {
    this.bySocket.clear();
    this.size = 0;
  }
}
