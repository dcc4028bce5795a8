export * from './chunks.ts';
export * from './documents.ts';
export * from './tasks.ts';
