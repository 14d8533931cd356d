import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const TOKEN_LIKE = /ptc[a-z]_[A-Za-z0-9_-]+/g;

/**
 * One line per request: method, route pattern (never the raw URL: invitation tokens travel in paths),
 * status, duration and request id. Bodies, queries and headers are never logged.
 */
export function requestLog(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const route =
        (req.route as { path?: string } | undefined)?.path ?? req.path.replace(TOKEN_LIKE, ':token');
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      write(
        JSON.stringify({
          t: new Date().toISOString(),
          msg: 'request',
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          requestId,
          ip: req.ip,
        }),
      );
    });
    next();
  };
}
