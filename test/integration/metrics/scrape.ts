/** What a `curl http://host:port/metrics` shows, parsed just enough for assertions. */
import * as http from 'node:http';
import * as net from 'node:net';

export function httpGet(url: string): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, contentType: String(response.headers['content-type']) }));
      })
      .on('error', reject);
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of the Prometheus text format (no escapes in loopwatch's label values beyond \" and \\). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The `# TYPE` families in the output. */
export function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!);
}

/** The port a `LOOPWATCH_METRICS_PORT=0` process printed on stderr, or null. */
export function announcedPort(stderr: string): number | null {
  const match = /loopwatch: metrics on http:\/\/[^:]+:(\d+)\/metrics/.exec(stderr);
  return match ? Number(match[1]) : null;
}

/** A port that was free a moment ago (bound, then released): for a fixed LOOPWATCH_METRICS_PORT. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The value of the first sample of `name` whose labels include `labels`. */
export const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((each) => each.name === name && Object.entries(labels).every(([key, wanted]) => each.labels[key] === wanted))?.value;
