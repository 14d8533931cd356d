import type { DataSourceOptions } from 'typeorm';
import { AuditEvent } from '../audit/audit-event.entity';
import { LoginAttempt } from '../auth/login-attempt.entity';
import { Session } from '../auth/session.entity';
import { User } from '../auth/user.entity';
import { Invitation } from '../invitations/invitation.entity';
import { ApiKeyEntity } from '../keys/api-key.entity';
import { Membership } from '../orgs/membership.entity';
import { Organization } from '../orgs/organization.entity';
import { Foundation1763900000000 } from './migrations/1763900000000-Foundation';
import { ProvidersModelsGateways1764000000000 } from './migrations/1764000000000-ProvidersModelsGateways';
import { Usage1764100000000 } from './migrations/1764100000000-Usage';
import { Webhooks1764200000000 } from './migrations/1764200000000-Webhooks';
import { McpServers1764300000000 } from './migrations/1764300000000-McpServers';
import { Policy1764400000000 } from './migrations/1764400000000-Policy';
import { People1764500000000 } from './migrations/1764500000000-People';
import { ScopedBudgetAlerts1764600000000 } from './migrations/1764600000000-ScopedBudgetAlerts';
import { EphemeralTokens1764750000000 } from './migrations/1764750000000-EphemeralTokens';
import { UsageSumsNumeric1764810000000 } from './migrations/1764810000000-UsageSumsNumeric';
import { CachePrices1764820000000 } from './migrations/1764820000000-CachePrices';
import { KeyCallsWithoutModel1764830000000 } from './migrations/1764830000000-KeyCallsWithoutModel';
import { AdminCeilings1764850000000 } from './migrations/1764850000000-AdminCeilings';
import { AccountsSessions1764900000000 } from './migrations/1764900000000-AccountsSessions';
import { SignedSnapshots1764910000000 } from './migrations/1764910000000-SignedSnapshots';
import { GatewayCredentials1764920000000 } from './migrations/1764920000000-GatewayCredentials';
import { QueryErrorLogger } from './query-logger';

export const ENTITIES = [
  Organization,
  User,
  Membership,
  Session,
  LoginAttempt,
  ApiKeyEntity,
  Invitation,
  AuditEvent,
];
export const MIGRATIONS = [
  Foundation1763900000000,
  ProvidersModelsGateways1764000000000,
  Usage1764100000000,
  Webhooks1764200000000,
  McpServers1764300000000,
  Policy1764400000000,
  People1764500000000,
  ScopedBudgetAlerts1764600000000,
  EphemeralTokens1764750000000,
  UsageSumsNumeric1764810000000,
  CachePrices1764820000000,
  KeyCallsWithoutModel1764830000000,
  AdminCeilings1764850000000,
  AccountsSessions1764900000000,
  SignedSnapshots1764910000000,
  GatewayCredentials1764920000000,
];

export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: ['error'],
    logger: new QueryErrorLogger(),
    extra: { max: 10, application_name: 'portcullis-control-plane' },
  };
}
