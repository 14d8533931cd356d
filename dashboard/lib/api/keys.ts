import {
  AlertThresholdsSchema,
  type ApiKey,
  type BUDGET_PERIODS,
  CreateKeySchema,
  DEFAULT_MCP_POLICY,
  KEY_STATUSES,
  type KeyStatus,
  type McpPolicy,
  MetadataSchema,
  PROVIDERS,
  type Provider,
  UpdateKeySchema,
} from '@portcullis/shared/api-keys';
import { parseCidr } from '@portcullis/shared/cidr';
import type { ExpiryPreset } from '@portcullis/shared/expiry';
import type { KeyRequestView } from '@portcullis/shared/usage';
import { issuesToFields } from '@portcullis/shared/validation';
import { queryOptions } from '@tanstack/react-query';
import type { z } from 'zod';
import { type ApiErrorDetail, api } from './client';

/* ---------------------------------------------------------------- views */

export type { KeyWithSecret } from '@portcullis/shared/api-keys';
export type { KeyDetail } from '@portcullis/shared/policy';

/** One row of `GET …/keys/:id/requests`. */
export type KeyRequest = KeyRequestView;

export type KeySort = 'name' | 'owner' | 'status' | 'requests';
export const KEY_SORT_COLUMNS: readonly KeySort[] = ['name', 'owner', 'status', 'requests'];
/** The API's default order per sort: text ascending, counts descending. */
export const defaultOrder = (sort: KeySort): 'asc' | 'desc' => (sort === 'requests' ? 'desc' : 'asc');

export interface KeyListFilters {
  search: string;
  status: KeyStatus | '';
  sort: KeySort | '';
  order: 'asc' | 'desc' | '';
  cursor: string;
}

export const isKeyStatus = (value: string): value is KeyStatus =>
  (KEY_STATUSES as readonly string[]).includes(value);
export const isKeySort = (value: string): value is KeySort =>
  (KEY_SORT_COLUMNS as readonly string[]).includes(value);

/* ---------------------------------------------------------------- queries */

export const keyKeys = {
  all: ['keys'] as const,
  org: (orgId: string) => [...keyKeys.all, orgId] as const,
  lists: (orgId: string) => [...keyKeys.org(orgId), 'list'] as const,
  list: (orgId: string, filters: KeyListFilters) => [...keyKeys.lists(orgId), filters] as const,
  detail: (orgId: string, id: string) => [...keyKeys.org(orgId), 'detail', id] as const,
  requests: (orgId: string, id: string, cursor: string) =>
    [...keyKeys.detail(orgId, id), 'requests', cursor] as const,
};

export const KEYS_PAGE_SIZE = 25;

export const keysQueryOptions = (orgId: string, filters: KeyListFilters) =>
  queryOptions({
    queryKey: keyKeys.list(orgId, filters),
    queryFn: ({ signal }) =>
      api.listKeys({
        org: orgId,
        query: {
          search: filters.search.trim(),
          status: filters.status || undefined,
          sort: filters.sort || undefined,
          order: filters.sort ? filters.order || defaultOrder(filters.sort) : undefined,
          cursor: filters.cursor || undefined,
          limit: KEYS_PAGE_SIZE,
        },
        signal,
      }),
    // Paging and filtering keep the previous rows on screen until the next ones arrive: no jump.
    placeholderData: (previous) => previous,
  });

export const keyQueryOptions = (orgId: string, id: string) =>
  queryOptions({
    queryKey: keyKeys.detail(orgId, id),
    queryFn: ({ signal }) => api.getKey({ org: orgId, id, signal }),
  });

export const KEY_REQUESTS_PAGE_SIZE = 20;

export const keyRequestsQueryOptions = (orgId: string, id: string, cursor: string) =>
  queryOptions({
    queryKey: keyKeys.requests(orgId, id, cursor),
    queryFn: ({ signal }) =>
      api.listKeyRequests({
        org: orgId,
        id,
        query: { cursor: cursor || undefined, limit: KEY_REQUESTS_PAGE_SIZE },
        signal,
      }),
    placeholderData: (previous) => previous,
  });

/* ---------------------------------------------------------------- mutations */

export type KeyBody = z.input<typeof CreateKeySchema>;
export type KeyUpdateBody = z.input<typeof UpdateKeySchema>;

