import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PublicUser } from '@portcullis/shared/auth';
import { DataSource, type EntityManager } from 'typeorm';
import { argon2Hash } from '../crypto/hashing';
import { User } from './user.entity';

export const toPublicUser = (
  u: Pick<User, 'id' | 'email' | 'name' | 'status' | 'createdAt'>,
): PublicUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  status: u.status,
  createdAt: new Date(u.createdAt).toISOString(),
});

@Injectable()
export class AccountsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByEmailWithHash(email: string, em: EntityManager = this.db.manager): Promise<User | null> {
    return em
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
  }

  async create(em: EntityManager, input: { email: string; name: string; password: string }): Promise<User> {
    const repo = em.getRepository(User);
    const user = repo.create({
      email: input.email,
      name: input.name,
      passwordHash: await argon2Hash(input.password),
    });
    return repo.save(user);
  }
}
