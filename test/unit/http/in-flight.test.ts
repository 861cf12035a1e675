import { describe, expect, it } from 'vitest';
import { InFlight, type InFlightRequest } from '../../../src/http/in-flight';

const socket = () => ({ destroyed: false });
const request = (sock: { destroyed: boolean }): InFlightRequest & { res: { writableFinished: boolean } } => ({ req: { socket: sock }, res: { writableFinished: false } });

describe('InFlight', () => {
  it('holds requests per connection, pipelined ones too, and removes each by its response', () => {
    const inFlight = new InFlight<ReturnType<typeof request>>();
    const a = socket();
    const b = socket();
    const [first, second, other] = [request(a), request(a), request(b)];
    inFlight.add(a, first);
    inFlight.add(a, second);
    inFlight.add(b, other);
    expect(inFlight.size).toBe(3);
    expect(inFlight.remove(a, second.res)).toBe(second);
    expect(inFlight.remove(a, second.res)).toBeUndefined();
    expect(inFlight.remove(b, first.res)).toBeUndefined();
    expect([...inFlight.values()]).toEqual([first, other]);
    expect(inFlight.remove(a, first.res)).toBe(first);
    expect(inFlight.size).toBe(1);
  });

  it('drops the requests of closed connections and finished responses at a sweep: nothing leaks', () => {
    const inFlight = new InFlight<ReturnType<typeof request>>();
    const open = socket();
    const sockets = Array.from({ length: 1000 }, socket);
    for (const each of sockets) inFlight.add(each, request(each));
    const alive = request(open);
    inFlight.add(open, alive);
    const finishedUnseen = request(open);
    finishedUnseen.res.writableFinished = true;
    inFlight.add(open, finishedUnseen);
    for (const each of sockets) each.destroyed = true;
    inFlight.sweep();
    expect(inFlight.size).toBe(1);
    expect([...inFlight.values()]).toEqual([alive]);
  });
});
