import { z } from 'zod';
import { Timestamp } from './api/fields';
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

/** The signed-in user, as sign-in, `GET /me` and invitations return them. */
export const PublicUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  createdAt: Timestamp,
});
export type PublicUser = z.infer<typeof PublicUserSchema>;

/** An organization the caller belongs to, with their role in it. */
export const OrgMembershipViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  /** Extension: the caller's membership status here (a suspended member is refused in this org). */
  status: z.enum(['active', 'suspended']),
  createdAt: Timestamp,
});
export type OrgMembershipView = z.infer<typeof OrgMembershipViewSchema>;

/** `GET /me`. */
export const MeSchema = z.object({ user: PublicUserSchema, organizations: z.array(OrgMembershipViewSchema) });
export type Me = z.infer<typeof MeSchema>;

/** `POST /auth/login` (and accepting an invitation as a new account): a session token beside the cookie. */
export const SignedInSchema = MeSchema.extend({ token: z.string(), expiresAt: Timestamp });
export type SignedIn = z.infer<typeof SignedInSchema>;

/** `POST /invitations/:token/accept`: signed in as a new account, or an existing account joined (no token). */
export const AcceptedInvitationSchema = z.union([SignedInSchema, MeSchema.extend({ token: z.null() })]);
export type AcceptedInvitation = z.infer<typeof AcceptedInvitationSchema>;

/** One live session of the signed-in user (never its token). */
export const SessionViewSchema = z.object({
  id: z.string(),
  /** The session this request was made with. */
  current: z.boolean(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

/** `GET /invitations/:token`: what a link is for, before accepting it. */
export const InvitationPeekSchema = z.object({
  invitation: z.object({
    email: z.string(),
    role: RoleSchema,
    expiresAt: Timestamp,
    organization: z.object({ name: z.string() }),
  }),
  /** The email has an account: accepting needs that account's session, and no password. */
  accountExists: z.boolean(),
  /** Who this request is signed in as, if anyone. */
  signedInAs: z.string().nullable(),
});
export type InvitationPeek = z.infer<typeof InvitationPeekSchema>;