export const EPHEMERAL_LIFETIMES = [
  { seconds: 300, label: '5 minutes' },
  { seconds: 900, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
] as const;

/* ---------------------------------------------------------------- what a key's state allows */

export type KeyAction = 'edit' | 'rotate' | 'ephemeral' | 'activate' | 'deactivate' | 'revoke' | 'delete';

/** The actions the API accepts for a key in this state (a refused one is not offered). */
export const keyActions = (status: KeyStatus): KeyAction[] => {
  switch (status) {
    case 'active':
      return ['edit', 'rotate', 'ephemeral', 'deactivate', 'revoke', 'delete'];
    case 'inactive':
      return ['edit', 'rotate', 'activate', 'revoke', 'delete'];
    case 'expired':
      // A new expiry (Edit) brings it back; rotation and tokens are refused until then.
      return ['edit', 'revoke', 'delete'];
    case 'revoked':
      return ['delete'];
  }
};

/** `ptcl_AbC…`: enough of the public prefix to tell keys apart in a table. */
export const maskPrefix = (prefix: string, visible = 8): string =>
  prefix.length <= visible ? prefix : `${prefix.slice(0, visible)}…`;

/* ---------------------------------------------------------------- the create / edit form */

export type KeyFormTab = 'basic' | 'advanced' | 'mcp';
export type ExpiryChoice = ExpiryPreset | 'custom' | 'keep';
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** What the user typed, as typed: bad input stays in the form until it is fixed. */
export interface KeyFormValues {
  name: string;
  /** '' = the signed-in user. */
  ownerId: string;
  expiry: ExpiryChoice;
  /** `YYYY-MM-DD` for a custom expiry. */
  expiresOn: string;
  requestsPerMinute: string;
  tokensPerMinute: string;
  budgetUsd: string;
  budgetPeriod: BudgetPeriod;
  alertThresholds: string;
  /** Providers the key may use; all of them means no restriction. */
  providers: Provider[];
  /** Model slugs ticked in the list. */
  models: string[];
  /** More slugs, one per line or comma-separated. */
  otherModels: string;
  /** One address or CIDR per line. */
  ipAllowlist: string;
  metadata: string;
  mcp: McpPolicy;
  /** Pass-through calls that name no model (admins only may turn it on). */
  allowCallsWithoutModel: boolean;
}

export const DEFAULT_ALERT_THRESHOLDS = '50, 80, 100';

export const emptyKeyForm = (): KeyFormValues => ({
  name: '',
  ownerId: '',
  expiry: 'never',
  expiresOn: '',
  requestsPerMinute: '',
  tokensPerMinute: '',
  budgetUsd: '',
  budgetPeriod: 'monthly',
  alertThresholds: DEFAULT_ALERT_THRESHOLDS,
  providers: [...PROVIDERS],
  models: [],
  otherModels: '',
  ipAllowlist: '',
  metadata: '',
  mcp: { ...DEFAULT_MCP_POLICY, servers: [], tools: {}, resources: {}, prompts: {} },
  allowCallsWithoutModel: false,
});

const numberText = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));

/** The edit form, prefilled from the key; the expiry is kept unless the user picks a new one. */
export const formFromKey = (key: ApiKey): KeyFormValues => ({
  name: key.name,
  ownerId: key.ownerId,
  expiry: 'keep',
  expiresOn: '',
  requestsPerMinute: numberText(key.limits.requestsPerMinute),
  tokensPerMinute: numberText(key.limits.tokensPerMinute),
  budgetUsd: numberText(key.budget?.limitUsd),
  budgetPeriod: key.budget?.period ?? 'monthly',
  alertThresholds: key.budget ? key.budget.alertThresholds.join(', ') : DEFAULT_ALERT_THRESHOLDS,
  providers: key.allowedProviders.length === 0 ? [...PROVIDERS] : [...key.allowedProviders],
  models: [...key.allowedModels],
  otherModels: '',
  ipAllowlist: key.ipAllowlist.join('\n'),
  metadata: Object.keys(key.metadata).length === 0 ? '' : JSON.stringify(key.metadata, null, 2),
  mcp: {
    enabled: key.mcp.enabled,
    mode: key.mcp.mode,
    servers: [...key.mcp.servers],
    tools: copyLists(key.mcp.tools),
    // A key from an API older than these lists has none (absent = {}).
    resources: copyLists(key.mcp.resources ?? {}),
    prompts: copyLists(key.mcp.prompts ?? {}),
  },
  allowCallsWithoutModel: key.allowCallsWithoutModel,
});

const copyLists = (lists: Record<string, string[]>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(lists).map(([s, t]) => [s, [...t]]));

