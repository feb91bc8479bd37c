import { Controller, Get, Header, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';

/** Where the console's files are: plain HTML, CSS and JS modules, served as they are (no build step). */
export const CONSOLE_STATIC_DIR = join(__dirname, 'static');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The console's pages only talk to this origin: scripts, styles and media from here, no inline
 * script, nothing framed. Media also from blob: (nothing uses it yet; harmless for players).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "media-src 'self' blob:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
].join('; ');

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Reads every file below the static folder once, at start: the set of servable paths is fixed (no path from a request reaches the file system). */
function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) { walk(full); continue; }
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType) continue;
      const body = readFileSync(full);
      files.set(relative(dir, full).split(sep).join('/'), { body, contentType, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });
    }
  };
  walk(dir);
  return files;
}

/** The web console: `/` is the single page, `/console/...` its scripts and styles. Open to anyone; the data behind it needs a login. */
@Controller()
@Public()
export class ConsoleController {
  private readonly files = loadStaticFiles(CONSOLE_STATIC_DIR);

  @Get()
  @Header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  index(@Req() req: Request, @Res() res: Response): void {
    this.send('index.html', req, res);
  }

  @Get('console/*path')
  asset(@Param('path') path: string | string[], @Req() req: Request, @Res() res: Response): void {
    this.send(Array.isArray(path) ? path.join('/') : path, req, res);
  }

  private send(path: string, req: Request, res: Response): void {
    const file = this.files.get(path);
    if (!file) throw new NotFoundException(`no console file ${path}`);
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    // Revalidate every time (cheap: a 304 by ETag), so a deployed change is seen on the next load.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', file.etag);
    if (req.headers['if-none-match'] === file.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).end(file.body);
  }
}
