/* eslint-disable @typescript-eslint/unbound-method -- the tests compare and call the wrapped functions themselves */
import crypto from 'node:crypto';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/options';
import { createLiveStats, type FeatureContext, type SlowCall } from '../../../src/feature';
import { startSyncApiTiming } from '../../../src/sync-api';
import { SIZE_FLOOR_BYTES, bufferSize, byteSize, sizeFloor } from '../../../src/sync-api/natives';

function context(slowCalls: SlowCall[], slowCallMs: number): FeatureContext {
  return {
    options: { ...DEFAULTS, slowCallMs },
    stats: createLiveStats(),
    warn: () => undefined,
    addReportSection: () => undefined,
    markDirty: () => undefined,
    slowCall: (call) => void slowCalls.push(call),
    onStall: () => undefined,
    onBusy: () => undefined,
  };
}

/** What a thrown error looks like to the app, apart from its stack. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    const { name, message, code } = error as { name: string; message: string; code?: string };
    return { name, message, code, type: Object.getPrototypeOf(error) };
  }
  return 'no error';
}

const BIG = SIZE_FLOOR_BYTES * 2;
const hashPrototype = Object.getPrototypeOf(crypto.createHash('sha256')) as Record<string, unknown>;
const hmacPrototype = Object.getPrototypeOf(crypto.createHmac('sha256', 'k')) as Record<string, unknown>;
const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
/** The test tsconfig has no DOM lib, which declares WebAssembly. */
interface WasmModule {
  new (bytes: Uint8Array): object;
  prototype: object;
  exports(module: object): unknown[];
}
const WebAssembly = (): { Module: WasmModule } => (globalThis as unknown as { WebAssembly: { Module: WasmModule } }).WebAssembly;

