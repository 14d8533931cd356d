import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // ESLint is not part of this repository (Biome lints from the root); type errors still fail the build.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
