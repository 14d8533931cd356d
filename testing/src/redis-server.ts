import { type RunningProcess, startProcess } from './processes';

export interface RedisServerOptions {
  port: number;
  /**
   * Persist here, append-only as deployed (deploy/compose: appendonly yes), so a restart on the same
   * port and directory keeps the data; without it nothing is persisted.
   */
  dir?: string;
  /** Extra redis-server arguments (e.g. `--aclfile …`). */
  args?: string[];
}

/** A redis-server of the test's own on 127.0.0.1:`port`; start it again with the same options after `stop`. */
export function startRedisServer(opts: RedisServerOptions): Promise<RunningProcess> {
  const persistence =
    opts.dir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--dir', opts.dir];
  return startProcess({
    cmd: 'redis-server',
    args: [
      '--port',
      String(opts.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...persistence,
      ...(opts.args ?? []),
    ],
    env: {},
    ready: { line: 'Ready to accept connections' },
  });
}
