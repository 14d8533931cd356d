import { z } from 'zod';

// Local until @portcullis/shared publishes the auth schemas; then import them from there.
export const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable().optional(),
});
export type User = z.infer<typeof UserSchema>;

export const RoleSchema = z.enum(['admin', 'member']);
export type Role = z.infer<typeof RoleSchema>;

export const MembershipSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
});
export type Membership = z.infer<typeof MembershipSchema>;

export const SessionSchema = z.object({
  user: UserSchema,
  organizations: z.array(MembershipSchema),
});
export type Session = z.infer<typeof SessionSchema>;

export const LoginResponseSchema = SessionSchema.extend({ token: z.string() });
export type LoginResponse = z.infer<typeof LoginResponseSchema>;
