import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../lib/errors.ts';

/** The built console (web/dist) beside the server's sources; `npm start` builds it when missing. */
export const DEFAULT_CONSOLE_DIR = path.resolve(import.meta.dirname, '../../web/dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

// Paths that belong to the API and its tooling: an unknown one there is a problem+json 404,
// never the console's index page (a client calling a wrong API path must see the mistake).
const API_PREFIXES = ['/v1', '/docs', '/openapi.json', '/metrics', '/livez', '/readyz'];

const isApiPath = (p: string) => API_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));

/**
 * Serves the web console: hashed assets with a long immutable cache, every other path the
 * single-page index (its client-side router draws the screen; the API decides what data shows).
 * Without a built console, `/` explains how to build it instead of failing silently.
 */
export function registerConsole(app: FastifyInstance, distDir: string = DEFAULT_CONSOLE_DIR): void {
  const root = path.resolve(distDir);
  const indexFile = path.join(root, 'index.html');

  const sendFile = (reply: FastifyReply, file: string, cache: string) => {
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    reply
      .header('content-type', type)
      .header('cache-control', cache)
      .header('x-content-type-options', 'nosniff');
    return reply.send(fs.createReadStream(file));
  };

  const serve = async (urlPath: string, reply: FastifyReply) => {
    if (isApiPath(urlPath))
      throw new AppError('NOT_FOUND', 'No such route. The API is described at /openapi.json.');
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      throw new AppError('MALFORMED_REQUEST', 'The path is not valid percent-encoding.');
    }
    if (decoded.includes('\0')) throw new AppError('MALFORMED_REQUEST', 'The path holds a NUL byte.');
    if (!fs.existsSync(indexFile)) {
      reply.code(503).header('content-type', 'text/plain; charset=utf-8');
      return reply.send(
        'The web console is not built. Run `npm run build:console` (npm start does this), then reload.\n',
      );
    }
    const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
    // Resolved inside the dist folder only: "..", encoded or not, can never reach other files.
    if (file.startsWith(`${root}${path.sep}`) && fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      const immutable = file.startsWith(path.join(root, 'assets') + path.sep);
      return sendFile(reply, file, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    // A missing asset is a 404; any other path is a console route the client router draws.
    if (path.posix.extname(decoded) !== '') throw new AppError('NOT_FOUND', 'No such file.');
    return sendFile(reply, indexFile, 'no-store');
  };

  const options = { config: { access: { action: 'public' as const } }, schema: { hide: true } };
  app.get('/', options, async (_req, reply) => serve('/', reply));
  app.get('/*', options, async (req, reply) => serve(req.url.split('?')[0] ?? '/', reply));
}

/**
 * `npm run dev`: Vite's dev middleware inside this same server (hot module reload, no second
 * server, same origin and cookies as production). Dev only: Vite's client needs inline scripts,
 * so the console's pages go out without the CSP here; API responses keep every header.
 */
export async function registerConsoleDev(
  app: FastifyInstance,
  webDir: string = path.dirname(DEFAULT_CONSOLE_DIR),
) {
  const { createServer } = await import('vite');
  const vite = await createServer({
    root: webDir,
    configFile: path.join(webDir, 'vite.config.ts'),
    server: { middlewareMode: true, hmr: { server: app.server } },
    appType: 'spa',
  });
  app.addHook('onRequest', (req, reply, done) => {
    const urlPath = req.url.split('?')[0] ?? '/';
    if (req.method !== 'GET' || isApiPath(urlPath)) return done();
    reply.hijack();
    reply.raw.removeHeader('content-security-policy');
    vite.middlewares(req.raw, reply.raw, () => {
      reply.raw.statusCode = 404;
      reply.raw.end();
    });
  });
  app.addHook('onClose', async () => vite.close());
}
