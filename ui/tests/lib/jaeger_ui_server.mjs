#!/usr/bin/env node
// Serves a Jaeger UI build (JAEGER_UI_DIST) the way Jaeger's own query server does, for the
// big-trace benchmark beside our UI: its files by path, index.html for every other page, and
// /api/* passed through to a polytrace query server (POLYTRACE_URL). polytrace's own UI server
// sends a Content-Security-Policy (inline scripts off, base-uri 'none') that Jaeger UI's page
// cannot live with: its inline script writes the <base> its relative ./static/ paths need.
//
//   node tests/lib/jaeger_ui_server.mjs PORT   (prints "listening" once it is)
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const DIST = path.resolve(process.env.JAEGER_UI_DIST || '');
const API = new URL(process.env.POLYTRACE_URL || 'http://127.0.0.1:16686');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2' };

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/api/')) {
    const upstream = http.request({ host: API.hostname, port: API.port, path: req.url, method: req.method, headers: { ...req.headers, host: API.host } }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
    return;
  }
  let file = path.join(DIST, path.normalize(decodeURIComponent(url.pathname)));
  if (!file.startsWith(DIST) || !existsSync(file) || !statSync(file).isFile()) file = path.join(DIST, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
