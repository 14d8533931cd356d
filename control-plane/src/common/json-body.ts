import { CONTROL_PLANE_BODY_LIMIT_BYTES, type ControlPlaneErrorBody } from '@portcullis/shared/errors';
import { type ErrorRequestHandler, json, type RequestHandler } from 'express';

/** Generous limit so an oversized field is reported by validation, with its name, rather than as 413. */
export const jsonBody = (): RequestHandler => json({ limit: CONTROL_PLANE_BODY_LIMIT_BYTES, strict: false });

/**
 * Renders body-parser failures (malformed JSON, oversized or unreadable bodies) in the API's error
 * shape, without echoing any of the body back.
 */
export const jsonBodyErrors: ErrorRequestHandler = (err, _req, res, next) => {
  const e = err as { type?: unknown; status?: unknown };
  if (typeof e.type !== 'string' || typeof e.status !== 'number') {
    next(err);
    return;
  }
  const [status, body]: [number, ControlPlaneErrorBody] =
    e.type === 'entity.too.large'
      ? [413, { error: { code: 'payload_too_large', message: 'The request body is larger than 2 MB' } }]
      : e.type === 'entity.parse.failed'
        ? [
            400,
            {
              error: {
                code: 'invalid_request',
                message: 'The request body is not valid JSON',
                details: [{ field: '(body)', message: 'is not valid JSON' }],
              },
            },
          ]
        : [400, { error: { code: 'invalid_request', message: 'The request body could not be read' } }];
  res.status(status).json(body);
};
