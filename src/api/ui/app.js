/* global document, window, fetch, URLSearchParams, history, sessionStorage */
/**
 * The topology page: the map of one environment drawn from `topology` (live, or at an hour of the
 * past), what changed since an earlier hour from `topologyDiff` highlighted on it, a detail panel
 * from `component`, all asked of the API's own /graphql. Plain ES module, no build step; Cytoscape is
 * served from node_modules by the API.
 */
import cytoscape from '/ui/vendor/cytoscape.esm.min.mjs';

const STYLE_BY_KIND = {
  SERVICE: { shape: 'round-rectangle', color: '#2f80ed' },
  DATABASE: { shape: 'barrel', color: '#f2994a' },
  MESSAGING_DESTINATION: { shape: 'rhomboid', color: '#9b51e0' },
  EXTERNAL: { shape: 'hexagon', color: '#828282' },
};

/** Edge health: the error rate of the calls seen on the edge. */
export function healthColor(calls, errors) {
  if (calls === 0) return '#bdbdbd';
  const rate = errors / calls;
  if (rate > 0.05) return '#eb5757';
  if (rate >= 0.01) return '#f2c94c';
  return '#27ae60';
}

const ENVIRONMENTS = `query Environments { environments { name } }`;

const TOPOLOGY = `query Topology($environment: String, $at: DateTime) {
  topology(environment: $environment, at: $at) {
    nodes { id name kind environment }
    edges { from { id } to { id } calls errors protocols }
  }
}`;

const DIFF = `query Diff($environment: String, $from: DateTime!, $to: DateTime!) {
  topologyDiff(environment: $environment, from: $from, to: $to) {
    added { from { id } to { id } }
    removed { from { id name kind environment } to { id name kind environment } calls errors }
    addedComponents { id }
    removedComponents { id name kind environment }
  }
}`;

const HOUR_MS = 3_600_000;

const DETAIL = `query Detail($name: String!, $environment: String, $kind: ComponentKind) {
  component(name: $name, environment: $environment, kind: $kind) {
    name kind environment
    ... on Service { namespace version libraries { name version } }
    ... on Database { system address }
    ... on MessagingDestination { system }
    operations { name kind calls errors }
    dependencies(depth: 1) { component { name kind } calls errors }
    dependents(depth: 3) { depth component { name kind } calls }
  }
}`;

const TOKEN_KEY = 'topograph-token';

/** When the API asks for a bearer token (auth on), ask the user once per tab and keep it for the session. */
async function gql(query, variables, retried = false) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  if ((res.status === 401 || res.status === 403) && !retried) {
    const entered = window.prompt('This Topograph needs a token with the read scope:');
    if (entered) {
      sessionStorage.setItem(TOKEN_KEY, entered.trim());
      return gql(query, variables, true);
    }
  }
  const body = await res.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

const $ = (id) => document.getElementById(id);

