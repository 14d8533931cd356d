import type { Role } from '@portcullis/shared/auth';
import type { Request } from 'express';

export interface AuthContext {
  userId: string;
  email: string;
  sessionId: string;
  /** How the session was presented: a cookie is ambient (sent by the browser on its own), a Bearer token is not. */
  via: 'bearer' | 'cookie';
}

export interface OrgContext {
  orgId: string;
  role: Role;
}

/** Who did something, for the audit trail. */
export interface Actor {
  type: 'user' | 'system';
  userId: string | null;
  ip: string | null;
}

export interface PortcullisRequest extends Request {
  auth?: AuthContext;
  org?: OrgContext;
}

export function actorOf(req: PortcullisRequest): Actor {
  return { type: 'user', userId: req.auth?.userId ?? null, ip: req.ip ?? null };
}

/** A signed-in user acting inside one organization. */
export interface OrgCaller {
  org: OrgContext;
  actor: Actor & { userId: string };
}
