import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createSampler } from '../src/sampler.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: TRACE_ID,
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
});

const decide = (
  sampler: ReturnType<typeof createSampler>,
  name: string,
  kind: SpanKind,
  context = ROOT_CONTEXT,
) => sampler.shouldSample(context, TRACE_ID, name, kind, {}, []).decision;

describe('createSampler', () => {
  const sampler = createSampler({ sampler: undefined, samplerArg: undefined });

  it('drops BullMQ housekeeping that starts a trace of its own', () => {
    for (const name of [
      'moveStalledJobsToWait ingest-document',
      'startStalledCheckTimer maintenance',
      'close agent-run',
    ]) {
      expect(decide(sampler, name, SpanKind.INTERNAL), name).toBe(SamplingDecision.NOT_RECORD);
    }
  });

  it('keeps jobs enqueued and processed, even as roots, and everything inside a trace', () => {
    expect(decide(sampler, 'add ingest-document.ingest-document', SpanKind.PRODUCER)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(decide(sampler, 'process maintenance', SpanKind.CONSUMER)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(decide(sampler, 'close ingest-document', SpanKind.INTERNAL, sampledParent)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(decide(sampler, 'GET /v1/documents', SpanKind.SERVER)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('builds the sampler OTEL_TRACES_SAMPLER names', () => {
    const off = createSampler({ sampler: 'parentbased_always_off', samplerArg: undefined });
    expect(decide(off, 'GET /', SpanKind.SERVER)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(off, 'GET /', SpanKind.SERVER, sampledParent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    const none = createSampler({ sampler: 'traceidratio', samplerArg: 0 });
    expect(decide(none, 'GET /', SpanKind.SERVER)).toBe(SamplingDecision.NOT_RECORD);
    expect(createSampler({ sampler: 'always_on', samplerArg: undefined }).toString()).toContain(
      'AlwaysOnSampler',
    );
  });
});