/** An element with text content; never innerHTML, since every name comes from someone's spans. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function section(title, items, render) {
  const frag = document.createDocumentFragment();
  frag.append(el('h3', `${title} (${items.length})`));
  const ul = el('ul');
  if (items.length === 0) ul.append(el('li', 'none', 'hint'));
  for (const item of items) ul.append(render(item));
  frag.append(ul);
  return frag;
}

function row(left, right, rightClass) {
  const li = el('li');
  li.append(left instanceof window.Node ? left : el('span', left), el('span', right, rightClass));
  return li;
}

function named(component) {
  const span = el('span', component.name);
  span.append(' ', el('span', component.kind.toLowerCase().replace('_', ' '), 'kind'));
  return span;
}

async function showDetail(node) {
  const panel = $('detail');
  panel.replaceChildren(el('p', `Loading ${node.name}…`, 'hint'));
  const data = await gql(DETAIL, { name: node.name, environment: node.environment, kind: node.kind });
  const c = data.component;
  if (!c) {
    panel.replaceChildren(el('p', `${node.name} is no longer in the live window.`, 'hint'));
    return;
  }
  const facts = [c.kind.toLowerCase().replace('_', ' '), c.environment || '(no environment)'];
  if (c.namespace) facts.push(`namespace ${c.namespace}`);
  if (c.version) facts.push(`version ${c.version}`);
  if (c.system) facts.push(c.system);
  if (c.address) facts.push(c.address);
  panel.replaceChildren(
    el('h2', c.name),
    el('div', facts.join(' · '), 'kind'),
    section('Operations', c.operations, (o) =>
      row(
        named({ name: o.name, kind: o.kind }),
        `${o.calls} calls${o.errors ? `, ${o.errors} errors` : ''}`,
        o.errors ? 'err' : '',
      ),
    ),
    section('Calls', c.dependencies, (d) =>
      row(named(d.component), `${d.calls} calls${d.errors ? `, ${d.errors} errors` : ''}`, d.errors ? 'err' : ''),
    ),
    section('Dependents', c.dependents, (d) => row(named(d.component), d.depth === 1 ? 'direct' : `${d.depth} hops`)),
    ...(c.libraries ? [section('Library versions', c.libraries, (l) => row(l.name, l.version))] : []),
  );
  panel.dataset.component = c.name;
}

const nodeElement = (n, change) => ({
  data: { id: n.id, label: n.name, kind: n.kind, environment: n.environment, ...STYLE_BY_KIND[n.kind] },
  classes: change,
});

const edgeElement = (e, change) => ({
  data: {
    id: `${e.from.id}->${e.to.id}`,
    source: e.from.id,
    target: e.to.id,
    calls: e.calls,
    errors: e.errors,
    color: healthColor(e.calls, e.errors),
    label: e.errors ? `${e.calls} calls, ${((100 * e.errors) / e.calls).toFixed(1)}% errors` : `${e.calls} calls`,
  },
  classes: change,
});

/**
 * The map's elements: the topology, what `diff` says was added marked `added`, and what it says was
 * removed drawn as well (it is not in the topology of the later hour) and marked `removed`.
 */
function elementsOf(topology, diff) {
  const added = new Set(
    diff ? [...diff.addedComponents.map((c) => c.id), ...diff.added.map((e) => `${e.from.id}->${e.to.id}`)] : [],
  );
  const mark = (id) => (added.has(id) ? 'added' : undefined);
  const nodes = new Map(topology.nodes.map((n) => [n.id, nodeElement(n, mark(n.id))]));
  const edges = new Map(
    topology.edges.map((e) => [`${e.from.id}->${e.to.id}`, edgeElement(e, mark(`${e.from.id}->${e.to.id}`))]),
  );
  for (const c of diff?.removedComponents ?? []) nodes.set(c.id, nodeElement(c, 'removed'));
  for (const e of diff?.removed ?? []) {
    // An end of a removed edge may be gone with it, or never have been in this hour's map.
    for (const end of [e.from, e.to]) if (!nodes.has(end.id)) nodes.set(end.id, nodeElement(end, 'removed'));
    edges.set(`${e.from.id}->${e.to.id}`, edgeElement(e, 'removed'));
  }
  return [...nodes.values(), ...edges.values()];
}

