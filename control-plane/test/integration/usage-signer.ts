/**
 * Test gateways that sign usage events as a real gateway does (issue 12): one per organization,
 * created with an admin's session (`POST /orgs/:org/gateway-tokens`) and registered with its token
 * (`POST /gateway/register`), which hands out its usage signing secret. `line` gives the signed JSON
 * a gateway XADDs to `usageStreamOf(orgId)`.
 */
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import { signUsageEvent } from '@portcullis/shared/usage-signing';
import { requestOk } from '@portcullis/testing/rest';

export interface TestGateway {
  id: string;
  orgId: string;
  token: string;
  secret: Buffer;
}

export class TestSigners {
  private readonly byOrg = new Map<string, Promise<TestGateway>>();

  constructor(
    /** The control plane's base URL (`http://127.0.0.1:<port>`). */
    private readonly base: () => string,
    /** A session token of an admin of the organizations events are signed for (unless given per call). */
    private readonly adminToken: () => string = () => '',
  ) {}

  /** The organization's test gateway (created and registered on first use). */
  gateway(orgId: string, adminToken?: string): Promise<TestGateway> {
    let gw = this.byOrg.get(orgId);
    if (!gw) {
      gw = this.create(orgId, adminToken ?? this.adminToken());
      this.byOrg.set(orgId, gw);
      gw.catch(() => this.byOrg.delete(orgId));
    }
    return gw;
  }

  /** `event` with `gatewayId` set to the test gateway of its organization, signed; and its stream. */
  async sign(event: Record<string, unknown>, adminToken?: string): Promise<{ stream: string; line: string }> {
    const orgId = String(event.orgId);
    const gw = await this.gateway(orgId, adminToken);
    return { stream: usageStreamOf(orgId), line: signUsageEvent({ ...event, gatewayId: gw.id }, gw.secret) };
  }

  private async create(orgId: string, adminToken: string): Promise<TestGateway> {
    const post = (path: string, token: string, body: unknown) =>
      requestOk<Record<string, unknown>>('POST', `${this.base()}/api/v1${path}`, { token, body });
    const name = `test-signer-${Math.random().toString(36).slice(2, 10)}`;
    const created = (await post(`/orgs/${orgId}/gateway-tokens`, adminToken, { name })) as {
      token: string;
      gateway: { id: string };
    };
    const reg = await post('/gateway/register', created.token, { instanceId: name });
    return {
      id: created.gateway.id,
      orgId,
      token: created.token,
      secret: Buffer.from(String(reg.usageSigningSecret), 'base64url'),
    };
  }
}
