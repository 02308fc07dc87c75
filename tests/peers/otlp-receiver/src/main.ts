// A loopback OTLP/HTTP JSON trace receiver for integration tests.
//
// It checks each POST /v1/traces body against the OTLP/JSON rules (hex ids, integer enums,
// 64-bit integers as decimal strings), turns the hex ids into bytes, builds an
// ExportTraceServiceRequest with the OTLP message definitions generated from opentelemetry-proto
// (shipped by @opentelemetry/otlp-transformer), round-trips it through the protobuf binary
// encoding and writes what it decoded as one JSON line per request to --out.
//
//   tsx src/main.ts --out FILE [--responses 503,200] [--retry-after SECONDS] [--hang]
//                  [--keep-alive-ms MS]
//
// The first line of FILE is {"listening":PORT}. --responses answers the n-th request with the
// n-th status (the last one repeats); --hang accepts requests and never answers; --keep-alive-ms
// closes a connection idle that long (Node's default otherwise). Each line names the connection
// the request came on (`connection`: 0, 1, ... in the order they were opened).
import { createRequire } from 'node:module';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const ExportTraceServiceRequest =
  root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const MAX_BODY_BYTES = 8 * 1024 * 1024;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const out = option('out');
if (!out) throw new Error('--out FILE is required');
const responses = (option('responses') ?? '200').split(',').map(Number);
const retryAfter = option('retry-after');
const hang = process.argv.includes('--hang');
const keepAliveMs = option('keep-alive-ms');
let requests = 0;
let connections = 0;
const connectionIds = new WeakMap<object, number>();

class Invalid extends Error {}

function hexToBytes(value: unknown, bytes: number, what: string): Buffer {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value)) {
    throw new Invalid(`${what} is not ${bytes * 2} hex digits: ${JSON.stringify(value)}`);
  }
  return Buffer.from(value, 'hex');
}

function decimalString(value: unknown, what: string): void {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
    throw new Invalid(`${what} is not a decimal string: ${JSON.stringify(value)}`);
  }
}

function checkAttributes(list: unknown, what: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new Invalid(`${what} is not an array`);
  for (const attribute of list) {
    const value = attribute?.value ?? {};
    const kinds = Object.keys(value);
    if (typeof attribute?.key !== 'string' || kinds.length !== 1) {
      throw new Invalid(`${what}: attribute ${JSON.stringify(attribute)} is not {key, value:{one}}`);
    }
    if ('intValue' in value) decimalString(value.intValue, `${what}.${attribute.key}.intValue`);
  }
}

// OTLP/JSON → the protobufjs object form: hex ids to bytes, after the JSON-specific checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toProtoObject(request: any): unknown {
  checkAttributes(request?.resourceSpans?.[0]?.resource?.attributes, 'resource');
  for (const resourceSpans of request.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        span.traceId = hexToBytes(span.traceId, 16, 'traceId');
        span.spanId = hexToBytes(span.spanId, 8, 'spanId');
        if (span.parentSpanId !== undefined && span.parentSpanId !== '') {
          span.parentSpanId = hexToBytes(span.parentSpanId, 8, 'parentSpanId');
        }
        if (!Number.isInteger(span.kind)) throw new Invalid(`kind is not an integer: ${span.kind}`);
        if (span.status && !Number.isInteger(span.status.code ?? 0)) {
          throw new Invalid('status.code is not an integer');
        }
        decimalString(span.startTimeUnixNano, 'startTimeUnixNano');
        decimalString(span.endTimeUnixNano, 'endTimeUnixNano');
        checkAttributes(span.attributes, `span ${span.name}`);
        for (const event of span.events ?? []) {
          decimalString(event.timeUnixNano, 'event.timeUnixNano');
          checkAttributes(event.attributes, `event ${event.name}`);
        }
      }
    }
  }
  return request;
}

// The decoded binary message as plain JSON: ids back to hex, 64-bit integers as strings.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function decodedView(message: any): unknown {
  return JSON.parse(
    JSON.stringify(
      ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, defaults: false }),
      (_key, value) =>
        value && value.type === 'Buffer' && Array.isArray(value.data)
          ? Buffer.from(value.data).toString('hex')
          : value,
    ),
  );
}

function decode(body: Buffer): unknown {
  const object = toProtoObject(JSON.parse(body.toString('utf8')));
  const message = ExportTraceServiceRequest.fromObject(object);
  const binary = ExportTraceServiceRequest.encode(message).finish();
  const decoded = ExportTraceServiceRequest.decode(binary);
  const problem = ExportTraceServiceRequest.verify(decoded);
  if (problem) throw new Invalid(`protobuf verify: ${problem}`);
  return decodedView(decoded);
}

function record(line: unknown): void {
  appendFileSync(out!, JSON.stringify(line) + '\n');
}

function handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
  const n = requests++;
  const connection = connectionIds.get(request.socket);
  const headers = {
    'content-type': request.headers['content-type'],
    authorization: request.headers['authorization'],
    'x-tenant': request.headers['x-tenant'],
  };
  if (hang) {
    record({ n, connection, path: request.url, headers, hung: true });
    return;  // never answers; the client's deadline must end it
  }
  let status = responses[Math.min(n, responses.length - 1)];
  let decoded: unknown;
  let error: string | undefined;
  try {
    if (request.method !== 'POST') throw new Invalid(`method ${request.method}`);
    decoded = decode(body);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    status = 400;
  }
  record({ n, connection, path: request.url, headers, status, error, decoded });
  const extra: Record<string, string> = { 'content-type': 'application/json' };
  if (retryAfter !== undefined && status !== 200) extra['retry-after'] = retryAfter;
  response.writeHead(status, extra);
  response.end(status === 200 ? '{}' : JSON.stringify({ code: status, message: error ?? '' }));
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) request.destroy();
    else chunks.push(chunk);
  });
  request.on('end', () => handle(request, response, Buffer.concat(chunks)));
});
server.on('connection', (socket) => connectionIds.set(socket, connections++));
if (keepAliveMs !== undefined) server.keepAliveTimeout = Number(keepAliveMs);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  writeFileSync(out, JSON.stringify({ listening: address.port }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => process.exit(0));
}
