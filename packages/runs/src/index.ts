export { publishRunCancel, subscribeRunCancels } from './cancel-bus.ts';
export { endRun, type EndRunOptions } from './end-run.ts';
export { readStoredEvents, runProgress, storeEvents } from './event-log.ts';
export {
  endsExecution,
  isTerminalEvent,
  runErrorCodes,
  runEventTypes,
  storedEvent,
  terminalEventTypes,
  type RunErrorCode,
  type RunEvent,
  type RunEventInput,
  type RunEventType,
} from './events.ts';
export { runCancelChannel, runEventsChannel, runStreamKey, TOOL_IDEMPOTENCY_META_KEY } from './keys.ts';
export {
  appendLive,
  DEFAULT_LIVE_STREAM_BOUNDS,
  lastLiveSeq,
  readLive,
  type LiveStreamBounds,
} from './live-stream.ts';
export { createRunFeed, type RunFeed, type RunFeedOptions } from './run-feed.ts';
export { createWaker } from './waker.ts';
