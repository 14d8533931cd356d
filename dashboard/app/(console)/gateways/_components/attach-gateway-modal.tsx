'use client';

import type { GatewayTokenCreated } from '@portcullis/shared/gateways-api';
import { type FormEvent, useId, useState } from 'react';
import { CopyButton } from '@/components/ui/copy-button';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModal } from '@/components/ui/form-modal';
import { SecretReveal } from '@/components/ui/secret-reveal';
import { Tabs } from '@/components/ui/tabs';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { useOrg } from '@/lib/org-context';
import { useCreateGatewayToken } from '../hooks/use-create-gateway-token';
import styles from './gateways.module.css';

const DEFAULT_CONTROL_PLANE = 'http://127.0.0.1:4000';
const REDIS_PLACEHOLDER = 'redis://127.0.0.1:6379';

/** Names a gateway for a path or a container: lowercase letters, digits, dots, dashes and underscores. */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'gateway';

/**
 * "Attach a gateway": a name creates the gateway and its token, shown once, with the commands that
 * start a gateway with it (the settings of API.md, "Running").
 */
export function AttachGatewayModal({
  open,
  onClose,
  controlPlaneUrl,
}: {
  open: boolean;
  onClose: () => void;
  controlPlaneUrl: string | null;
}) {
  const formId = useId();
  const { org } = useOrg();
  const create = useCreateGatewayToken(org.id);
  const [name, setName] = useState('');
  const created = create.data;

  const close = () => {
    create.reset();
    setName('');
    onClose();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name });
  };

  return (
    <FormModal
      open={open}
      title={created ? `Start ${created.gateway.name}` : 'Attach a gateway'}
      onClose={close}
      size="wide"
      formId={formId}
      submitLabel="Create token"
      busy={create.isPending}
      showFooter={!created}
    >
      {created ? (
        <SecretReveal
          title="Gateway token created! Copy it now"
          secret={created.token}
          secretLabel="Gateway token"
          warning="This token will not be shown again. Make sure to save it securely: anyone holding it can read this organization's snapshot."
          onDone={close}
        >
          <StartInstructions created={created} controlPlaneUrl={controlPlaneUrl ?? DEFAULT_CONTROL_PLANE} />
        </SecretReveal>
      ) : (
        <form id={formId} className="form" onSubmit={submit} noValidate>
          <p className="muted">
            Each gateway has its own token. Name it after where it runs; the name is how it appears in this
            list.
          </p>
          <FormAlert error={create.error} shownFields={['name']} />
          <TextField
            label="Gateway name"
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={fieldError(create.error, 'name')}
            placeholder="edge-eu-1"
            autoComplete="off"
            required
          />
        </form>
      )}
    </FormModal>
  );
}

function StartInstructions({
  created,
  controlPlaneUrl,
}: {
  created: GatewayTokenCreated;
  controlPlaneUrl: string;
}) {
  const [tab, setTab] = useState('pnpm');
  const id = slug(created.gateway.name);
  const shell = [
    `CONTROL_PLANE_URL=${controlPlaneUrl} \\`,
    `GATEWAY_TOKEN=${created.token} \\`,
    `REDIS_URL=${REDIS_PLACEHOLDER} \\`,
    'PORT=8080 \\',
    `GATEWAY_STATE_DIR=./gateway-state/${id} \\`,
    'pnpm --dir gateway start',
  ].join('\n');
  const docker = [
    '# once, from the repository root:',
    'docker build -f deploy/docker/gateway.Dockerfile -t portcullis-gateway .',
    '',
    `docker run -d --name portcullis-${id} \\`,
    `  -e CONTROL_PLANE_URL=${controlPlaneUrl} \\`,
    `  -e GATEWAY_TOKEN=${created.token} \\`,
    `  -e REDIS_URL=${REDIS_PLACEHOLDER} \\`,
    '  -p 8080:8080 \\',
    `  -v portcullis-${id}-state:/var/lib/portcullis/gateway \\`,
    '  portcullis-gateway',
  ].join('\n');

  return (
    <section className={styles.steps} aria-label="Start the gateway">
      <h3>Start the gateway</h3>
      <ol>
        <li>
          <code>CONTROL_PLANE_URL</code> is the control plane as this dashboard reaches it; use the address
          the gateway’s machine reaches it at.
        </li>
        <li>
          <code>REDIS_URL</code> must point at the Redis the control plane uses (snapshot updates and usage
          travel through it).
        </li>
        <li>
          Several gateways can run on one machine with different <code>PORT</code> and{' '}
          <code>GATEWAY_STATE_DIR</code>. Optional: <code>TRUSTED_PROXIES</code>,{' '}
          <code>UPSTREAM_ALLOWLIST</code>.
        </li>
      </ol>
      <Tabs
        label="How to run the gateway"
        tabs={[
          { id: 'pnpm', label: 'From the repository' },
          { id: 'docker', label: 'Docker' },
        ]}
        selected={tab}
        onSelect={setTab}
      >
        {(tabId) => (
          <div className={styles.command}>
            <pre>
              <code>{tabId === 'pnpm' ? shell : docker}</code>
            </pre>
            <div className={styles.commandActions}>
              <CopyButton
                value={tabId === 'pnpm' ? shell : docker}
                label="Copy command"
                className="button button-small"
              />
            </div>
          </div>
        )}
      </Tabs>
      <p className="muted">
        Once it has registered it appears in the list as Online with its snapshot version.
      </p>
    </section>
  );
}
