// The daemon's HTTP server: Warden's own API under /_warden/v1, everything else to the proxy.
import http from 'node:http';
import { ADMIN_PREFIX } from '../core/protocol/api.js';
import type { AdminApi } from './admin.js';
import type { Proxy } from './proxy.js';

export function createServer(admin: AdminApi, proxy: Proxy): http.Server {
  // requestTimeout bounds how long a client may take to send its request (headers and body), not the
  // response: long streams are governed by the upstream timeouts instead.
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000, headersTimeout: 60_000 }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q);
    if (pathname.startsWith(ADMIN_PREFIX)) {
      void admin.handle(req, res, pathname);
      return;
    }
    proxy.handle(req, res, pathname, search);
  });
  // A malformed request line or headers: answer 400 and drop that connection only.
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy(err);
  });
  return server;
}

export function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
