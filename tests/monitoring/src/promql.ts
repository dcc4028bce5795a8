/**
 * The vector selectors of a PromQL expression (`metric{label="x"}`, `{__name__=~"…"}`), found by
 * a small lexer: strings, durations, numbers, function calls and grouping label lists are
 * skipped. Prometheus 2.53 has no parse API, and this is all the live check needs: a selector
 * that returns nothing names a metric (or label value) that nothing exports.
 */
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', 'start', 'end']);
/** Aggregations may put their grouping first: `sum by (job) (…)`. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

export interface Selector {
  /** The selector as written, e.g. `up{job="api"}`. */
  text: string;
  /** The metric name, or undefined for a `{__name__=…}`-only selector. */
  metric: string | undefined;
}

export function vectorSelectors(expr: string): Selector[] {
  const selectors: Selector[] = [];
  let i = 0;

  const skipString = (at: number): number => {
    const quote = expr[at];
    let j = at + 1;
    while (j < expr.length && expr[j] !== quote) j += expr[j] === '\\' && quote !== '`' ? 2 : 1;
    return j + 1;
  };
  const skipBalanced = (at: number, open: string, close: string): number => {
    let depth = 0;
    let j = at;
    while (j < expr.length) {
      const c = expr[j]!;
      if (c === '"' || c === "'" || c === '`') {
        j = skipString(j);
        continue;
      }
      if (c === open) depth++;
      if (c === close && --depth === 0) return j + 1;
      j++;
    }
    throw new Error(`unbalanced ${open}${close} in: ${expr}`);
  };
  const skipSpace = (at: number): number => {
    let j = at;
    while (j < expr.length && /\s/.test(expr[j]!)) j++;
    return j;
  };

  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(i);
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '[') {
      i = skipBalanced(i, '[', ']'); // range or subquery: durations only
    } else if (/[0-9.]/.test(c)) {
      while (i < expr.length && /[0-9a-zA-Z_.]/.test(expr[i]!)) i++; // 0.99, 5m, 1h30m, 1e3, 0x1f
    } else if (c === '{') {
      const end = skipBalanced(i, '{', '}');
      selectors.push({ text: expr.slice(i, end), metric: undefined });
      i = end;
    } else if (/[a-zA-Z_:]/.test(c)) {
      let j = i + 1;
      while (j < expr.length && /[a-zA-Z0-9_:]/.test(expr[j]!)) j++;
      const word = expr.slice(i, j);
      const next = skipSpace(j);
      if (GROUPING.has(word.toLowerCase()) && expr[next] === '(') {
        i = skipBalanced(next, '(', ')');
      } else if (expr[next] === '(' || KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word)) {
        i = j; // a function or aggregation (its arguments are scanned next), or an operator
      } else if (expr[next] === '{') {
        const end = skipBalanced(next, '{', '}');
        selectors.push({ text: word + expr.slice(next, end), metric: word });
        i = end;
      } else {
        selectors.push({ text: word, metric: word });
        i = j;
      }
    } else {
      i++;
    }
  }
  return selectors;
}