const DECIMAL = /^\d+(\.\d+)?$/;

/** '' → null (no limit); a number; or an error message. */
const parseNumber = (text: string): { value: number | null } | { error: string } => {
  const t = text.trim();
  if (t === '') return { value: null };
  if (!DECIMAL.test(t)) return { error: 'must be a number' };
  return { value: Number(t) };
};

const splitList = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Per-line problems of the IP allowlist text, checked as the user types. */
export const ipAllowlistIssues = (text: string): ApiErrorDetail[] => {
  const issues: ApiErrorDetail[] = [];
  const lines = text.split('\n');
  let index = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseCidr(line);
    if (!parsed.ok) issues.push({ field: `ipAllowlist.${index}`, message: `Line ${i + 1}: ${parsed.error}` });
    index += 1;
  });
  return issues;
};

/** The metadata text as an object, or why it is not one; checked as the user types. */
export const parseMetadata = (
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } => {
  if (text.trim() === '') return { ok: true, value: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${error instanceof Error ? error.message : 'parse error'}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'Must be a JSON object, e.g. {"team": "backend"}' };
  }
  const checked = MetadataSchema.safeParse(json);
  if (!checked.success) {
    const first = checked.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    return { ok: false, error: `${where}${first?.message ?? 'is not valid metadata'}` };
  }
  return { ok: true, value: checked.data };
};

/** The date input's `YYYY-MM-DD` as the end of that day in UTC (the zone every date is shown in). */
export const endOfDayUtc = (date: string): string => `${date}T23:59:59.999Z`;

export type KeyFormResult<B> = { ok: true; body: B } | { ok: false; issues: ApiErrorDetail[] };

interface BuildContext {
  /** Edit: the key as it is, so only a real owner change is sent. */
  current?: ApiKey;
  /** Admins may pick an owner; members' keys are always their own. */
  canChooseOwner: boolean;
}

/**
 * The request body for the form, checked with the same shared schema the API applies
 * (`CreateKeySchema` / `UpdateKeySchema`), so the user sees the API's rules before sending.
 * Issues name fields the way the API's 400 `details` do (`limits.requestsPerMinute`, `budget.limitUsd`…).
 */
