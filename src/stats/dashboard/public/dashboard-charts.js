/* global self, document, Chart, WardenFormat */
// The dashboard's charts (Chart.js, served by Warden from its npm package). Labels are drawn on
// canvas, never as HTML. Served joined with dashboard.js, as one file.
(function (root) {
  'use strict';

  const SEVERITIES = ['low', 'medium', 'high', 'critical'];
  const COLORS = {
    low: '#7f8fa6',
    medium: '#f2c94c',
    high: '#f2994a',
    critical: '#eb5757',
    accent: '#4ea1ff',
    green: '#6fcf97',
    grid: '#2a3441',
    text: '#8b97a6',
  };

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.color = COLORS.text;
  Chart.defaults.borderColor = COLORS.grid;

  let charts = {};

  /** Labels are drawn on canvas (no HTML), but a 1,000-character label would swallow the axis. */
  const short = (label) => {
    const s = String(label);
    return s.length > 32 ? s.slice(0, 31) + '\u2026' : s;
  };

  function chart(id, config) {
    const existing = charts[id];
    if (existing) {
      existing.data.labels = config.data.labels;
      config.data.datasets.forEach((ds, i) => {
        if (existing.data.datasets[i]) existing.data.datasets[i].data = ds.data;
        else existing.data.datasets.push(ds);
      });
      existing.update('none');
    } else {
      charts[id] = new Chart(document.getElementById(id), config);
    }
    // A line of zeros is data (a 0s MTTA); bars of zeros are not.
    const shown = config.type === 'line' ? (v) => typeof v === 'number' : (v) => typeof v === 'number' && v > 0;
    document.getElementById(id).closest('figure').querySelector('.empty').hidden = config.data.datasets.some((ds) => ds.data.some(shown));
  }

  function destroy() {
    for (const c of Object.values(charts)) c.destroy();
    charts = {};
  }

  // Category axis ticks show the (shortened) label; value axes keep their numbers.
  const tickLabel = (axis, options) =>
    function (value) {
      const categoryAxis = options && options.indexAxis === 'y' ? 'y' : 'x';
      return axis === categoryAxis ? short(this.getLabelForValue(value)) : value;
    };

  const bar = (labels, datasets, options) => ({
    type: 'bar',
    data: { labels, datasets },
    options: Object.assign(
      {
        plugins: { legend: { display: datasets.length > 1 } },
        scales: {
          x: { ticks: { callback: tickLabel('x', options) } },
          y: { beginAtZero: true, ticks: { callback: tickLabel('y', options) } },
        },
      },
      options || {},
    ),
  });

  const entries = (record) => Object.entries(record || {}).sort((a, b) => b[1] - a[1]);

  /** Every chart from one /v1/stats answer; `long`: the range is over a day, so hours are labelled with their date. */
  function render(stats, long) {
    const hours = (stats.series && stats.series.alertsByHour) || [];
    chart('chart-alerts', {
      type: 'bar',
      data: {
        labels: hours.map((h) => {
          const d = new Date(h.at);
          return long
            ? d.toLocaleDateString('en-GB', { day: '2-digit', month: '2-digit' }) + ' ' + d.toLocaleTimeString('en-GB', { hour: '2-digit' })
            : d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
        }),
        datasets: SEVERITIES.map((s) => ({ label: s, data: hours.map((h) => h[s] || 0), backgroundColor: COLORS[s], stack: 'alerts' })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });

    const types = entries(stats.incidents && stats.incidents.byType);
    chart(
      'chart-types',
      bar(
        types.map((t) => t[0]),
        [{ label: 'incidents', data: types.map((t) => t[1]), backgroundColor: COLORS.accent }],
        { indexAxis: 'y' },
      ),
    );

    const ips = stats.topSourceIps || [];
    chart(
      'chart-ips',
      bar(
        ips.map((i) => i.ip),
        [{ label: 'alerts', data: ips.map((i) => i.alerts), backgroundColor: COLORS.high }],
        { indexAxis: 'y' },
      ),
    );

    const days = (stats.series && stats.series.responseByDay) || [];
    chart('chart-response', {
      type: 'line',
      data: {
        labels: days.map((d) => d.day),
        datasets: [
          {
            label: 'MTTA p50',
            data: days.map((d) => d.mttaP50Seconds),
            borderColor: COLORS.accent,
            backgroundColor: COLORS.accent,
          },
          { label: 'MTTR p50', data: days.map((d) => d.mttrP50Seconds), borderColor: COLORS.green, backgroundColor: COLORS.green },
        ],
      },
      options: {
        // At least a minute tall, so a series of near-zero times does not label every tick 0s.
        scales: { y: { beginAtZero: true, suggestedMax: 60, ticks: { callback: (v) => WardenFormat.duration(v) } } },
        plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + WardenFormat.duration(c.parsed.y) } } },
      },
    });

    const analysts = (stats.load && stats.load.analysts) || [];
    chart(
      'chart-load',
      bar(
        analysts.map((a) => a.name),
        [
          { label: 'open', data: analysts.map((a) => a.open), backgroundColor: COLORS.high },
          { label: 'capacity', data: analysts.map((a) => a.capacity), backgroundColor: COLORS.grid },
        ],
      ),
    );

    const outcomes = entries(stats.playbooks && stats.playbooks.runsByOutcome);
    chart(
      'chart-playbooks',
      bar(
        outcomes.map((o) => o[0]),
        [{ label: 'runs', data: outcomes.map((o) => o[1]), backgroundColor: COLORS.green }],
      ),
    );

    const channels = entries(stats.delivery && stats.delivery.failedNoticesByChannel);
    chart(
      'chart-notices',
      bar(
        channels.map((c) => c[0]),
        [{ label: 'failed', data: channels.map((c) => c[1]), backgroundColor: COLORS.critical }],
      ),
    );
  }

  root.WardenCharts = { render, destroy };
})(typeof self !== 'undefined' ? self : globalThis);
