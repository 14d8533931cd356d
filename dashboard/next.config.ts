import type { NextConfig } from 'next';

/**
 * The pages' Content-Security-Policy: everything from this origin only, never framed (clickjacking),
 * no plugins, forms and <base> pinned to this origin. Next's app router inlines its bootstrap and
 * flight-data scripts, so script-src needs 'unsafe-inline' (a nonce would force every page to render
 * dynamically); no third-party script can load, and the API answers JSON only. `next dev` also needs eval.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === 'development' ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Lets parallel builds (several worktrees, CI shards) use separate output folders; `next start` reads the same.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // ESLint is not part of this repository (Biome lints from the root); type errors still fail the build.
  eslint: { ignoreDuringBuilds: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Content-Security-Policy', value: contentSecurityPolicy },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'no-referrer' },
        ],
      },
    ];
  },
};

export default nextConfig;
