import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MainThreadMaps, UNMAPPED_REASONS, mapInMemory, remapStall } from '../../../src/stack/memory-maps';
import { mapFrame, type Frame } from '../../../src/stack/frames';
import { shortLocation } from '../../../src/stack/attribution';

// A file that exists nowhere on disk: its map can only come from the main thread.
const FILE = '/srv/app/src/orders.ts';
const SOURCE = ['interface Order {', '  id: number;', '  sku: string;', '  total: number;', '}', '', 'export function sum(orders: Order[]): number {', '  let n = 0;', '  for (const o of orders) n += o.total; // HERE', '  return n;', '}', ''].join('\n');
const compiled = ts.transpileModule(SOURCE, { fileName: FILE, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, inlineSourceMap: true } });
const url = /\/\/# sourceMappingURL=(data:.*)$/m.exec(compiled.outputText)![1]!;
const generatedLine = compiled.outputText.split('\n').findIndex((line) => line.includes('for (const o of orders)')) + 1;
const raw: Frame = { file: FILE, line: generatedLine, column: 5, function: 'sum' };

describe('maps kept in the main thread memory, seen from the watchdog', () => {
  const asked: Array<{ id: number; files: string[] }> = [];
  const timers: Array<() => void> = [];
  const maps = new MainThreadMaps(
    (id, files) => asked.push({ id, files }),
    (callback) => timers.push(callback),
  );

  it('before the main thread answers, a TypeScript frame has no line, and says why', () => {
    expect(generatedLine).not.toBe(9);
    const frame = mapFrame(raw);
    expect(frame).toMatchObject({ file: FILE, line: 0, column: 0, function: 'sum', unmapped: UNMAPPED_REASONS.blocked });
    expect(shortLocation(frame, '/srv/app')).toBe('src/orders.ts:?');
    // JavaScript is run as written: left as it is.
    expect(mapInMemory({ ...raw, file: '/srv/app/src/orders.js' }).line).toBe(generatedLine);
  });

  it('asks for each file once, and maps the stall again with the answer (the site stays the stack frame it was)', async () => {
    const first = mapFrame(raw);
    const caller = mapFrame({ ...raw, line: generatedLine + 5, function: 'main' });
    const stall = { site: first, stack: [first, caller], samples: [{ stack: [first] }] };
    const files = maps.wanted([...stall.stack, ...stall.samples[0]!.stack]);
    expect(files).toEqual([FILE]);
    const fetched = maps.fetch(files);
    expect(maps.wanted(stall.stack)).toEqual([]);
    maps.answered(asked[0]!.id, { maps: [{ file: FILE, url }], stripsTypes: false });
    await fetched;
    remapStall(stall, mapFrame);
    expect(stall.site).toMatchObject({ file: FILE, line: 9, function: 'sum' });
    expect(stall.site).toBe(stall.stack[0]);
    expect(stall.samples[0]!.stack[0]).toMatchObject({ line: 9 });
    // Known from now on: a later capture (a hang's) maps at once.
    expect(mapFrame(raw)).toMatchObject({ line: 9 });
  });

  it('a file the main thread has no map of: no line, unless Node itself stripped the types (positions kept)', async () => {
    const other = { ...raw, file: '/srv/app/src/other.ts' };
    const fetched = maps.fetch(maps.wanted([mapFrame(other)]));
    maps.answered(asked.at(-1)!.id, { maps: [], stripsTypes: false });
    await fetched;
    expect(mapFrame(other)).toMatchObject({ line: 0, unmapped: UNMAPPED_REASONS.none });
    const stripped = { ...raw, file: '/srv/app/src/stripped.ts' };
    const again = maps.fetch(maps.wanted([mapFrame(stripped)]));
    maps.answered(asked.at(-1)!.id, { maps: [], stripsTypes: true });
    await again;
    expect(mapFrame(stripped)).toEqual(stripped);
  });

  it('no answer (the main thread is stuck, or exiting): the record goes on after the timeout, the file can be asked again', async () => {
    const stuck = mapFrame({ ...raw, file: '/srv/app/src/stuck.ts' });
    const fetched = maps.fetch(maps.wanted([stuck]));
    timers.at(-1)!();
    await fetched;
    expect(maps.wanted([stuck])).toEqual(['/srv/app/src/stuck.ts']);
  });
});
