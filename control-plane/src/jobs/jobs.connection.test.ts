import { describe, expect, it } from 'vitest';
import { jobsPrefix } from './jobs.connection';

describe('jobsPrefix', () => {
  it('is one per database, whatever the credentials, and does not spell the database name', () => {
    const a = jobsPrefix('postgres://postgres@127.0.0.1:5432/portcullis');
    expect(a).toMatch(/^portcullis:jobs:[0-9a-f]{8}$/);
    expect(a).not.toContain('portcullis_');
    expect(jobsPrefix('postgres://app:secret@127.0.0.1/portcullis')).toBe(a);
    expect(jobsPrefix('postgres://postgres@127.0.0.1:5432/other')).not.toBe(a);
    expect(jobsPrefix('postgres://postgres@10.0.0.2:5432/portcullis')).not.toBe(a);
  });
});
