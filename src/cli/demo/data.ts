/**
 * Generates the demo service's data files in the parent process, which loopwatch does not watch:
 * building a 24 MB JSON document blocks, and the report should show the service's routes, not
 * its set-up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export async function writeDemoData(dir: string): Promise<void> {
  await fs.promises.writeFile(path.join(dir, 'config.txt'), Buffer.alloc(128 * 1024 * 1024, 'x'));
  const items = Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.5, tags: ['a', 'b', 'c'], description: `lorem ipsum dolor sit amet ${i}` }));
  await fs.promises.writeFile(path.join(dir, 'catalog.json'), JSON.stringify(items));
}

export async function removeDemoData(dir: string): Promise<void> {
  await Promise.all(['config.txt', 'catalog.json'].map((name) => fs.promises.rm(path.join(dir, name), { force: true })));
}