function drawMap(topology, diff) {
  const elements = elementsOf(topology, diff);
  const cy = cytoscape({
    container: $('map'),
    elements,
    wheelSensitivity: 0.3,
    // A map of two nodes must not fill the screen with one box.
    maxZoom: 1.6,
    minZoom: 0.1,
    style: [
      {
        selector: 'node',
        style: {
          shape: 'data(shape)',
          'background-color': 'data(color)',
          label: 'data(label)',
          width: 46,
          height: 30,
          'font-size': 12,
          'text-valign': 'bottom',
          'text-margin-y': 5,
          'text-background-color': '#fff',
          'text-background-opacity': 0.8,
        },
      },
      {
        selector: 'edge',
        style: {
          width: 2.5,
          'line-color': 'data(color)',
          'target-arrow-color': 'data(color)',
          'target-arrow-shape': 'triangle',
          'curve-style': 'bezier',
          label: 'data(label)',
          'font-size': 10,
          color: '#52606d',
          'text-rotation': 'autorotate',
          'text-background-color': '#fff',
          'text-background-opacity': 0.8,
        },
      },
      { selector: 'node.added', style: { 'border-width': 4, 'border-color': '#27ae60' } },
      {
        selector: 'edge.added',
        style: { width: 5, 'underlay-color': '#27ae60', 'underlay-opacity': 0.3, 'underlay-padding': 4 },
      },
      {
        selector: 'node.removed',
        style: {
          'background-color': '#bdbdbd',
          'border-width': 3,
          'border-style': 'dashed',
          'border-color': '#eb5757',
          opacity: 0.7,
        },
      },
      {
        selector: 'edge.removed',
        style: { 'line-style': 'dashed', 'line-color': '#eb5757', 'target-arrow-color': '#eb5757', opacity: 0.7 },
      },
      { selector: '.dimmed', style: { opacity: 0.15 } },
      { selector: '.match', style: { 'border-width': 3, 'border-color': '#1f2933' } },
      { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#f2c94c' } },
    ],
    layout: { name: 'breadthfirst', directed: true, spacingFactor: 1.2, padding: 40, animate: false },
  });
  cy.on('tap', 'node', (evt) => {
    const n = evt.target.data();
    showDetail({ name: n.label, kind: n.kind, environment: n.environment }).catch(showError);
  });
  return cy;
}

function search(cy, text) {
  const q = text.trim().toLowerCase();
  cy.elements().removeClass('dimmed match');
  if (!q) {
    cy.fit(undefined, 40);
    return;
  }
  const hits = cy.nodes().filter((n) => n.data('label').toLowerCase().includes(q));
  cy.elements().not(hits).not(hits.edgesWith(hits)).addClass('dimmed');
  hits.addClass('match');
  if (hits.length > 0) cy.fit(hits, 80);
}

/** A `datetime-local` input holds local time without a zone: `YYYY-MM-DDTHH:mm`. */
function localInputValue(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function showError(error) {
  document.body.dataset.state = 'error';
  $('status').textContent = `Error: ${error.message}`;
}

/** The `at` input's value (a local date and time), as an instant; undefined when empty (live). */
function chosenTime() {
  const value = $('at').value;
  return value ? new Date(value) : undefined;
}

/**
 * Live, the map of the live window; at a time, the map of its hour. Compared with an earlier hour,
 * the map is of the later hour (now when no time is chosen) with what changed since marked on it.
 */
async function load(environment) {
  document.body.dataset.state = 'loading';
  const compareHours = Number($('compare').value || 0);
  const chosen = chosenTime();
  const to = chosen ?? (compareHours ? new Date() : undefined);
  const [{ topology }, diff] = await Promise.all([
    gql(TOPOLOGY, { environment, at: to?.toISOString() }),
    compareHours
      ? gql(DIFF, {
          environment,
          from: new Date(to.getTime() - compareHours * HOUR_MS).toISOString(),
          to: to.toISOString(),
        }).then((d) => d.topologyDiff)
      : undefined,
  ]);
  window.topograph.cy?.destroy();
  const cy = drawMap(topology, diff);
  window.topograph.cy = cy;
  $('status').textContent =
    `${topology.nodes.length} components, ${topology.edges.length} edges` +
    (diff
      ? ` · added ${diff.addedComponents.length} components, ${diff.added.length} edges; removed ${diff.removedComponents.length} components, ${diff.removed.length} edges`
      : '');
  search(cy, $('search').value);
  document.body.dataset.state = 'ready';
}

async function main() {
  window.topograph = {};
  const params = new URLSearchParams(window.location.search);
  const environments = (await gql(ENVIRONMENTS)).environments.map((e) => e.name);
  const wanted = params.get('environment');
  if (wanted !== null && !environments.includes(wanted)) environments.unshift(wanted);
  const select = $('environment');
  for (const env of environments) select.append(Object.assign(el('option', env || '(none)'), { value: env }));
  select.value = wanted ?? environments[0] ?? '';
  // The time and the comparison come from the address too, so a view can be shared.
  if (params.get('at')) $('at').value = localInputValue(new Date(params.get('at')));
  if (params.get('compare')) $('compare').value = params.get('compare');
  const reload = () => {
    params.set('environment', select.value);
    const at = chosenTime();
    if (at) params.set('at', at.toISOString());
    else params.delete('at');
    if ($('compare').value) params.set('compare', $('compare').value);
    else params.delete('compare');
    history.replaceState(null, '', `?${params}`);
    load(select.value).catch(showError);
  };
  select.addEventListener('change', reload);
  $('at').addEventListener('change', reload);
  $('compare').addEventListener('change', reload);
  $('search').addEventListener('input', (e) => search(window.topograph.cy, e.target.value));
  await load(select.value);
}

main().catch(showError);
