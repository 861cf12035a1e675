/**
 * Tells, synchronously, when one of Node's own modules (`crypto`, `zlib`, `child_process`, `v8`)
 * has loaded in this thread: after its top-level code ran and before whoever required or imported
 * it gets its exports. The sync-API timing wraps those modules' functions then, not at start-up:
 * loading `crypto`, `zlib` and `child_process` to wrap them cost 4-8 ms and, on Node 24, 6 MiB of
 * every process's start (docs/benchmarks.md, "Start-up cost per process"), and most processes never
 * load them.
 *
 * How: Node records each built-in module it loads by pushing `NativeModule <id>` onto the array it
 * also exposes as `process.moduleLoadList`, right after the module ran and before its exports are
 * returned (lib/internal/bootstrap/realm.js, Node 20 to 26). A push stores at an index the array does
 * not have yet, so it reaches the array's prototype: a Proxy there sees each entry as it is pushed.
 * Nothing of this sits on the app's stacks (the push is Node's own code, and the check returns
 * before the module's exports reach the app), unlike patching `require` or `Module._load` (a frame
 * in every stack thrown while a module loads), `module.registerHooks` (frames in every
 * MODULE_NOT_FOUND stack) or the `module.require` tracing channel (frames in every stack thrown
 * while a module loads). `const { pbkdf2Sync } = require('crypto')` thus gets the wrapper, as when
 * the wrapping happened at start-up.
 *
 * The Proxy is in the array's prototype chain only while a module awaited has not loaded; the array
 * stays an Array (`Array.isArray`, `instanceof Array`, its entries and length are unchanged).
 */

/** `onLoad(id)` runs at most once per id; it must not throw (it runs inside Node's module loader). */
export function whenBuiltinsLoad(ids: readonly string[], onLoad: (id: string) => void): () => void {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList;
  const pending = new Set(ids);
  const fire = (id: string): void => {
    if (!pending.delete(id)) return;
    try {
      onLoad(id);
    } catch {
      // Inside Node's module loader: never thrown into it (onLoad contains its own errors anyway).
    }
  };
  // Without the list (or one that cannot be hooked), each module is loaded and handed over now:
  // what the sync-API timing did before it waited for the app.
  const loadNow = (): (() => void) => {
    for (const id of ids) fire(id);
    return () => undefined;
  };
  if (!Array.isArray(list) || !Object.isExtensible(list)) return loadNow();
  for (const id of ids) if (list.includes(`NativeModule ${id}`)) fire(id);
  if (pending.size === 0) return () => undefined;

  const original = Object.getPrototypeOf(list) as object | null;
  let hooked = true;
  const unhook = (): void => {
    if (!hooked) return;
    hooked = false;
    if (Object.getPrototypeOf(list) === watcher) Object.setPrototypeOf(list, original);
  };
  const watcher: object = new Proxy(Object.create(original) as object, {
    set(target, key, value, receiver) {
      // Only the list's own pushes: not a write through an object that inherits from it.
      if (receiver !== list || typeof key !== 'string') return Reflect.set(target, key, value, receiver);
      // What the push would have stored, had the prototype been the plain one.
      Object.defineProperty(list, key, { value, writable: true, enumerable: true, configurable: true });
      if (typeof value === 'string' && value.startsWith('NativeModule ')) {
        const id = value.slice('NativeModule '.length);
        if (pending.has(id)) {
          // Done waiting before the last call: the list is plain again while onLoad loads what it needs.
          if (pending.size === 1) unhook();
          fire(id);
        }
      }
      return true;
    },
  });
  try {
    Object.setPrototypeOf(list, watcher);
  } catch {
    return loadNow();
  }
  return unhook;
}
