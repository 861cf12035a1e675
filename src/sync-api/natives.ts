/**
 * Native calls that block but are not `*Sync` APIs: `structuredClone`, Buffer and TextDecoder
 * encoding, crypto hashing and ciphers, `v8.serialize`, `Atomics.wait`, `new WebAssembly.Module`,
 * `zlib.crc32`... A stack capture cannot land inside a native call, and lands at whatever runs next
 * once it returned, so these are timed like the `*Sync` APIs (docs/sync-apis.md, "Native calls").
 *
 * Several sit on every HTTP request (`Buffer#toString`, `Buffer.from`, `TextDecoder#decode`,
 * `Hash#update`): their wrappers read the input's size first and time only a call whose input is at
 * least `sizeFloor` bytes (or characters), below which no call can reach the slow-call threshold.
 */

/**
 * Where a wrapper reads the input's size: `this`, the first or second argument (`byteSize`), the
 * first argument which may be an ArrayBuffer (`bufferSize`), the first argument as a byte count when
 * a fill value follows it (`Buffer.alloc(size, fill)`: `filledSize`), or nowhere (always timed).
 */
export type SizeFrom = 'this' | 0 | 1 | 'buffer0' | 'filled' | 'always';

export interface NativeTarget {
  /** The name users see: `Buffer#toString` (a method), `Buffer.from` (a static), `structuredClone`. */
  api: string;
  /** The object holding the function: a prototype, a constructor, a namespace, the global. */
  owner: object;
  key: string;
  size: SizeFrom;
  /** A constructor (`new WebAssembly.Module(bytes)`): wrapped with a Proxy that keeps `new` and `instanceof`. */
  construct?: true;
}

/**
 * Input sizes below this take at most about a millisecond to encode, hash or decode (the slowest
 * measured: `toString('utf8')` of 64 KiB of invalid UTF-8, 0.9-1.0 ms; hex 0.6-0.9 ms; base64
 * 25 us; sha256 40-55 us; docs/sync-apis.md), a tenth of the default 10 ms slow-call threshold.
 */
export const SIZE_FLOOR_BYTES = 64 * 1024;

/** The floor for a slow-call threshold: 64 KiB at 10 ms and above, scaled down with a lower threshold. */
export function sizeFloor(slowCallMs: number): number {
  return Math.max(4096, Math.floor((SIZE_FLOOR_BYTES * Math.min(10, slowCallMs)) / 10));
}

const apply = Reflect.apply;
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
// Read from a descriptor and only ever called with Reflect.apply and an explicit receiver.
// eslint-disable-next-line @typescript-eslint/unbound-method
const getter = (owner: object, key: PropertyKey): ((this: unknown) => unknown) => Object.getOwnPropertyDescriptor(owner, key)!.get! as (this: unknown) => unknown;
// The built-in getters, called directly: the app's objects see no property read (a Proxy or an
// overridden `length` runs no code of theirs), and none of them throws on a view of its kind.
const typedArrayTag = getter(typedArrayPrototype, Symbol.toStringTag);
const typedArrayByteLength = getter(typedArrayPrototype, 'byteLength');
const dataViewByteLength = getter(DataView.prototype, 'byteLength');

/**
 * The size that bounds the call's work: a string's length, a typed array's or DataView's
 * byteLength; 0 for anything else (an ArrayBuffer is sized by `bufferSize`, where it matters).
 * Never throws, never runs app code.
 */
export function byteSize(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (!ArrayBuffer.isView(value)) return 0;
  return (apply(typedArrayTag, value, []) !== undefined ? apply(typedArrayByteLength, value, []) : apply(dataViewByteLength, value, [])) as number;
}

/** `Buffer.alloc(size, fill)`: the size when a fill is given (without one, the memory is zeroed by the OS); else 0. */
export function filledSize(size: unknown, fill: unknown): number {
  return fill !== undefined && typeof size === 'number' ? size : 0;
}

const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const sharedArrayBufferByteLength = typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype as object, 'byteLength') : null;

/** `byteSize`, and an ArrayBuffer's or SharedArrayBuffer's byteLength (TextDecoder#decode takes those too). */
export function bufferSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (ArrayBuffer.isView(value)) return byteSize(value);
  try {
    return apply(arrayBufferByteLength, value, []) as number;
  } catch {
    // Not an ArrayBuffer (the getter's brand check): perhaps a SharedArrayBuffer.
  }
  try {
    return sharedArrayBufferByteLength === null ? 0 : (apply(sharedArrayBufferByteLength, value, []) as number);
  } catch {
    return 0;
  }
}

/**
 * What is wrapped (index.ts skips what this Node lacks) at start-up: the globals. The methods of
 * `crypto`, `zlib` and `v8` are in `builtinNativeTargets`, wrapped once something loads those
 * modules (see builtin-loads.ts).
 * Functions shared by two owners (Hmac's `update` is Hash's, Decipheriv's is Cipheriv's,
 * `Buffer#toLocaleString` is `toString`) get one wrapper, under the first name.
 */
