/**
 * The names a PromQL expression refers to, without a full PromQL parser: enough to check that a dashboard
 * asks only for series the daemon exports. Grammar facts used (Prometheus docs, "Querying basics"): an
 * identifier followed by `(` is a function or aggregation; identifiers inside `by (...)` / `without (...)`
 * and before a matcher operator inside `{...}` are label names; `on`/`ignoring`/`group_*` lists too;
 * everything else that is not a keyword is a metric name.
 */
export interface PromqlRefs {
  readonly metrics: ReadonlySet<string>;
  /** Label names used in a selector's matchers, per metric. */
  readonly matcherLabels: ReadonlyMap<string, ReadonlySet<string>>;
  /** Label names in by/without/on/ignoring/group_left/group_right lists. */
  readonly groupingLabels: ReadonlySet<string>;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);
/** Aggregation operators may be followed by `by (...)` before their parenthesis, so `(` does not always follow. */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Replaces Grafana's template variables with values PromQL accepts, for syntax checks (promtool). */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_)?interval\b/g, '1m')
    .replace(/\$__range\b/g, '1h')
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*(?::[a-z]+)?\}?/g, '.*');
}

export function promqlRefs(expr: string): PromqlRefs {
  // String literals carry label values and regexes: blank them so they cannot look like names.
  const src = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""').replace(/\[[^\]]*\]/g, '');
  const metrics = new Set<string>();
  const matcherLabels = new Map<string, Set<string>>();
  const groupingLabels = new Set<string>();
  const ident = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/[0-9.]/.test(c) && !/[a-zA-Z_]/.test(src[i - 1] ?? '')) {
      // number literal (1e-9, 0.95, 8): skip digits, exponent and dots.
      const m = /^[0-9.]+(?:e[+-]?[0-9]+)?/i.exec(src.slice(i))!;
      i += m[0].length;
      continue;
    }
    ident.lastIndex = i;
    const m = ident.exec(src);
    if (!m) { i++; continue; }
    const name = m[0];
    i += name.length;
    const rest = src.slice(i).trimStart();
    if (GROUPING.has(name)) {
      const list = /^\(([^)]*)\)/.exec(rest);
      if (list) {
        for (const l of list[1]!.split(',').map((s) => s.trim()).filter(Boolean)) groupingLabels.add(l);
        i = src.length - rest.length + list[0].length;
      }
      continue;
    }
    if (KEYWORDS.has(name.toLowerCase()) || AGGREGATIONS.has(name) || rest.startsWith('(')) continue;
    metrics.add(name);
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      const body = rest.slice(1, close);
      const labels = matcherLabels.get(name) ?? new Set<string>();
      for (const l of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]!);
      matcherLabels.set(name, labels);
      i = src.length - rest.length + close + 1;
    }
  }
  return { metrics, matcherLabels, groupingLabels };
}
