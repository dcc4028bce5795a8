/**
 * What of an error reaches a log line. pino's standard serializer copies every enumerable
 * property, and the errors this stack meets carry what must never be logged: the AI SDK's
 * APICallError holds the whole prompt (`requestBodyValues`: system prompt, conversation, tool
 * results), the provider's raw answer (`responseBody`, `data`: often echoing a key fragment) and
 * the URL (Google-style `?key=`); drizzle's DrizzleQueryError holds the statement's parameters
 * (document text, titles, owner ids) in `params` and in its message; a Postgres error's `detail`
 * quotes row values. So the serializer is an allowlist: the error's type, its message and stack
 * scrubbed of credential-shaped strings, the fields that say what kind of failure it was, and the
 * same for its cause chain — the cause stays, the content goes.
 */

/** Properties safe to log as they are: they classify a failure and hold no user data. */
const SAFE_FIELDS = [
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'statusCode',
  'status',
  'isRetryable',
  'reason',
  // Postgres: where and what kind, not the values (`detail`, `where` quote them).
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'constraint',
] as const;

const MAX_MESSAGE = 1_000;
const MAX_DEPTH = 5;
const REDACTED = '[redacted]';

/** Credential-shaped substrings: API keys by their vendors' prefixes, bearer tokens, key-ish query parameters. */
const CREDENTIALS: [RegExp, string][] = [
  [/\b(?:sk|pk|rk|ak)-[A-Za-z0-9_*.-]{6,}/g, REDACTED],
  [/\bsk_(?:live|test)_[A-Za-z0-9]{6,}/g, REDACTED],
  [/\bAIza[A-Za-z0-9_-]{10,}/g, REDACTED],
  [/\b(?:ghp|gho|ghs|glpat|xox[abprs])[-_][A-Za-z0-9_-]{6,}/g, REDACTED],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [
    /([?&;](?:key|api[-_]?key|token|access[-_]?token|secret|sig|signature|password)=)[^&\s"']+/gi,
    `$1${REDACTED}`,
  ],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
];

/** `text` without credential-shaped substrings, and bounded. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of CREDENTIALS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed.length > MAX_MESSAGE ? `${scrubbed.slice(0, MAX_MESSAGE)}…` : scrubbed;
}

/**
 * An error's message fit to be shown or stored where its reader is not the operator (a task's
 * `error`): a query's parameters dropped, credentials scrubbed, bounded.
 */
export function safeErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return scrubSecrets(String(error));
  return scrubSecrets(withoutParameters(error));
}

function withoutParameters(error: Error): string {
  const params = (error as { params?: unknown }).params;
  if (!Array.isArray(params)) return error.message;
  // drizzle: "Failed query: <sql>\nparams: <values>"
  const cut = error.message.indexOf('\nparams:');
  const head = cut === -1 ? error.message : error.message.slice(0, cut);
  return `${head}\nparams: ${params.length} redacted`;
}

/** pino's `err` serializer: the cause of a failure, without the data it was about. */
export function serializeError(value: unknown): unknown {
  if (value instanceof Error) return serialize(value, 0);
  if (typeof value === 'string') return scrubSecrets(value);
  return value;
}

function serialize(error: Error, depth: number): Record<string, unknown> {
  const message = safeErrorMessage(error);
  const frames = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
  const out: Record<string, unknown> = {
    type: error.name || error.constructor.name,
    message,
    stack: [`${error.name}: ${message}`, ...frames].join('\n'),
  };
  const fields = error as unknown as Record<string, unknown>;
  for (const name of SAFE_FIELDS) {
    const field = fields[name];
    if (['string', 'number', 'boolean'].includes(typeof field)) {
      out[name] = typeof field === 'string' ? scrubSecrets(field) : field;
    }
  }
  if (typeof fields.url === 'string') out.url = withoutQuery(fields.url);
  if (typeof fields.query === 'string' && Array.isArray(fields.params)) {
    out.query = fields.query;
    out.paramCount = fields.params.length;
  }
  if (depth >= MAX_DEPTH) return out;
  // The AI SDK's RetryError: every attempt failed; the last one says why.
  if (fields.lastError instanceof Error) out.lastError = serialize(fields.lastError, depth + 1);
  if (Array.isArray(fields.errors)) {
    out.attempts = fields.errors.length;
    if (error instanceof AggregateError) {
      out.errors = fields.errors
        .slice(0, 5)
        .map((inner) => (inner instanceof Error ? serialize(inner, depth + 1) : scrubSecrets(String(inner))));
    }
  }
  const cause: unknown = error.cause;
  if (cause instanceof Error) out.cause = serialize(cause, depth + 1);
  else if (typeof cause === 'string') out.cause = scrubSecrets(cause);
  else if (cause !== undefined) out.cause = scrubSecrets(describe(cause));
  return out;
}

/** A non-Error cause, as text (a circular object cannot be stringified: its type will do). */
function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return scrubSecrets(url.split('?')[0] ?? '');
  }
}
