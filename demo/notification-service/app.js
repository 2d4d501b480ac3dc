'use strict';
// notification-service: consumes payment events from Kafka topic "payments" and "sends" a
// notification by appending a line to an outbox file. The trace context travels inside the Kafka
// record headers (injected by payment-service); this service extracts it by hand.
const fs = require('fs');
const http = require('http');
const path = require('path');
const { Kafka, logLevel } = require('kafkajs');
const { trace, context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const tracing = require('./tracing'); // the instance --require already started

const PORT = Number(process.env.PORT || 8084);
const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const TOPIC = 'payments';
const GROUP = 'notification-service';
const OUTBOX = process.env.NOTIFICATION_OUTBOX || path.join(__dirname, 'outbox.log');

const tracer = trace.getTracer('notification-service', '1.0.0');
const kafka = new Kafka({ clientId: 'notification-service', brokers: BROKERS, logLevel: logLevel.WARN });
// Fetches long-poll for at most 1 s (default 5 s): a stop then waits at most that long for the
// in-flight fetch before the consumer leaves the group.
const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 1000 });
let joined = false; // /healthz is 503 until the consumer owns its partitions: start.sh waits on it

// Kafka header values arrive as Buffers; the W3C propagator expects strings.
const headerGetter = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key];
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) ? v.map(String) : v.toString();
  },
};

async function handleMessage({ topic, partition, message }) {
  // The parent is whatever payment-service injected; with no traceparent header this is an
  // empty context and the CONSUMER span becomes the root of a new trace.
  const parent = propagation.extract(ROOT_CONTEXT, message.headers || {}, headerGetter);
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.destination.name': topic,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.consumer.group.name': GROUP,
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.offset': Number(message.offset),
  };
  if (message.key) attributes['messaging.kafka.message.key'] = message.key.toString();

  await tracer.startActiveSpan(`${topic} process`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      const event = JSON.parse(message.value.toString());
      await tracer.startActiveSpan('send-notification', async (child) => {
        try {
          const line = JSON.stringify({
            time: new Date().toISOString(),
            to: event.user,
            text: `Payment of ${event.amount} ${event.currency} ${event.status}`,
            trace_id: span.spanContext().traceId,
          });
          child.setAttribute('notification.channel', 'outbox-file');
          child.setAttribute('notification.recipient', String(event.user));
          await fs.promises.appendFile(OUTBOX, line + '\n');
        } catch (err) {
          child.recordException(err);
          child.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
          throw err;
        } finally {
          child.end();
        }
      });
    } catch (err) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      console.error('notification failed:', err);
    } finally {
      span.end();
    }
  });
}

async function startConsumer() {
  // Create the topic up front so subscribing never races the producer's auto-create.
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(TOPIC)) {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  }
  await admin.disconnect();

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    console.log(`joined group ${e.payload.groupId} as ${e.payload.memberId}`);
  });
  consumer.on(consumer.events.CRASH, () => { joined = false; });
  await consumer.connect();
  // fromBeginning only matters while the group has no committed offset (a fresh Kafka): then no
  // event produced between the join and the first fetch is skipped.
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: handleMessage });
}

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(joined ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: joined ? 'ok' : 'starting', kafka: joined ? 'joined' : 'joining' }));
    return;
  }
  res.writeHead(404).end();
});
server.listen(PORT, '127.0.0.1', () => console.log(`notification-service on :${PORT}, outbox ${OUTBOX}`));

startConsumer().catch((err) => {
  console.error('consumer failed to start:', err);
  process.exit(1);
});

async function shutdown() {
  // Leave the group cleanly so the next start does not wait for this member's session to expire.
  try { await consumer.disconnect(); } catch (_) { /* already gone */ }
  server.close();
  await tracing.shutdown().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
