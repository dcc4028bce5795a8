import { SpanKind, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './config.ts';

/**
 * BullMQ's own upkeep, traced as root spans by its telemetry option every few seconds per worker
 * (the stalled-job check, lock renewal, polling, close). None of it belongs to a request or a
 * job, and kept it would outnumber the real traces.
 */
const BULLMQ_HOUSEKEEPING =
  /^(startStalledCheckTimer|moveStalledJobsToWait|extendLocks|getNextJob|rateLimit|trimEvents|promoteJobs|pause|resume|close) /;

/**
 * The sampler named by `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, as the SDK would build
 * it (default `parentbased_always_on`), minus BullMQ housekeeping roots. Passing a sampler to the
 * SDK replaces its own reading of those variables, hence it is rebuilt here from the same values.
 */
export function createSampler(config: Pick<TelemetryConfig, 'sampler' | 'samplerArg'>): Sampler {
  return new WithoutQueueHousekeeping(samplerFromEnv(config.sampler, config.samplerArg));
}

function samplerFromEnv(name: string | undefined, arg: number | undefined): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(arg !== undefined && arg >= 0 && arg <= 1 ? arg : 1);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

class WithoutQueueHousekeeping implements Sampler {
  private readonly delegate: Sampler;

  constructor(delegate: Sampler) {
    this.delegate = delegate;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const isRoot = !trace.getSpanContext(context);
    if (isRoot && spanKind === SpanKind.INTERNAL && BULLMQ_HOUSEKEEPING.test(spanName)) {
      return { decision: SamplingDecision.NOT_RECORD };
    }
    return this.delegate.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `WithoutQueueHousekeeping{${this.delegate.toString()}}`;
  }
}
