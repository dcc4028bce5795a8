/** The parts of an OpenAI chat-completions request the fake looks at. */
export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: ChatMessage[];
  tools?: { type: 'function'; function: { name: string; description?: string; parameters?: unknown } }[];
  max_tokens?: number;
  temperature?: number;
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null | { type: string; text?: string }[];
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface FakeToolCall {
  name: string;
  arguments: unknown;
}

/** What the fake answers to one request. */
export type FakeReply =
  | { text: string; delayMs?: number; chunkDelayMs?: number }
  | { toolCalls: FakeToolCall[]; delayMs?: number }
  | { error: { status: number; message: string }; delayMs?: number }
  /** Accept the request and never answer: for timeouts and client disconnects. */
  | { hang: true };

export type Responder = (request: ChatRequest, index: number) => FakeReply | Promise<FakeReply>;