export function nativeTargets(): NativeTarget[] {
  const targets: NativeTarget[] = [
    { api: 'structuredClone', owner: globalThis, key: 'structuredClone', size: 'always' },
    { api: 'Buffer#toString', owner: Buffer.prototype as object, key: 'toString', size: 'this' },
    { api: 'Buffer#toString', owner: Buffer.prototype as object, key: 'toLocaleString', size: 'this' },
    { api: 'Buffer.from', owner: Buffer, key: 'from', size: 0 },
    { api: 'Buffer#write', owner: Buffer.prototype as object, key: 'write', size: 0 },
    // Zeroed memory comes from the OS as needed; a fill pattern is written byte by byte (120 MB: 140 ms).
    { api: 'Buffer.alloc', owner: Buffer, key: 'alloc', size: 'filled' },
    { api: 'Buffer#fill', owner: Buffer.prototype as object, key: 'fill', size: 'this' },
    { api: 'TextDecoder#decode', owner: TextDecoder.prototype, key: 'decode', size: 'buffer0' },
    { api: 'TextEncoder#encode', owner: TextEncoder.prototype, key: 'encode', size: 0 },
    { api: 'TextEncoder#encodeInto', owner: TextEncoder.prototype, key: 'encodeInto', size: 0 },
    { api: 'atob', owner: globalThis, key: 'atob', size: 0 },
    { api: 'btoa', owner: globalThis, key: 'btoa', size: 0 },
    { api: 'Atomics.wait', owner: Atomics, key: 'wait', size: 'always' },
  ];
  // Absent under --jitless.
  const wasm = (globalThis as { WebAssembly?: object }).WebAssembly;
  if (wasm !== undefined) {
    targets.push(
      { api: 'WebAssembly.Module', owner: wasm, key: 'Module', size: 'always', construct: true },
      { api: 'WebAssembly.Instance', owner: wasm, key: 'Instance', size: 'always', construct: true },
    );
  }
  return targets;
}

/** The native targets in one of Node's modules, given its exports object (see builtin-loads.ts). */
export function builtinNativeTargets(module: string, exports: Record<string, unknown>): NativeTarget[] {
  if (module === 'zlib') return [{ api: 'zlib.crc32', owner: exports, key: 'crc32', size: 0 }];
  if (module === 'v8') {
    return [
      { api: 'v8.serialize', owner: exports, key: 'serialize', size: 'always' },
      { api: 'v8.deserialize', owner: exports, key: 'deserialize', size: 0 },
    ];
  }
  if (module !== 'crypto') return [];
  const crypto = exports;
  const targets: NativeTarget[] = [{ api: 'crypto.hash', owner: crypto, key: 'hash', size: 1 }];
  for (const [api, make] of CRYPTO_OBJECTS) {
    let prototype: object | null = null;
    try {
      // The exported class's prototype is the instances' (checked on Node 20-26), and costs nothing;
      // a first createHash/createHmac/createCipheriv costs 1-1.5 ms (measured).
      const exported = (crypto[api] as { prototype?: unknown } | undefined)?.prototype;
      prototype = typeof exported === 'object' && exported !== null ? exported : (Object.getPrototypeOf(make(crypto)) as object);
    } catch {
      // An algorithm this OpenSSL build refuses (FIPS): that object is not wrapped.
    }
    if (prototype !== null) targets.push({ api: `crypto.${api}#update`, owner: prototype, key: 'update', size: 0 });
  }
  return targets;
}

type Make = (crypto: Record<string, unknown>) => unknown;
const call = (crypto: Record<string, unknown>, name: string, ...args: unknown[]): unknown => (crypto[name] as (...a: unknown[]) => unknown)(...args);
const ZEROS = (n: number): Buffer => Buffer.alloc(n);
/**
 * The prototypes: the exported class's, else reached through an instance (a Node that no longer
 * exports `crypto.Hash`, whose constructor is deprecated).
 * Only `update` scales with the input: `digest` and `final` finish one block (measured 0.2-0.6 ms
 * after a 64 MB update that took 45 ms), so they are not wrapped.
 */
const CRYPTO_OBJECTS: ReadonlyArray<readonly [string, Make]> = [
  ['Hash', (crypto) => call(crypto, 'createHash', 'sha256')],
  ['Hmac', (crypto) => call(crypto, 'createHmac', 'sha256', 'k')],
  ['Cipheriv', (crypto) => call(crypto, 'createCipheriv', 'aes-128-cbc', ZEROS(16), ZEROS(16))],
  ['Decipheriv', (crypto) => call(crypto, 'createDecipheriv', 'aes-128-cbc', ZEROS(16), ZEROS(16))],
];
