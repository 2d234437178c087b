// Classification of the counting proxy (tools/count-proxy.js): node --test tools/
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { classify, durablePart, batchTarget, messageCount, step } = require('./count-proxy.js');

const hub = 'CostHub';
const c = (service, method, url, headers = {}) => classify(service, method, url, headers, hub);

test('the task hub resources are durable, by part', () => {
  assert.equal(durablePart('costhub-control-00', hub), 'control');
  assert.equal(durablePart('costhub-control-15', hub), 'control');
  assert.equal(durablePart('costhub-workitems', hub), 'workitems');
  assert.equal(durablePart('CostHubHistory', hub), 'history');
  assert.equal(durablePart('CostHubInstances', hub), 'instances');
  assert.equal(durablePart('CostHubPartitions', hub), 'partitions');
  assert.equal(durablePart('costhub-leases', hub), 'leases');
  assert.equal(durablePart('costhub-applease', hub), 'applease');
  assert.equal(durablePart('costhub-largemessages', hub), 'largemessages');
  assert.equal(durablePart('claims-intake', hub), null);
  assert.equal(durablePart('claims', hub), null);
  // Another hub's queue is not this hub's.
  assert.equal(durablePart('otherhub-control-00', hub), null);
  // Without a hub name, by the name patterns.
  assert.equal(durablePart('anyhub-workitems', ''), 'workitems');
});

test('queue operations', () => {
  assert.deepEqual(c('queue', 'GET', '/devstoreaccount1/costhub-control-02/messages?numofmessages=32&visibilitytimeout=300'),
    { service: 'queue', group: 'durable:control', resource: 'costhub-control-02', method: 'GET', op: 'get messages' });
  assert.equal(c('queue', 'GET', '/devstoreaccount1/claims-intake/messages?peekonly=true').op, 'peek messages');
  assert.equal(c('queue', 'POST', '/devstoreaccount1/claims-intake/messages').op, 'put message');
  assert.equal(c('queue', 'DELETE', '/devstoreaccount1/claims-intake/messages/abc?popreceipt=x').op, 'delete message');
  assert.equal(c('queue', 'PUT', '/devstoreaccount1/claims-intake/messages/abc?popreceipt=x&visibilitytimeout=5').op, 'update message');
  assert.equal(c('queue', 'PUT', '/devstoreaccount1/claims-intake').op, 'create queue');
  assert.equal(c('queue', 'GET', '/devstoreaccount1/claims-intake?comp=metadata').op, 'get queue properties');
  assert.equal(c('queue', 'GET', '/devstoreaccount1?comp=list').op, 'list queues');
});

test('table operations', () => {
  assert.deepEqual(c('table', 'GET', "/devstoreaccount1/claims(PartitionKey='t',RowKey='c1')?$select=Status"),
    { service: 'table', group: 'app', resource: 'claims', method: 'GET', op: 'get entity' });
  assert.equal(c('table', 'GET', "/devstoreaccount1/authorizations()?$filter=PartitionKey%20eq%20'x'").op, 'query');
  assert.equal(c('table', 'GET', "/devstoreaccount1/CostHubInstances?$filter=x").group, 'durable:instances');
  assert.equal(c('table', 'POST', '/devstoreaccount1/CostHubHistory').op, 'insert');
  assert.equal(c('table', 'PUT', "/devstoreaccount1/claims(PartitionKey='t',RowKey='c1')", { 'if-match': 'W/"x"' }).op, 'update (replace)');
  assert.equal(c('table', 'PUT', "/devstoreaccount1/claims(PartitionKey='t',RowKey='c1')").op, 'upsert (replace)');
  assert.equal(c('table', 'PATCH', "/devstoreaccount1/CostHubInstances(PartitionKey='i',RowKey='')").op, 'upsert (merge)');
  assert.equal(c('table', 'MERGE', "/devstoreaccount1/CostHubInstances(PartitionKey='i',RowKey='')", { 'if-match': '*' }).op, 'update (merge)');
  assert.equal(c('table', 'POST', '/devstoreaccount1/Tables').op, 'create table');
  assert.deepEqual(c('table', 'POST', '/devstoreaccount1/$batch'),
    { service: 'table', group: 'app', resource: '(batch)', method: 'POST', op: 'batch' });
});

test('blob operations', () => {
  assert.equal(c('blob', 'PUT', '/devstoreaccount1/raw/t/c1.json').op, 'put blob');
  assert.equal(c('blob', 'GET', '/devstoreaccount1/raw/t/c1.json').op, 'get blob');
  assert.equal(c('blob', 'HEAD', '/devstoreaccount1/outbound/t/c1.json').op, 'get properties');
  assert.deepEqual(c('blob', 'PUT', '/devstoreaccount1/costhub-leases/default/costhub-control-00?comp=lease', { 'x-ms-lease-action': 'renew' }),
    { service: 'blob', group: 'durable:leases', resource: 'costhub-leases', method: 'PUT', op: 'lease renew' });
  assert.equal(c('blob', 'PUT', '/devstoreaccount1/outbound?restype=container').op, 'create container');
  assert.equal(c('blob', 'GET', '/devstoreaccount1/outbound?restype=container&comp=list').op, 'list blobs');
});

test('a batch body names its table and its entity operations', () => {
  const body = [
    '--batch_1', 'Content-Type: multipart/mixed; boundary=changeset_1', '', '--changeset_1',
    'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '',
    'POST http://127.0.0.1:1234/devstoreaccount1/CostHubHistory HTTP/1.1', 'Accept: application/json;odata=minimalmetadata', '', '{}',
    '--changeset_1', 'Content-Type: application/http', '',
    "PUT http://127.0.0.1:1234/devstoreaccount1/CostHubHistory(PartitionKey='i',RowKey='sentinel') HTTP/1.1", '', '{}',
    '--changeset_1--', '--batch_1--',
  ].join('\r\n');
  assert.deepEqual(batchTarget(body), { table: 'CostHubHistory', entities: 2 });
});

test('messages in a Get Messages answer', () => {
  assert.equal(messageCount('<?xml version="1.0"?><QueueMessagesList></QueueMessagesList>'), 0);
  assert.equal(messageCount('<QueueMessagesList><QueueMessage><MessageId>1</MessageId></QueueMessage><QueueMessage></QueueMessage></QueueMessagesList>'), 2);
});

test('steps of a claim', () => {
  const s = (resource, op, group = 'app') => step({ resource, op, group });
  assert.equal(s('claims-intake', 'put message'), 'intake');
  assert.equal(s('claims-intake', 'get messages'), 'RulesEngine queue');
  assert.equal(s('claims-intake', 'delete message'), 'RulesEngine queue');
  assert.equal(s('raw', 'put blob'), 'intake');
  assert.equal(s('raw', 'get blob'), 'activities: raw/document read');
  assert.equal(s('claims', 'batch'), 'intake');
  assert.equal(s('claims', 'get entity'), 'activities: claims table');
  assert.equal(s('audit', 'batch'), 'activities: audit');
  assert.equal(s('outbound', 'put blob'), 'activities: outbound blob');
  assert.equal(s('authorizations', 'query'), 'activities: authorizations');
  assert.equal(s('costhub-control-01', 'get messages', 'durable:control'), 'durable: control');
  assert.equal(s('apikeys', 'get entity'), 'other');
});
