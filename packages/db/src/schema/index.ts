export * from './chunks.ts';
export * from './documents.ts';
export * from './tasks.ts';
export * from './conversations.ts';
export * from './messages.ts';
export * from './api-keys.ts';
export * from './owner-quotas.ts';