describe('native-call wrappers (in process)', () => {
  const originals = {
    toString: Buffer.prototype.toString,
    from: Buffer.from,
    write: Buffer.prototype.write,
    decode: TextDecoder.prototype.decode,
    encode: TextEncoder.prototype.encode,
    structuredClone: globalThis.structuredClone,
    wait: Atomics.wait,
    Module: WebAssembly().Module,
    hashUpdate: hashPrototype.update,
    crc32: (zlib as { crc32?: unknown }).crc32,
  };
  let calls: SlowCall[];
  let ctx: FeatureContext;
  let stop: () => void;
  beforeEach(() => {
    calls = [];
    ctx = context(calls, 1_000_000);
    stop = startSyncApiTiming(ctx);
  });
  afterEach(() => stop());

  it('wraps each native and keeps its name, length and own properties', () => {
    expect(Buffer.prototype.toString).not.toBe(originals.toString);
    expect(Buffer.from).not.toBe(originals.from);
    expect(TextDecoder.prototype.decode).not.toBe(originals.decode);
    expect(globalThis.structuredClone).not.toBe(originals.structuredClone);
    expect(Atomics.wait).not.toBe(originals.wait);
    expect(hashPrototype.update).not.toBe(originals.hashUpdate);
    const pairs: Array<[unknown, unknown]> = [
      [Buffer.prototype.toString, originals.toString],
      [Buffer.from, originals.from],
      [Buffer.prototype.write, originals.write],
      [TextDecoder.prototype.decode, originals.decode],
      [TextEncoder.prototype.encode, originals.encode],
      [globalThis.structuredClone, originals.structuredClone],
      [Atomics.wait, originals.wait],
      [WebAssembly().Module, originals.Module],
      [hashPrototype.update, originals.hashUpdate],
    ];
    for (const [wrapped, original] of pairs) {
      const fn = wrapped as { name: string; length: number };
      const before = original as { name: string; length: number };
      expect([fn.name, fn.length]).toEqual([before.name, before.length]);
      expect(Reflect.ownKeys(fn as object).sort()).toEqual(Reflect.ownKeys(before as object).sort());
    }
    // Functions two owners share stay shared.
    expect(Buffer.prototype.toLocaleString).toBe(Buffer.prototype.toString);
    expect(hmacPrototype.update).toBe(hashPrototype.update);
  });

  it('returns the same results, small and above the size floor, and times only the large calls', () => {
    const small = Buffer.from('héllo wörld');
    const big = Buffer.alloc(BIG, 'loopwatch é ');
    expect(small.toString()).toBe(originals.toString.call(small));
    expect(small.toString(undefined)).toBe(originals.toString.call(small, undefined));
    expect(big.toString('base64')).toBe(originals.toString.call(big, 'base64'));
    expect(big.toString('hex', 3, 40)).toBe(originals.toString.call(big, 'hex', 3, 40));
    expect(String(small)).toBe('héllo wörld');
    const text = big.toString('latin1');
    expect(Buffer.from(text, 'latin1').equals(Reflect.apply(originals.from, Buffer, [text, 'latin1']) as Buffer)).toBe(true);
    const target = Buffer.alloc(BIG * 2);
    expect(target.write(text, 1, 'utf8')).toBe(originals.write.call(Buffer.alloc(BIG * 2), text, 1, 'utf8'));
    expect(new TextDecoder().decode(big)).toBe(originals.toString.call(big, 'utf8'));
    expect(new TextDecoder().decode(big.buffer.slice(big.byteOffset, big.byteOffset + big.length))).toBe(originals.toString.call(big, 'utf8'));
    expect(new TextDecoder().decode()).toBe('');
    expect(crypto.createHash('sha256').update(big).digest('hex')).toBe(crypto.createHash('sha256').update(Buffer.from(big)).digest('hex'));
    const stats = ctx.stats.syncApis;
    expect(stats.get('Buffer#toString')?.calls).toBe(3); // base64, hex and latin1 of `big`, not the small ones
    expect(stats.get('Buffer.from')?.calls).toBe(2); // the latin1 text and the copy of `big` hashed above
    expect(stats.get('Buffer#write')?.calls).toBe(1);
    // `big`'s fill is timed; the two zeroed Buffer.alloc(BIG * 2) are not (the OS zeroes them).
    expect(stats.get('Buffer.alloc')?.calls).toBe(1);
    expect(Buffer.allocUnsafe(BIG).fill(7).every((byte) => byte === 7)).toBe(true);
    expect(Buffer.alloc(8).fill('ab').toString()).toBe('abababab');
    expect(stats.get('Buffer#fill')?.calls).toBe(1);
    expect(stats.get('TextDecoder#decode')?.calls).toBe(2); // a view and an ArrayBuffer
    expect(stats.get('crypto.Hash#update')?.calls).toBeGreaterThanOrEqual(1);
    const copy = structuredClone(new Map([[1, { a: [1, 2] }]]));
    expect(copy).toEqual(new Map([[1, { a: [1, 2] }]]));
    expect(stats.get('structuredClone')?.calls).toBe(1);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    expect(Atomics.wait(flag, 0, 1)).toBe('not-equal');
    expect(Atomics.wait(flag, 0, 0, 1)).toBe('timed-out');
    expect(v8.deserialize(v8.serialize({ a: [1n, 'x'] }))).toEqual({ a: [1n, 'x'] });
    if (typeof originals.crc32 === 'function') {
      const crc32 = (zlib as unknown as { crc32: (data: Buffer) => number }).crc32;
      expect(crc32(big)).toBe((originals.crc32 as (data: Buffer) => number)(big));
    }
  });

  it('throws the same errors, with the same receivers', () => {
    // Each pair runs the wrapper, then the original: the app sees the same error either way.
    const wrappedToString = Buffer.prototype.toString;
    expect(thrown(() => wrappedToString.call(null))).toEqual(thrown(() => originals.toString.call(null)));
    expect(thrown(() => Buffer.from(123 as unknown as string))).toEqual(thrown(() => (originals.from as (value: unknown) => unknown).call(Buffer, 123)));
    expect(thrown(() => Buffer.alloc(4).toString('no-such-encoding' as BufferEncoding))).toEqual(thrown(() => (originals.toString as (encoding: string) => string).call(Buffer.alloc(4), 'no-such-encoding')));
    expect(thrown(() => structuredClone(() => 1))).toEqual(thrown(() => originals.structuredClone(() => 1)));
    expect(thrown(() => crypto.createHash('sha256').update(42 as unknown as string))).toEqual(
      thrown(() => (originals.hashUpdate as (data: unknown) => unknown).call(crypto.createHash('sha256'), 42)),
    );
    expect(thrown(() => Atomics.wait(new Int32Array(4), 0, 0))).toEqual(thrown(() => originals.wait(new Int32Array(4), 0, 0)));
    const decode = TextDecoder.prototype.decode;
    expect(thrown(() => decode.call({}, new Uint8Array(BIG)))).toEqual(thrown(() => originals.decode.call({}, new Uint8Array(BIG))));
  });

  it('keeps WebAssembly.Module a constructor: new, instanceof, constructor, statics, subclasses, errors', () => {
    const module = new (WebAssembly().Module)(wasm);
    expect(module).toBeInstanceOf(WebAssembly().Module);
    expect(module).toBeInstanceOf(originals.Module);
    expect(module.constructor).toBe(WebAssembly().Module);
    expect(Object.getPrototypeOf(module)).toBe(originals.Module.prototype);
    expect(WebAssembly().Module.prototype).toBe(originals.Module.prototype);
    expect(WebAssembly().Module.exports(module)).toEqual([]);
    const Base = WebAssembly().Module;
    class Sub extends Base {}
    expect(new Sub(wasm)).toBeInstanceOf(Sub);
    expect(thrown(() => (WebAssembly().Module as unknown as (bytes: Uint8Array) => unknown)(wasm))).toEqual(
      thrown(() => (originals.Module as unknown as (bytes: Uint8Array) => unknown)(wasm)),
    );
    expect(thrown(() => new (WebAssembly().Module)(new Uint8Array([1, 2])))).toEqual(thrown(() => new originals.Module(new Uint8Array([1, 2]))));
    expect(ctx.stats.syncApis.get('WebAssembly.Module')?.calls).toBeGreaterThanOrEqual(2);
  });

  it('stop() puts every original back', () => {
    stop();
    expect(Buffer.prototype.toString).toBe(originals.toString);
    expect(Buffer.prototype.toLocaleString).toBe(originals.toString);
    expect(Buffer.from).toBe(originals.from);
    expect(TextDecoder.prototype.decode).toBe(originals.decode);
    expect(globalThis.structuredClone).toBe(originals.structuredClone);
    expect(Atomics.wait).toBe(originals.wait);
    expect(WebAssembly().Module).toBe(originals.Module);
    expect(WebAssembly().Module.prototype.constructor).toBe(originals.Module);
    expect(hashPrototype.update).toBe(originals.hashUpdate);
    expect(hmacPrototype.update).toBe(originals.hashUpdate);
    stop = () => undefined;
  });
});

