import type { NextFunction, Request, Response } from 'express';

/**
 * The control plane answers JSON only: nothing it sends may run script, load anything or be framed.
 * The dashboard sets its own policy for its pages; this one covers the API wherever it is reached.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('content-security-policy', API_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  };
}
