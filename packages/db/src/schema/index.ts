export * from './chunks.ts';
export * from './documents.ts';
export * from './tasks.ts';
export * from './conversations.ts';
export * from './messages.ts';
export * from './runs.ts';
export * from './run-events.ts';
export * from './run-tool-calls.ts';
