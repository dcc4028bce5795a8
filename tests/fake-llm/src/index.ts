export { DEFAULT_EMBEDDING_DIMENSIONS, fakeEmbedding, type EmbeddingRequest } from './embeddings.ts';
export { ruleBasedResponder, script, textOf } from './responders.ts';
export { startFakeLlm, type FakeLlm, type FakeLlmOptions } from './server.ts';
export type { ChatMessage, ChatRequest, FakeReply, FakeToolCall, Responder } from './types.ts';