describe('native-call wrappers: slow calls', () => {
  it('report a slow call with the caller as the first frame', () => {
    const calls: SlowCall[] = [];
    const stop = startSyncApiTiming(context(calls, 1));
    try {
      const flag = new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(flag, 0, 0, 20);
    } finally {
      stop();
    }
    const call = calls.find((each) => each.api === 'Atomics.wait');
    expect(call?.stack[0]?.file).toMatch(/natives\.test\.ts$/);
  });
});

describe('sizes', () => {
  it('reads sizes without touching app code, and never throws', () => {
    const trapped = new Proxy(new Uint8Array(10), {
      get: () => {
        throw new Error('a property was read');
      },
    });
    expect(byteSize('abc')).toBe(3);
    expect(byteSize(new Uint16Array(5))).toBe(10);
    expect(byteSize(new DataView(new ArrayBuffer(7)))).toBe(7);
    expect(byteSize(trapped)).toBe(0);
    expect(byteSize(Object.defineProperty(new Uint8Array(8), 'byteLength', { get: () => 1e9 }))).toBe(8);
    expect(byteSize(null)).toBe(0);
    expect(byteSize({ length: 1e9 })).toBe(0);
    expect(bufferSize(new ArrayBuffer(9))).toBe(9);
    expect(bufferSize(new SharedArrayBuffer(11))).toBe(11);
    expect(bufferSize(trapped)).toBe(0);
    expect(bufferSize({})).toBe(0);
  });

  it('scales the floor down with a lower slow-call threshold', () => {
    expect(sizeFloor(10)).toBe(SIZE_FLOOR_BYTES);
    expect(sizeFloor(100)).toBe(SIZE_FLOOR_BYTES);
    expect(sizeFloor(1)).toBe(SIZE_FLOOR_BYTES / 10 - ((SIZE_FLOOR_BYTES / 10) % 1));
  });
});
