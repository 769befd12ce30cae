// A raw node:http request for the live tests: unlike fetch, it sets any header (Host, Origin)
// and can leave the request unfinished.
import http from 'node:http';

/**
 * A request with node:http and no agent, so every call opens its own connection.
 * @param url - where to send it
 * @param opts - method, headers, body; `end: false` leaves the request open
 * @returns the status, headers and body text
 */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: string; end?: boolean },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    if (opts.end !== false) req.end();
  });
}
