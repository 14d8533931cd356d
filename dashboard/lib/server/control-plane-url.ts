const DEFAULT_CONTROL_PLANE_URL = 'http://127.0.0.1:4000';

/**
 * Read on every call, not at module load: `next build` runs without the deployment's
 * environment, and one built image must serve any control plane it is pointed at.
 * Returns null when the setting is not an http(s) URL.
 */
export const controlPlaneUrl = (): URL | null => {
  const raw = process.env.CONTROL_PLANE_URL?.trim() || DEFAULT_CONTROL_PLANE_URL;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url;
  } catch {
    return null;
  }
};
