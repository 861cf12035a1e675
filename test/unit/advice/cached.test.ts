import { describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/advice/suggest', () => ({
  suggest: (site: { line: number; api: string | null }) => {
    calls.count += 1;
    return `advice for line ${site.line} (${site.api ?? 'cpu'})`;
  },
}));

const { siteSuggestion } = await import('../../../src/advice/cached');

const site = (line: number) => ({ file: '/srv/app.js', line, column: 1, function: 'f', api: null as string | null, kind: 'cpu' as const, stack: [{ file: '/srv/app.js', line, column: 1, function: 'f' }] });

describe('siteSuggestion', () => {
  it('computes each live site once, however many sites there are, and again only when what blocked there changes', () => {
    // More sites than the old fixed-size cache (1,200) held: it recomputed all of them on every rebuild.
    const sites = Array.from({ length: 5000 }, (_, i) => site(i + 1));
    for (let rebuild = 0; rebuild < 3; rebuild++) for (const each of sites) siteSuggestion(each);
    expect(calls.count).toBe(5000);
    sites[7]!.api = 'fs.readFileSync';
    expect(siteSuggestion(sites[7]!)).toBe('advice for line 8 (fs.readFileSync)');
    expect(calls.count).toBe(5001);
  });
});
