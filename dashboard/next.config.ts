import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Lets parallel builds (several worktrees, CI shards) use separate output folders; `next start` reads the same.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // ESLint is not part of this repository (Biome lints from the root); type errors still fail the build.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
