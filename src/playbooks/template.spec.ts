import type { PlaybookContext } from './playbook';
import { parseTemplate, renderInputs, templatePaths, templateProblems } from './template';

const ctx: PlaybookContext = {
  incident: {
    id: 'i-1',
    severity: 'critical',
    priority: 'P1',
    status: 'open',
    types: ['data_exfiltration', 'c2_beacon'],
    source_ip: '10.0.0.5',
    user: null,
    host: 'db-1',
    alert_count: 3,
    opening_rule: 'critical',
    correlation_key: 'k',
    storm: false,
  },
  alert: {
    id: 'a-1',
    source: 'suricata',
    type: 'data_exfiltration',
    severity: 'critical',
    title: 'Large upload {{ incident.id }}',
    source_ip: '10.0.0.5',
    destination_ip: null,
    user: null,
    host: 'db-1',
  },
  steps: { evidence: { status: 'succeeded', output: { bundle_id: 'b-9', items: 4 } } },
};

describe(renderInputs.name, () => {
  it('gives the raw value for a string that is exactly one template', () => {
    expect(
      renderInputs(
        {
          ip: '{{ incident.source_ip }}',
          types: '{{incident.types}}',
          count: '{{ incident.alert_count }}',
          dest: '{{ alert.destination_ip }}',
        },
        ctx,
      ),
    ).toEqual({ ok: true, value: { ip: '10.0.0.5', types: ['data_exfiltration', 'c2_beacon'], count: 3, dest: null } });
  });

  it('interpolates text around templates, lists joined', () => {
    expect(renderInputs({ message: 'Incident {{ incident.id }} ({{ incident.types }}), {{ incident.alert_count }} alerts' }, ctx)).toEqual({
      ok: true,
      value: { message: 'Incident i-1 (data_exfiltration, c2_beacon), 3 alerts' },
    });
  });

  it('renders inside nested objects and lists and keeps other values', () => {
    expect(renderInputs({ window: 3600, targets: [{ host: '{{ incident.host }}' }, 'x'], flag: true }, ctx)).toEqual({
      ok: true,
      value: { window: 3600, targets: [{ host: 'db-1' }, 'x'], flag: true },
    });
  });

  it('names the field and the path when an interpolated value is null', () => {
    expect(renderInputs({ meta: { note: 'to {{ alert.destination_ip }}' } }, ctx)).toEqual({
      ok: false,
      error: 'with.meta.note: alert.destination_ip is null',
    });
  });

  it('names the field and the path when a required input renders null', () => {
    expect(renderInputs({ ip: '{{ alert.destination_ip }}' }, ctx, { required: ['ip'] })).toEqual({
      ok: false,
      error: 'with.ip: alert.destination_ip is null',
    });
    expect(renderInputs({}, ctx, { required: ['ip'] })).toEqual({ ok: false, error: 'with.ip is missing' });
  });

  it('reads step outputs, and leaves deferred paths as templates', () => {
    expect(renderInputs({ id: '{{ steps.evidence.output.bundle_id }}' }, ctx)).toEqual({ ok: true, value: { id: 'b-9' } });
    expect(
      renderInputs({ id: '{{ steps.later.output.x }}', note: 'see {{ steps.later.output.x }}' }, ctx, {
        required: ['id'],
        deferred: (p) => p.startsWith('steps.later.'),
      }),
    ).toEqual({ ok: true, value: { id: '{{ steps.later.output.x }}', note: 'see {{ steps.later.output.x }}' } });
  });

  it('never expands a template that arrives inside a value', () => {
    expect(renderInputs({ title: '{{ alert.title }}', text: 'T: {{ alert.title }}' }, ctx)).toEqual({
      ok: true,
      value: { title: 'Large upload {{ incident.id }}', text: 'T: Large upload {{ incident.id }}' },
    });
  });

  it('reports a malformed template', () => {
    expect(renderInputs({ ip: '{{ incident.source_ip' }, ctx)).toEqual({ ok: false, error: 'with.ip: unclosed "{{" at character 1' });
  });
});

describe(templatePaths.name, () => {
  it('lists every template path with its field', () => {
    expect(templatePaths({ ip: '{{ incident.source_ip }}', list: ['a {{ alert.user }} {{ steps.x.output.y }}'], n: 1 })).toEqual([
      { field: 'with.ip', keys: ['with', 'ip'], path: 'incident.source_ip' },
      { field: 'with.list[0]', keys: ['with', 'list', 0], path: 'alert.user' },
      { field: 'with.list[0]', keys: ['with', 'list', 0], path: 'steps.x.output.y' },
    ]);
  });
});

describe(templateProblems.name, () => {
  it('names the field of each malformed template', () => {
    expect(templateProblems({ a: 'fine {{ incident.id }}', b: { c: '{{ not a path }}' }, d: '{{ x' })).toEqual([
      { field: 'with.b.c', keys: ['with', 'b', 'c'], message: '"{{ not a path }}" must hold a path such as incident.source_ip' },
      { field: 'with.d', keys: ['with', 'd'], message: 'unclosed "{{" at character 1' },
    ]);
  });
});

describe(parseTemplate.name, () => {
  it('splits text and paths', () => {
    expect(parseTemplate('a{{b.c}}d')).toEqual([{ text: 'a' }, { path: 'b.c' }, { text: 'd' }]);
  });
});
