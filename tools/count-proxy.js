#!/usr/bin/env node
// Counting proxy in front of Azurite (docs/PERFORMANCE.md, "Storage operations per claim"). One listener per service
// (blob, queue, table) forwards every request unchanged to Azurite and tallies it by service, resource group (the
// app's own, or "durable:<part>" for the task hub's queues, tables and containers), resource, HTTP method and
// operation; GET /counts on the control port answers the tallies as JSON, and SIGTERM prints them to stdout.
//   node tools/count-proxy.js --hub ToolsHub --control PORT \
//     --blob LISTEN:TARGET --queue LISTEN:TARGET --table LISTEN:TARGET
// No npm packages: Node's http module only. The classification functions are exported for tools/count-proxy.test.js.
'use strict';
const http = require('http');

/** The task hub's own resources, by name (DurableTask.AzureStorage: <hub>-control-NN, <hub>-workitems,
 *  <hub>History, <hub>Instances, <hub>Partitions, <hub>-leases, <hub>-applease, <hub>-largemessages). */
function durablePart(resource, hub) {
  const r = resource.toLowerCase();
  const h = (hub || '').toLowerCase();
  const named = (suffix) => (h ? r === h + suffix : r.endsWith(suffix));
  if (/-control-\d+$/.test(r) && (!h || r.startsWith(h + '-control-'))) return 'control';
  if (named('-workitems')) return 'workitems';
  if (named('history')) return 'history';
  if (named('instances')) return 'instances';
  if (named('partitions')) return 'partitions';
  if (named('-leases')) return 'leases';
  if (named('-applease')) return 'applease';
  if (named('-largemessages')) return 'largemessages';
  if (h && r.startsWith(h)) return 'other';
  return null;
}

/** service, resource and operation of one request. `path` is the URL path with its query, account first
 *  (Azurite's path-style URLs: /devstoreaccount1/<resource>/...). `headers` is lower-cased (Node's). */
