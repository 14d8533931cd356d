import { z } from 'zod';
import { Timestamp } from './api/fields';
import { noControlChars } from './api-keys';
import { HttpUrlSchema, required } from './providers';

/**
 * The webhooks' REST side: the request schema of an endpoint (control plane, dashboard) and the views
 * the API returns. No `node:` imports (the dashboard bundles it); the signing code is in webhooks.ts.
 */

export const WEBHOOK_EVENTS = ['budget.threshold', 'key.expired', 'webhook.test'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const WebhookUrlSchema = HttpUrlSchema;

export const CreateWebhookSchema = z.strictObject({
  url: WebhookUrlSchema,
  description: z
    .string(required('a string'))
    .trim()
    .max(500, 'must be at most 500 characters')
    .refine(noControlChars, 'must not contain control characters')
    .optional(),
  /** Which event types this endpoint receives; all of them when absent. */
  events: z
    .array(
      z.enum(WEBHOOK_EVENTS, {
        error: () => `must be one of ${WEBHOOK_EVENTS.join(', ')}`,
      }),
      required('an array of event types'),
    )
    .min(1, 'must name at least one event type')
    .refine((a) => new Set(a).size === a.length, 'must not repeat an event type')
    .optional(),
});
export type CreateWebhookInput = z.infer<typeof CreateWebhookSchema>;

export const WebhookViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  /** `whsec_…` and the secret's last 4 characters: enough to tell two secrets apart, never the secret. */
  secretPreview: z.string(),
  createdAt: Timestamp,
});
export type WebhookView = z.infer<typeof WebhookViewSchema>;

/** `POST /orgs/:org/webhooks`: the endpoint and its signing secret, shown this once. */
export const WebhookCreatedSchema = z.object({ webhook: WebhookViewSchema, secret: z.string() });
export type WebhookCreated = z.infer<typeof WebhookCreatedSchema>;

export const WebhookDeliveryAttemptSchema = z.object({
  at: Timestamp,
  statusCode: z.number().nullable(),
  error: z.string().nullable(),
  durationMs: z.number(),
});
export type WebhookDeliveryAttempt = z.infer<typeof WebhookDeliveryAttemptSchema>;

export const WebhookDeliveryViewSchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  type: z.enum(WEBHOOK_EVENTS),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
  /** Extension: every attempt so far, oldest first. */
  attemptLog: z.array(WebhookDeliveryAttemptSchema),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryViewSchema>;
