import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * How `GET …/usage?groupId=` learns a group's members. Groups do not exist yet, so no group is known
 * and the route answers 404; the groups module replaces this provider (same class token, e.g.
 * `{ provide: UsageGroupResolver, useExisting: GroupsService }`) with one that answers from its table.
 */
@Injectable()
export class UsageGroupResolver {
  /** The user ids in the group, or null when the organization has no such group. */
  async memberIds(_em: EntityManager, _orgId: string, _groupId: string): Promise<string[] | null> {
    return null;
  }
}
