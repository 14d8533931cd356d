import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  aclPasswordHash,
  GATEWAY_SCRIPTS,
  gatewayAclRules,
  gatewayRedisUser,
} from '@portcullis/shared/redis-keys';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { query, sql } from '../database/sql';
import { RedisService } from '../redis/redis.service';

/** Associated data of a gateway's sealed Redis password. */
export const redisPasswordAad = (gatewayId: string) => `gateway-redis-password:${gatewayId}`;

/**
 * Per-gateway Redis users: `ACL SETUSER portcullis-gw-<id> reset on #<sha256> <rules>`
 * with the rules of `gatewayAclRules` (its organization's channel, limiter, budget and usage stream
 * only). Applied at every registration, so a Redis that lost its ACLs (restarted without an ACL file)
 * gets the user back when the gateway registers again. When the control plane's own Redis user may not
 * run ACL SETUSER, nothing is minted (logged once) and gateways keep the user of their REDIS_URL.
 * Users made with ACL SETUSER live in Redis' memory only: each time the control plane's connection
 * becomes ready (its start, and every reconnect, e.g. after Redis restarted) it makes every gateway's
 * user again from the passwords it keeps sealed, so gateways reconnect without registering again.
 * Then it also loads the Lua scripts gateways run (`GATEWAY_SCRIPTS`):
 * gateways may run them by SHA only (EVALSHA), never send a script of their own (EVAL), whatever
 * Redis user they have (minted or the operator's).
 */
@Injectable()
export class GatewayRedisUsers {
  private readonly logger = new Logger('GatewayRedisUsers');
  private refusedLogged = false;
  private scriptsRefusedLogged = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
  ) {
    this.redis.client.on('ready', () => {
      void this.loadScripts();
      if (this.enabled) void this.restoreAll();
    });
  }

  /** Loads the scripts gateways run by SHA (Redis forgets them when it restarts). */
  async loadScripts(): Promise<void> {
    try {
      for (const script of GATEWAY_SCRIPTS) await this.redis.client.call('SCRIPT', 'LOAD', script);
    } catch (err) {
      if (!this.scriptsRefusedLogged) {
        this.logger.warn(
          `cannot load the gateways' Lua scripts (${(err as Error).message}); budget grants fail at gateways that may run EVALSHA only until it can`,
        );
        this.scriptsRefusedLogged = true;
      }
    }
  }

  /** Makes every gateway's user again (Redis may have restarted without them). */
  async restoreAll(): Promise<void> {
    if (!this.box.available) return;
    try {
      const rows: { id: string; org_id: string; redis_password_sealed: string }[] = await query(
        this.db,
        sql`SELECT id, org_id, redis_password_sealed FROM gateways WHERE redis_username IS NOT NULL`,
      );
      for (const r of rows) {
        if (
          !(await this.mint(r.id, r.org_id, this.box.open(r.redis_password_sealed, redisPasswordAad(r.id))))
        )
          return;
      }
    } catch (err) {
      this.logger.warn(`cannot restore the gateways' Redis users (${(err as Error).message})`);
    }
  }

  get enabled(): boolean {
    return this.config.GATEWAY_REDIS_USERS === 'auto';
  }

  /** Creates or refreshes the gateway's user; false when the control plane may not (or must not). */
  async mint(gatewayId: string, orgId: string, password: string): Promise<boolean> {
    if (!this.enabled) return false;
    try {
      await this.redis.client.call(
        'ACL',
        'SETUSER',
        gatewayRedisUser(gatewayId),
        'reset',
        'on',
        aclPasswordHash(password),
        ...gatewayAclRules(orgId),
      );
      return true;
    } catch (err) {
      const message = (err as Error).message;
      if (/NOPERM|unknown command/i.test(message)) {
        if (!this.refusedLogged) {
          this.logger.warn(
            'the control plane may not run ACL SETUSER, so gateways get no Redis user of their own; they use the user of their REDIS_URL (see deploy/redis-acl/README.md)',
          );
          this.refusedLogged = true;
        }
        return false;
      }
      throw err;
    }
  }

  /** Deletes the gateway's user; Redis disconnects the clients authenticated as it. */
  async remove(gatewayId: string): Promise<void> {
    await this.redis.client.call('ACL', 'DELUSER', gatewayRedisUser(gatewayId));
  }
}
