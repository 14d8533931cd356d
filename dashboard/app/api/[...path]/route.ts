import { proxyToControlPlane } from '@/lib/server/proxy';

// Every call is a live pass-through: nothing here may be cached or prerendered.
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = proxyToControlPlane;
export const POST = proxyToControlPlane;
export const PUT = proxyToControlPlane;
export const PATCH = proxyToControlPlane;
export const DELETE = proxyToControlPlane;
