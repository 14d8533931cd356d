import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'organizations' })
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Bumped in the same transaction as every change that matters to enforcement (gateways' snapshot version). */
  @Column({ name: 'snapshot_version', type: 'bigint', default: 0 })
  snapshotVersion: string;

  /** Head of this organization's audit hash chain; updated in the transaction that appends. */
  @Column({ name: 'audit_head_seq', type: 'bigint', default: 0 })
  auditHeadSeq: string;

  @Column({ name: 'audit_head_hash', type: 'text', default: '' })
  auditHeadHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
