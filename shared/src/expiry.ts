/** Expiry presets offered when creating a key; `never` means no expiry. */
export const EXPIRY_PRESETS = ['never', '30d', '60d', '90d', '180d', '1y'] as const;
export type ExpiryPreset = (typeof EXPIRY_PRESETS)[number];

const DAY_MS = 86_400_000;

/** Resolves a preset against `now`; `1y` is a calendar year (UTC), the others whole days. */
export function expiryFromPreset(preset: ExpiryPreset, now: Date): Date | null {
  switch (preset) {
    case 'never':
      return null;
    case '30d':
      return new Date(now.getTime() + 30 * DAY_MS);
    case '60d':
      return new Date(now.getTime() + 60 * DAY_MS);
    case '90d':
      return new Date(now.getTime() + 90 * DAY_MS);
    case '180d':
      return new Date(now.getTime() + 180 * DAY_MS);
    case '1y': {
      const d = new Date(now.getTime());
      d.setUTCFullYear(d.getUTCFullYear() + 1);
      return d;
    }
  }
}
