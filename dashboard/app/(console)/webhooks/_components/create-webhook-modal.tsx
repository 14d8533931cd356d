'use client';

import type { CreateWebhookInput, WebhookEventType } from '@portcullis/shared/webhooks';
import { type FormEvent, useId, useState } from 'react';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModal } from '@/components/ui/form-modal';
import { SecretReveal } from '@/components/ui/secret-reveal';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { useOrg } from '@/lib/org-context';
import { useCreateWebhook } from '../hooks/use-create-webhook';
import type { WebhookProtocol } from './protocol';
import styles from './webhooks.module.css';

const EVENT_HINTS: Record<WebhookEventType, string> = {
  'budget.threshold': "A key's spend reaches one of its budget alert thresholds.",
  'key.expired': 'A key reaches its expiry date.',
  'webhook.test': 'Deliveries sent with “Send test”.',
};

/** Add an endpoint; the signing secret is shown once, with how to verify a delivery. */
export function CreateWebhookModal({
  open,
  onClose,
  protocol,
}: {
  open: boolean;
  onClose: () => void;
  protocol: WebhookProtocol;
}) {
  const formId = useId();
  const { org } = useOrg();
  const create = useCreateWebhook(org.id);
  const created = create.data;

  const close = () => {
    create.reset();
    onClose();
  };

  return (
    <FormModal
      open={open}
      title={created ? 'Webhook added' : 'Add webhook'}
      onClose={close}
      size="wide"
      formId={formId}
      submitLabel="Add webhook"
      busy={create.isPending}
      showFooter={!created}
    >
      {created ? (
        <SecretReveal
          title="Webhook created! Copy its signing secret now"
          secret={created.secret}
          secretLabel="Signing secret"
          warning="This secret will not be shown again. Make sure to save it securely."
          onDone={close}
        >
          <section className="form" aria-label="Verify deliveries">
            <h3>Verify each delivery</h3>
            <p>
              Every delivery to <code>{created.webhook.url}</code> is a POST with a{' '}
              <code>{protocol.signatureHeader}: t=…,v1=…</code> header: <code>v1</code> is the hex
              HMAC-SHA256, keyed with this secret, of <code>{'<t>.<raw body>'}</code>. Check it against the
              raw body before parsing the JSON, refuse timestamps more than {protocol.toleranceSeconds / 60}{' '}
              minutes off, and drop repeated <code>{protocol.idHeader}</code> values.
            </p>
            <pre>
              <code>{`import { verifyWebhookSignature } from '@portcullis/shared/webhooks';

const check = verifyWebhookSignature(
  process.env.PORTCULLIS_WEBHOOK_SECRET,   // whsec_…
  req.headers['${protocol.signatureHeader}'],
  rawBody,                                  // the exact bytes received
  Math.floor(Date.now() / 1000),
);
if (!check.ok) return res.writeHead(400).end(check.reason);`}</code>
            </pre>
          </section>
        </SecretReveal>
      ) : (
        <WebhookForm
          formId={formId}
          events={protocol.events}
          error={create.error}
          onSubmit={(body) => create.mutate(body)}
        />
      )}
    </FormModal>
  );
}

function WebhookForm({
  formId,
  events: allEvents,
  error,
  onSubmit,
}: {
  formId: string;
  events: WebhookEventType[];
  error: unknown;
  onSubmit: (body: CreateWebhookInput) => void;
}) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(allEvents);
  const descriptionId = useId();
  const eventsErrorId = useId();

  const toggle = (event: WebhookEventType, on: boolean) =>
    setEvents((all) =>
      on ? allEvents.filter((e) => e === event || all.includes(e)) : all.filter((e) => e !== event),
    );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit({
      url: url.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      events,
    });
  };

  const eventsError = fieldError(error, 'events');

  return (
    <form id={formId} className="form" onSubmit={submit} noValidate>
      <FormAlert error={error} shownFields={['url', 'description', 'events']} />
      <TextField
        label="Endpoint URL"
        name="url"
        type="url"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        error={fieldError(error, 'url')}
        placeholder="https://hooks.example.com/portcullis"
        autoComplete="off"
        required
      />
      <div className="field">
        <label htmlFor={descriptionId}>Description (optional)</label>
        <input
          id={descriptionId}
          name="description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={fieldError(error, 'description') ? true : undefined}
        />
        {fieldError(error, 'description') && (
          <p className="field-error">{fieldError(error, 'description')}</p>
        )}
      </div>
      <fieldset
        className={styles.eventList}
        aria-describedby={eventsError ? eventsErrorId : undefined}
        aria-invalid={eventsError ? true : undefined}
      >
        <legend>Events</legend>
        {allEvents.map((event) => (
          <label key={event} className="checkbox">
            <input
              type="checkbox"
              checked={events.includes(event)}
              onChange={(e) => toggle(event, e.target.checked)}
            />
            <span>
              <code>{event}</code>
              <span className={styles.eventHint}>{EVENT_HINTS[event]}</span>
            </span>
          </label>
        ))}
        {eventsError && (
          <p className="field-error" id={eventsErrorId}>
            {eventsError}
          </p>
        )}
      </fieldset>
    </form>
  );
}
