/** OWASP argon2id parameters, as the control plane hashes key secrets: for key records tests build. */
export const ARGON2_OWASP = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
