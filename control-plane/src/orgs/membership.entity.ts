import type { Role } from '@portcullis/shared/auth';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type MembershipStatus = 'active' | 'suspended';

@Entity({ name: 'memberships' })
export class Membership {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  role: Role;

  /** Suspension is per organization: a suspended member's sessions and keys are refused in this org only. */
  @Column({ type: 'text', default: 'active' })
  status: MembershipStatus;

  @Column({ name: 'suspended_at', type: 'timestamptz', nullable: true })
  suspendedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
