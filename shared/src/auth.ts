import { z } from 'zod';
import { noControlChars } from './api-keys';

export const EmailSchema = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  // Deliberately loose (one @, no spaces): operators use addresses like admin@localhost.
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
  .transform((s) => s.toLowerCase());

export const PasswordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');

export const LoginSchema = z.strictObject({
  email: EmailSchema,
  // Sign-in does not enforce the creation rules: a wrong password is just wrong.
  password: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
});
export type LoginInput = z.infer<typeof LoginSchema>;

export const ROLES = ['admin', 'member'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const CreateOrgSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .refine(noControlChars, 'must not contain control characters'),
});

export const InviteSchema = z.strictObject({ email: EmailSchema, role: RoleSchema });
const AccountNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
/** What a new account gives when it accepts its invitation (its email is the invitation's). */
export const AcceptInvitationSchema = z.strictObject({
  name: AccountNameSchema,
  password: PasswordSchema,
});
/**
 * The accept route's body. An email that already has an account joins with that account's session and
 * sends nothing (a password here is never checked: the route must not be a password oracle); a new
 * account sends `AcceptInvitationSchema`, checked once the invitation says which case it is.
 */
export const AcceptInvitationBodySchema = z.strictObject({
  name: z.string().max(100, 'must be at most 100 characters').optional(),
  password: z.string().max(256, 'must be at most 256 characters').optional(),
});

/** `POST /auth/password`: the signed-in user changes their password; their other sessions end. */
export const ChangePasswordSchema = z.strictObject({
  currentPassword: z.string().min(1, 'is required').max(256, 'must be at most 256 characters'),
  newPassword: PasswordSchema,
});
export type ChangePasswordInput = z.infer<typeof ChangePasswordSchema>;

/** `PATCH /orgs/:org/users/:id`: an admin changes a member's role or name (a member may rename themself). */
export const UpdateMemberSchema = z
  .strictObject({
    role: RoleSchema.optional(),
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .refine(noControlChars, 'must not contain control characters')
      .optional(),
  })
  .refine((v) => v.role !== undefined || v.name !== undefined, {
    message: 'give at least one of role, name',
    path: ['role'],
  });
export type UpdateMemberInput = z.infer<typeof UpdateMemberSchema>;

/** A row of the users list: members (active or suspended in this organization) and pending invitations. */
export const MEMBER_STATUSES = ['active', 'invited', 'suspended'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