export function buildKeyBody(
  values: KeyFormValues,
  ctx: { current: ApiKey; canChooseOwner: boolean },
): KeyFormResult<KeyUpdateBody>;
export function buildKeyBody(values: KeyFormValues, ctx: { canChooseOwner: boolean }): KeyFormResult<KeyBody>;
export function buildKeyBody(
  values: KeyFormValues,
  ctx: BuildContext,
): KeyFormResult<KeyBody | KeyUpdateBody> {
  const issues: ApiErrorDetail[] = [];
  const body: Record<string, unknown> = { name: values.name };

  if (ctx.canChooseOwner && values.ownerId !== '' && values.ownerId !== ctx.current?.ownerId) {
    body.ownerId = values.ownerId;
  }

  if (values.expiry === 'custom') {
    if (values.expiresOn === '') issues.push({ field: 'expiresAt', message: 'Pick a date' });
    else body.expiresAt = endOfDayUtc(values.expiresOn);
  } else if (values.expiry !== 'keep') {
    if (ctx.current && values.expiry === 'never') body.expiresAt = null;
    else body.expiresIn = values.expiry;
  }

  const limits: Record<string, number | null> = {};
  for (const field of ['requestsPerMinute', 'tokensPerMinute'] as const) {
    const parsed = parseNumber(values[field]);
    if ('error' in parsed) issues.push({ field: `limits.${field}`, message: parsed.error });
    else limits[field] = parsed.value;
  }
  body.limits = limits;

  const budget = parseNumber(values.budgetUsd);
  if ('error' in budget) issues.push({ field: 'budget.limitUsd', message: budget.error });
  else if (budget.value === null) body.budget = null;
  else {
    const thresholds = splitList(values.alertThresholds);
    const numbers = thresholds.map(Number);
    if (thresholds.some((t) => !/^\d+$/.test(t))) {
      issues.push({
        field: 'budget.alertThresholds',
        message: 'must be whole percentages, e.g. 50, 80, 100',
      });
    } else {
      const checked = AlertThresholdsSchema.safeParse(numbers);
      if (!checked.success) {
        issues.push({
          field: 'budget.alertThresholds',
          message: checked.error.issues[0]?.message ?? 'are not valid',
        });
      }
    }
    body.budget = { limitUsd: budget.value, period: values.budgetPeriod, alertThresholds: numbers };
  }

  if (values.providers.length === 0) {
    issues.push({
      field: 'allowedProviders',
      message: 'Choose at least one provider (all of them means no restriction)',
    });
  }
  body.allowedProviders = values.providers.length === PROVIDERS.length ? [] : [...values.providers];

  body.allowedModels = [...new Set([...values.models, ...splitList(values.otherModels)])];

  const ipIssues = ipAllowlistIssues(values.ipAllowlist);
  issues.push(...ipIssues);
  body.ipAllowlist = values.ipAllowlist
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

  const metadata = parseMetadata(values.metadata);
  if (!metadata.ok) issues.push({ field: 'metadata', message: metadata.error });
  else body.metadata = metadata.value;

  body.mcp = cleanMcpPolicy(values.mcp);
  // Always sent, so saving other fields keeps it (the API refuses only a member turning it on).
  body.allowCallsWithoutModel = values.allowCallsWithoutModel;

  const schema = ctx.current ? UpdateKeySchema : CreateKeySchema;
  const checked = schema.safeParse(body);
  if (!checked.success) {
    const allowedModels = body.allowedModels as string[];
    for (const issue of issuesToFields(checked.error)) {
      // One message per field: the form's own (clearer) check wins over the schema's for the same field.
      const overlaps = (f: string) =>
        f === issue.field || f.startsWith(`${issue.field}.`) || issue.field.startsWith(`${f}.`);
      if (issues.some((i) => overlaps(i.field))) continue;
      const model = /^allowedModels\.(\d+)$/.exec(issue.field);
      const mcpEntry = /^mcp\.(resources|prompts)\.(.+)\.(\d+)$/.exec(issue.field);
      const entry = mcpEntry
        ? (body.mcp as McpPolicy)[mcpEntry[1] as 'resources' | 'prompts'][mcpEntry[2] as string]?.[
            Number(mcpEntry[3])
          ]
        : undefined;
      const message = model
        ? `"${allowedModels[Number(model[1])]}" ${issue.message}`
        : entry !== undefined
          ? `"${entry}" ${issue.message}`
          : capitalize(issue.message);
      issues.push({ field: issue.field, message });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, body: body as KeyBody };
}

const capitalize = (s: string): string => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

/**
 * Lists belong to list modes only, and per-server lists (tools, resources, prompts) only to listed
 * servers (the API refuses the rest).
 */
export const cleanMcpPolicy = (mcp: McpPolicy): McpPolicy => {
  if (mcp.mode === 'allow_all' || mcp.mode === 'deny_all') {
    return { enabled: mcp.enabled, mode: mcp.mode, servers: [], tools: {}, resources: {}, prompts: {} };
  }
  const listed = (lists: Record<string, string[]> | undefined, lines = false) =>
    Object.fromEntries(
      Object.entries(lists ?? {})
        .filter(([server]) => mcp.servers.includes(server))
        // Resources and prompts are typed one per line: blank lines and surrounding spaces go.
        .map(([server, l]) => [server, lines ? l.map((x) => x.trim()).filter((x) => x !== '') : l]),
    );
  return {
    enabled: mcp.enabled,
    mode: mcp.mode,
    servers: [...mcp.servers],
    tools: listed(mcp.tools),
    resources: listed(mcp.resources, true),
    prompts: listed(mcp.prompts, true),
  };
};

/** The tab that holds a field, so an error there marks the tab. */
export const fieldTab = (field: string): KeyFormTab => {
  const root = field.split('.')[0] ?? '';
  if (
    root === 'allowedModels' ||
    root === 'ipAllowlist' ||
    root === 'metadata' ||
    root === 'allowCallsWithoutModel'
  )
    return 'advanced';
  if (root === 'mcp') return 'mcp';
  return 'basic';
};

/** The first message for a field or any field under it (`budget` finds `budget.limitUsd`). */
export const issueFor = (issues: readonly ApiErrorDetail[], ...fields: string[]): string | undefined =>
  issues.find((i) => fields.some((f) => i.field === f || i.field.startsWith(`${f}.`)))?.message;

/** Fields the form shows messages under; anything else is listed in the form's alert. */
export const SHOWN_FIELDS = [
  'name',
  'ownerId',
  'expiresAt',
  'expiresIn',
  'limits',
  'budget',
  'allowedProviders',
  'allowedModels',
  'ipAllowlist',
  'metadata',
  'mcp',
  'allowCallsWithoutModel',
] as const;
