/**
 * The request tracking driven through the real diagnostics channels with stand-in requests and a
 * hand-moved heartbeat: which request a stall names, exactly or as a guess, and what it counts.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, startHttpContext, type BeatClock, type HttpContext } from '../../../src/http/requests';
import { OWN_SERVER } from '../../../src/http/route';
import { createRequestStore, requestStore } from '../../../src/http/store';

// As LOOPWATCH_EXACT_REQUESTS does: the store exists where AsyncContextFrame runs it (Node 24 and later).
createRequestStore();

const start = diagnosticsChannel.channel('http.server.request.start');
const finish = diagnosticsChannel.channel('http.server.response.finish');
const server = {};

function request(url: string, method = 'GET') {
  const socket = { destroyed: false, server };
  return { socket, request: { method, url, socket }, response: { writableFinished: false, destroyed: false }, server };
}
type Req = ReturnType<typeof request>;
const started = (each: Req) => start.publish(each);
const finished = (each: Req) => finish.publish(each);

let context: HttpContext | null = null;
afterEach(() => context?.stop());

/** A clock whose heartbeat the test moves: `late` makes the loop look stalled (the watchdog's mark is on this beat). */
function clockAt(epoch: number, late: boolean): BeatClock {
  const stalled = new Int32Array(1);
  if (late) stalled[0] = 7;
  return { epoch, mark: 7, stalled };
}

describe('startHttpContext', () => {
  it('says nothing while no request was ever served', () => {
    context = startHttpContext({ clock: clockAt(0, false) });
    expect(context.atStall(0, null)).toBeNull();
  });

  it('guesses the request that answered in the late turn, and counts the others in flight', () => {
    const clock = clockAt(3, false);
    context = startHttpContext({ clock });
    const waiting = [request('/slow/1'), request('/slow/2')];
    waiting.forEach(started);
    const blocker = request('/users/42?x=1');
    started(blocker);
    // The handler blocked, then answered: its response finishes after the watchdog saw the stall.
    clock.stalled[0] = clock.mark;
    finished(blocker);
    expect(context.atStall(3, null)).toEqual({ request: { method: 'GET', route: '/users/:id', exact: false }, inFlight: 2 });
    // Never carried over to the next stall.
    expect(context.atStall(4, null)).toEqual({ inFlight: 2 });
  });

  it('guesses the last request started on time in the stalled turn when none answered late, leaving it out of inFlight', () => {
    const clock = clockAt(7, false);
    context = startHttpContext({ clock });
    const blocker = request('/orders', 'POST');
    started(blocker);
    expect(context.atStall(7, null)).toEqual({ request: { method: 'POST', route: '/orders', exact: false }, inFlight: 0 });
  });

  it('names the request a capture read exactly, by id, even after it finished (where there is a store to read it from)', () => {
    const clock = clockAt(1, false);
    context = startHttpContext({ clock });
    const [a, b] = [request('/a/1'), request('/b/2')];
    started(a); // id 1
    started(b); // id 2
    finished(a);
    // Finished requests are kept for a capture only where a capture can read an id (Node 24 and later).
    expect(context.atStall(99, 1)).toEqual(requestStore() !== null ? { request: { method: 'GET', route: '/a/:id', exact: true }, inFlight: 1 } : { inFlight: 1 });
    expect(context.atStall(99, 2)).toEqual({ request: { method: 'GET', route: '/b/:id', exact: true }, inFlight: 0 });
    // An id it no longer holds: no exact request, and no guess from another turn.
    expect(context.atStall(99, 12345)).toEqual({ inFlight: 1 });
  });

  it("leaves loopwatch's own /metrics server out", () => {
    context = startHttpContext({ clock: clockAt(0, false) });
    const scrape = { ...request('/metrics'), server: { [OWN_SERVER]: true } };
    started(scrape);
    expect(context.atStall(0, null)).toBeNull();
  });

  it('tracks at most MAX_IN_FLIGHT requests, and forgets those whose connection closed', () => {
    const clock = clockAt(0, false);
    context = startHttpContext({ clock });
    const all = Array.from({ length: MAX_IN_FLIGHT + 500 }, (_, i) => request(`/r/${i}`));
    all.forEach(started);
    expect(context.atStall(-1, null)!.inFlight).toBe(MAX_IN_FLIGHT);
    for (const each of all) each.socket.destroyed = true;
    expect(context.atStall(-1, null)!.inFlight).toBe(0);
  });
});