function classify(service, method, url, headers, hub) {
  const [pathPart, query = ''] = url.split('?');
  const q = new URLSearchParams(query);
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  segments.shift(); // the account
  let resource = segments[0] || '(account)';
  let op;
  if (service === 'queue') {
    const messages = segments[1] === 'messages';
    if (!segments[0]) op = q.get('comp') === 'list' ? 'list queues' : 'service ' + (q.get('comp') || method);
    else if (messages && method === 'GET') op = q.get('peekonly') === 'true' ? 'peek messages' : 'get messages';
    else if (messages && method === 'POST') op = 'put message';
    else if (messages && method === 'DELETE') op = segments[2] ? 'delete message' : 'clear messages';
    else if (messages && method === 'PUT') op = 'update message';
    else if (method === 'PUT') op = q.get('comp') === 'metadata' ? 'set queue metadata' : 'create queue';
    else if (method === 'GET' || method === 'HEAD') op = 'get queue properties';
    else if (method === 'DELETE') op = 'delete queue';
    else op = method;
  } else if (service === 'table') {
    const m = /^([^(]*)(\((.*)\))?$/.exec(segments[0] || '');
    const name = m ? m[1] : segments[0];
    const keys = m && m[3] ? m[3] : '';
    if (!segments[0]) op = 'service ' + (q.get('comp') || method);
    else if (name === '$batch') { resource = '(batch)'; op = 'batch'; }
    else if (name === 'Tables') { resource = '(tables)'; op = method === 'POST' ? 'create table' : method === 'DELETE' ? 'delete table' : 'query tables'; }
    else {
      resource = name;
      const point = /PartitionKey=/.test(keys);
      if (method === 'GET') op = point ? 'get entity' : 'query';
      else if (method === 'POST') op = 'insert';
      else if (method === 'PUT') op = headers['if-match'] ? 'update (replace)' : 'upsert (replace)';
      else if (method === 'MERGE' || method === 'PATCH') op = headers['if-match'] ? 'update (merge)' : 'upsert (merge)';
      else if (method === 'DELETE') op = 'delete entity';
      else op = method;
    }
  } else {
    const comp = q.get('comp');
    const container = q.get('restype') === 'container';
    if (!segments[0]) op = comp === 'list' ? 'list containers' : 'service ' + (comp || method);
    else if (segments.length === 1) {
      if (comp === 'list') op = 'list blobs';
      else if (comp === 'lease') op = 'container lease ' + (headers['x-ms-lease-action'] || '?');
      else if (container && method === 'PUT') op = 'create container';
      else if (container && method === 'DELETE') op = 'delete container';
      else op = 'container ' + (comp || method);
    } else if (comp === 'lease') op = 'lease ' + (headers['x-ms-lease-action'] || '?');
    else if (comp === 'block') op = 'put block';
    else if (comp === 'blocklist') op = method === 'PUT' ? 'put block list' : 'get block list';
    else if (comp === 'metadata') op = method === 'PUT' ? 'set metadata' : 'get metadata';
    else if (comp) op = 'blob ' + comp + ' ' + method;
    else if (method === 'PUT') op = headers['x-ms-copy-source'] ? 'copy blob' : 'put blob';
    else if (method === 'GET') op = 'get blob';
    else if (method === 'HEAD') op = 'get properties';
    else if (method === 'DELETE') op = 'delete blob';
    else op = method;
  }
  const part = durablePart(resource, hub);
  return { service, group: part ? 'durable:' + part : 'app', resource, method, op };
}

/** The table a $batch body writes to, and how many entity operations it holds (changeset parts). */
function batchTarget(body) {
  const lines = body.split(/\r?\n/);
  let table = null;
  let entities = 0;
  for (const line of lines) {
    const m = /^(GET|POST|PUT|MERGE|PATCH|DELETE) (\S+) HTTP\/1\.1$/.exec(line);
    if (!m) continue;
    entities++;
    if (table === null) {
      const path = m[2].replace(/^https?:\/\/[^/]+/, '').split('?')[0];
      const seg = path.split('/').filter(Boolean);
      const last = decodeURIComponent(seg[seg.length - 1] || '');
      table = last.replace(/\(.*$/, '');
    }
  }
  return { table, entities };
}

/** How many messages a Get Messages answer carries. */
function messageCount(xml) {
  return (xml.match(/<QueueMessage>/g) || []).length;
}

/**
 * Which step of a claim's life an operation belongs to (docs/PERFORMANCE.md): intake (the webhook), the RulesEngine
 * queue hop, Durable's own (by part), the activities (by resource), or other (the door's key and tenant reads,
 * timers, start-up).
 */
function step(row) {
  if (row.group.startsWith('durable:')) return 'durable: ' + row.group.slice(8);
  const r = row.resource.toLowerCase();
  if (r === 'claims-intake') return row.op === 'put message' ? 'intake' : 'RulesEngine queue';
  if (r === 'raw' || r === 'documents') return row.op === 'put blob' || row.op === 'put block' || row.op === 'put block list' ? 'intake' : 'activities: raw/document read';
  if (r === 'claims') return row.op === 'batch' ? 'intake' : 'activities: claims table';
  if (r === 'audit') return 'activities: audit';
  if (r === 'outbound') return 'activities: outbound blob';
  if (r === 'authorizations') return 'activities: authorizations';
  if (r === 'rulesets') return 'activities: rules';
  return 'other';
}

function key(c) {
  return [c.service, c.group, c.resource, c.method, c.op].join('\u0001');
}

function createCounter() {
  const rows = new Map();
  const started = Date.now();
  return {
    add(c, extra = {}) {
      const k = key(c);
      let row = rows.get(k);
      if (!row) {
        row = { ...c, count: 0, errors: 0, entities: 0, messages: 0, empty: 0, bytes: 0 };
        rows.set(k, row);
      }
      row.count++;
      for (const [name, value] of Object.entries(extra)) row[name] += value;
    },
    snapshot() {
      const list = [...rows.values()].map((r) => ({ ...r, step: step(r) }));
      return { at: Date.now(), uptimeMs: Date.now() - started, total: list.reduce((s, r) => s + r.count, 0), rows: list };
    },
  };
}

function listen(service, listenPort, target, counter, hub, agent) {
  const server = http.createServer((req, res) => {
    const c = classify(service, req.method, req.url, req.headers, hub);
    const chunks = [];
    const isBatch = service === 'table' && c.op === 'batch';
    const forward = (body, base) => {
      const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
        const extra = { ...base, bytes: Number(req.headers['content-length'] || 0) || (body ? body.length : 0) };
        if (up.statusCode >= 400) extra.errors = 1;
        const readMessages = service === 'queue' && c.op === 'get messages' && up.statusCode === 200;
        const answer = [];
        res.writeHead(up.statusCode, up.statusMessage, up.rawHeaders);
        up.on('data', (d) => { if (readMessages) answer.push(d); res.write(d); });
        up.on('end', () => {
          if (readMessages) {
            const n = messageCount(Buffer.concat(answer).toString('utf8'));
            extra.messages = n;
            if (n === 0) extra.empty = 1;
          }
          counter.add(c, extra);
          res.end();
        });
        up.on('error', () => res.destroy());
      });
      upstream.on('error', () => {
        counter.add(c, { errors: 1 });
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      if (body) upstream.end(body); else req.pipe(upstream);
    };
    if (isBatch) {
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const { table, entities } = batchTarget(body.toString('utf8'));
        if (table) {
          c.resource = table;
          const part = durablePart(table, hub);
          c.group = part ? 'durable:' + part : 'app';
        }
        forward(body, { entities });
      });
    } else {
      forward(null, {});
    }
  });
  server.keepAliveTimeout = 120000;
  server.listen(listenPort, '127.0.0.1');
  return server;
}

function main(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  const counter = createCounter();
  const hub = args.hub || '';
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  for (const service of ['blob', 'queue', 'table']) {
    if (!args[service]) continue;
    const [from, to] = args[service].split(':').map(Number);
    listen(service, from, to, counter, hub, agent);
  }
  if (args.control) {
    http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(counter.snapshot()));
    }).listen(Number(args.control), '127.0.0.1');
  }
  const dump = () => {
    process.stdout.write(JSON.stringify(counter.snapshot()) + '\n', () => process.exit(0));
  };
  process.on('SIGTERM', dump);
  process.on('SIGINT', dump);
}

module.exports = { classify, durablePart, batchTarget, messageCount, step, createCounter };
if (require.main === module) main(process.argv.slice(2));
