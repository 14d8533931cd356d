import { DEFAULT_MAX_OUTPUT_TOKENS } from '../pipeline/budget.js';
import type { Operation, ProviderConfig } from '../providers/index.js';
import { chatRequestToMessages } from './chat-request-to-messages.js';
import type { Obj, TranslatedRequest } from './common.js';
import { messagesRequestToChat } from './messages-request-to-chat.js';

export type { ResponseTranslator, TranslatedRequest } from './common.js';
export { withoutStreamOptions } from './messages-request-to-chat.js';

/** A /v1 call in one wire format to a provider that speaks the other. */
export interface Translation {
  /** The operation the provider is called with. */
  upstreamOp: Operation;
  /** The client's body in the provider's format (without `model`), and how its answer comes back. */
  request(json: Obj, target: { provider: ProviderConfig; streamUsage: boolean }): TranslatedRequest;
}

const CHAT_TO_MESSAGES: Translation = {
  upstreamOp: 'messages',
  request: (json) => chatRequestToMessages(json, { defaultMaxTokens: DEFAULT_MAX_OUTPUT_TOKENS }),
};

const MESSAGES_TO_CHAT: Translation = {
  upstreamOp: 'chat',
  request: (json, { provider, streamUsage }) =>
    messagesRequestToChat(json, {
      maxTokensField: provider.chatOutputCap ?? 'max_tokens',
      streamUsage: streamUsage && provider.streamUsageOption,
    }),
};

/**
 * How a /v1 operation reaches a provider that does not serve it natively: chat completions on a
 * Messages-format provider and messages on an OpenAI-format one; null when it cannot (embeddings).
 */
export function translationFor(op: Operation, provider: ProviderConfig): Translation | null {
  if (op === 'chat' && provider.operations.includes('messages')) return CHAT_TO_MESSAGES;
  if (op === 'messages' && provider.operations.includes('chat')) return MESSAGES_TO_CHAT;
  return null;
}
