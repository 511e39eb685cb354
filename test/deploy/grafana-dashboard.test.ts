/**
 * The Grafana dashboard asks only for what the daemon exports: every metric name in every panel query and
 * template variable is a series of a family on the daemon's /metrics (design.md §6 when the daemon cannot
 * start), every label in a matcher exists on that metric, every grouping label on some metric of the query;
 * and every query is valid PromQL (promtool, where installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exportedMetrics, seriesNames, type ExportedMetric } from './daemon-metrics.js';
import { promqlRefs, substituteGrafanaVariables } from './promql-names.js';
import { filesUnder, parseOne, DEPLOY } from './repo-files.js';

interface Target { expr?: string; refId: string; datasource?: { uid?: string } }
interface Panel { id: number; type: string; title: string; targets?: Target[]; panels?: Panel[]; datasource?: { uid?: string } }
interface Variable { name: string; type: string; definition?: string; query?: { query?: string } | string }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const dashboardFiles = filesUnder(join(DEPLOY, 'grafana', 'dashboards')).filter((f) => f.endsWith('.json'));

/** Every query of a dashboard, labelled with where it is. */
function queries(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const visit = (p: Panel): void => {
    for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel ${p.id} '${p.title}' ${t.refId}`, expr: t.expr });
    for (const c of p.panels ?? []) visit(c);
  };
  d.panels.forEach(visit);
  for (const v of d.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const lv = /^label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(q ?? '');
    // label_values(SELECTOR, LABEL) is Grafana's, not PromQL: check SELECTOR as a query and LABEL on it.
    if (lv) out.push({ where: `variable $${v.name}`, expr: `group by (${lv[2]}) (${lv[1]})` });
    else if (q) out.push({ where: `variable $${v.name}`, expr: q });
  }
  return out;
}

test('dashboards exist and every panel query uses the provisioned Prometheus datasource', () => {
  assert.ok(dashboardFiles.length > 0, 'no dashboard JSON under deploy/grafana/dashboards');
  const ds = parseOne<{ datasources: { uid: string; type: string }[] }>('deploy/grafana/provisioning/datasources/prometheus.yaml');
  const uids = new Set(ds.datasources.filter((d) => d.type === 'prometheus').map((d) => d.uid));
  for (const f of dashboardFiles) {
    const d = parseOne<Dashboard>(f);
    const ids = new Set<number>();
    const visit = (p: Panel): void => {
      assert.ok(!ids.has(p.id), `${f}: panel id ${p.id} used twice`);
      ids.add(p.id);
      for (const t of p.targets ?? []) assert.ok(uids.has(t.datasource?.uid ?? p.datasource?.uid ?? ''), `${f}: panel ${p.id} '${p.title}' is not on a provisioned datasource`);
      p.panels?.forEach(visit);
    };
    d.panels.forEach(visit);
    assert.ok(queries(d).length > 0, `${f}: no queries`);
  }
});

test('dashboard PromQL uses only metric and label names the daemon exports', async (t) => {
  const cat = await exportedMetrics();
  t.diagnostic(cat.note);
  if (cat.source === 'none') { t.skip(cat.note); return; }
  if (cat.source !== 'daemon') process.stdout.write(`# note: ${cat.note}\n`);
  const bySeries = new Map<string, ExportedMetric>();
  for (const m of cat.metrics.values()) for (const s of seriesNames(m)) bySeries.set(s, m);
  // The dashboard must show what issue 7 asks for: per action, interface, program, CPU; drops, redirect
  // errors, exceptions, program run time.
  const used = new Set<string>();
  const grouped = new Set<string>();
  for (const f of dashboardFiles) {
    for (const { where, expr } of queries(parseOne<Dashboard>(f))) {
      const refs = promqlRefs(expr);
      assert.ok(refs.metrics.size > 0, `${f} ${where}: no metric in '${expr}'`);
      const families: ExportedMetric[] = [];
      for (const name of refs.metrics) {
        const fam = bySeries.get(name);
        assert.ok(fam, `${f} ${where}: '${name}' is not exported (exported: ${[...bySeries.keys()].join(', ')})`);
        families.push(fam);
        used.add(fam.name);
        for (const l of refs.matcherLabels.get(name) ?? []) {
          assert.ok(l === '__name__' || fam.labels.has(l), `${f} ${where}: ${name} has no label '${l}' (has ${[...fam.labels].join(', ')})`);
        }
      }
      for (const l of refs.groupingLabels) {
        grouped.add(l);
        assert.ok(families.some((fam) => fam.labels.has(l)), `${f} ${where}: no metric of '${expr}' has label '${l}'`);
      }
    }
  }
  for (const m of ['xdpjit_packets_total', 'xdpjit_bytes_total', 'xdpjit_redirect_errors_total', 'xdpjit_exceptions_total', 'xdpjit_program_run_seconds_total']) {
    assert.ok(used.has(m), `no panel shows ${m}`);
  }
  for (const l of ['action', 'interface', 'program', 'cpu', 'reason']) assert.ok(grouped.has(l), `no panel breaks down by ${l}`);
});

test('dashboard queries are valid PromQL (promtool check rules)', (t) => {
  let promtool = true;
  try { execFileSync('promtool', ['--version'], { stdio: 'ignore' }); } catch { promtool = false; }
  if (!promtool) { t.skip('promtool not installed (scripts/install-deps.sh installs prometheus)'); return; }
  const rules = dashboardFiles.flatMap((f) => queries(parseOne<Dashboard>(f)).map((q, i) => ({ record: `dashboard:query_${i}`, expr: substituteGrafanaVariables(q.expr) })));
  const dir = mkdtempSync(join(tmpdir(), 'xdpjit-promql-'));
  try {
    const file = join(dir, 'rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    execFileSync('promtool', ['check', 'rules', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    assert.fail(`promtool rejected a dashboard query: ${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promqlRefs separates metrics, matcher labels and grouping labels', () => {
  const r = promqlRefs('sum by (program) (rate(a_total{interface=~"$x",cpu!="1"}[$__rate_interval])) / clamp_min(sum(b_sum), 1e-9) * 8');
  assert.deepEqual([...r.metrics].sort(), ['a_total', 'b_sum']);
  assert.deepEqual([...r.matcherLabels.get('a_total')!].sort(), ['cpu', 'interface']);
  assert.deepEqual([...r.groupingLabels], ['program']);
  assert.equal(substituteGrafanaVariables('rate(x{a=~"$interface"}[$__rate_interval])'), 'rate(x{a=~".*"}[1m])');
});
