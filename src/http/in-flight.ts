/**
 * The HTTP requests in flight, keyed by their connection, not by their request or response object.
 * Measured on the overhead bench (Node 24.22, 5 paired rounds): a Map keyed by each request's
 * `ServerResponse` cost +16% CPU per request and +117 MiB RSS (every response object gets an
 * identity hash, once per request); keyed by socket, a keep-alive connection's hash is made once,
 * and the cost was within the noise (+3%, range 0.91-1.10). A connection holds one request at a
 * time, or a queue of them when the client pipelines.
 */

export interface InFlightRequest {
  req: { socket?: { destroyed?: boolean } | null };
  res: { writableFinished?: boolean; destroyed?: boolean };
}

export class InFlight<T extends InFlightRequest> {
  private readonly bySocket = new Map<object, T | T[]>();
  /** Requests held. */
  size = 0;

  add(socket: object, request: T): void {
    const held = this.bySocket.get(socket);
    if (held === undefined) this.bySocket.set(socket, request);
    else if (Array.isArray(held)) held.push(request);
    else this.bySocket.set(socket, [held, request]);
    this.size += 1;
  }

  /** The request whose response this is, removed; undefined when it was not held. */
  remove(socket: object, res: object): T | undefined {
    const held = this.bySocket.get(socket);
    if (held === undefined) return undefined;
    if (!Array.isArray(held)) {
      if (held.res !== res) return undefined;
      this.bySocket.delete(socket);
      this.size -= 1;
      return held;
    }
    for (let i = 0; i < held.length; i++) {
      if (held[i]!.res !== res) continue;
      const [request] = held.splice(i, 1);
      if (held.length === 0) this.bySocket.delete(socket);
      this.size -= 1;
      return request;
    }
    return undefined;
  }

  /**
   * Drops the requests whose connection closed (or whose response finished unseen): a request
   * that never finishes is held only while its connection is open.
   */
  sweep(): void {
    for (const [socket, held] of this.bySocket) {
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
      else yield held;
    }
  }

  clear(): void {
    this.bySocket.clear();
    this.size = 0;
  }
}
