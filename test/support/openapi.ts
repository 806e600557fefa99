import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Validation of Slack and Jira calls against the published specs in the `shared/` sibling of
 * the checkout (../shared/specs): Slack's Web API (Swagger 2.0, base path /api) and Jira Cloud's
 * platform REST API (OpenAPI 3.0). The loopback fakes run every request and answer through here
 * and record what comes back, so a test can assert that neither Warden nor the fake strayed from
 * the documented shapes.
 *
 * Where the specs cannot be used as written, this file bends them, each time on purpose:
 * - ajv runs with `strict: false` (the specs carry `example`, `xml`, `readOnly`, `discriminator`
 *   and other OpenAPI-only keywords) and ajv-formats (int32, int64, uri, url, byte, …).
 * - Slack writes "one of these" as `items: [A, B]` (draft-04 tuple syntax), also on non-arrays,
 *   where JSON Schema would ignore it; it is read as `anyOf: [A, B]` so it still constrains.
 * - Slack documents only the HTTP 200 bodies (`200` = success, `default` = `{ok:false,error}`),
 *   and every method accepts GET and POST whatever the spec lists. A 429 or 5xx is checked only
 *   for the `{ok:false, error}` envelope (Slack's 429 says `ratelimited`, not in any enum).
 * - Slack's `token` header parameter is satisfied by `Authorization: Bearer …` (what the SDK
 *   sends) or a `token` argument. Arguments the method does not list are violations (Slack
 *   ignores them silently, which hides typos such as `thread` for `thread_ts`); JSON-array
 *   arguments (blocks, attachments) must parse, blocks as the spec's Block Kit definition.
 * - The shared Slack spec predates message metadata (2022) and Block Kit's `invalid_blocks` error;
 *   SLACK_SUPPLEMENT below adds them from Slack's current reference: `metadata` on chat.postMessage
 *   (a JSON object with `event_type` and `event_payload`) and on the message object,
 *   `include_all_metadata` on conversations.history and conversations.replies, `invalid_blocks`
 *   with `response_metadata.messages` on the chat methods (and `invalid_metadata_format`). conversations.history may answer no
 *   messages at all and a `response_metadata.next_cursor` (the spec says at least one, and no cursor).
 * - Jira's `date-time` also accepts `+hhmm` offsets: Jira Cloud sends `…T10:00:00.000+0000`.
 * - Jira documents no 429 or 5xx on most operations; those answers are not checked.
 * - The shared Jira spec predates `/rest/api/3/search/jql` (the replacement of the deprecated
 *   `/rest/api/3/search`); JIRA_SUPPLEMENT below describes it from Atlassian's current reference
 *   (`searchAndReconsileIssuesUsingJql`, sic), reusing the spec's own `IssueBean`.
 */

export const SPECS_DIR = resolve(__dirname, '../../../shared/specs');

export interface CallRequest {
  /** Query string values (repeated keys give arrays). */
  query?: Record<string, string | string[]>;
  /** An `application/x-www-form-urlencoded` body, decoded. */
  form?: Record<string, string>;
  /** A JSON body, parsed (undefined when there was none). */
  json?: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

export interface CallResponse {
  status: number;
  /** The parsed JSON answer (undefined for an empty one). */
  body?: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  // Swagger 2.0 keeps the type on the parameter; OpenAPI 3 under `schema`.
  type?: string;
  schema?: JsonObject;
  [key: string]: Json | undefined;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses: Record<string, { schema?: JsonObject; content?: Record<string, { schema?: JsonObject }> }>;
  security?: Record<string, string[]>[];
  consumes?: string[];
}

interface LoadedSpec {
  id: string;
  doc: JsonObject;
  paths: Record<string, Record<string, Operation>>;
  /** Templated paths as regexes, most literal first. */
  matchers: { template: string; regex: RegExp }[];
}

const cache = new Map<string, ValidateFunction>();
let slackSpec: LoadedSpec | undefined;
let jiraSpec: LoadedSpec | undefined;
let bodyAjv: Ajv | undefined;
let paramAjv: Ajv | undefined;

function newAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  // Jira Cloud writes offsets without a colon (+0000); RFC 3339 wants +00:00.
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)$/);
  return ajv;
}

function ajvs(): { body: Ajv; params: Ajv } {
  bodyAjv ??= newAjv(false);
  paramAjv ??= newAjv(true);
  return { body: bodyAjv, params: paramAjv };
}

/** Slack's `items: [A, B]` means "one of A, B" (see the header comment). */
function rewriteSlackTuples(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteSlackTuples);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) out[key] = rewriteSlackTuples(value);
  if (Array.isArray(out.items)) {
    const alternatives = out.items;
    if (out.type === 'array') out.items = { anyOf: alternatives };
    else {
      delete out.items;
      out.anyOf = alternatives;
    }
  }
  return out;
}

function compileMatchers(paths: Record<string, unknown>): LoadedSpec['matchers'] {
  return Object.keys(paths)
    .map((template) => {
      const pattern = template
        .split('/')
        .map((segment) => segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+'))
        .join('/');
      return { template, regex: new RegExp(`^${pattern}$`), templated: (template.match(/\{/g) ?? []).length };
    })
    .sort((a, b) => a.templated - b.templated)
    .map(({ template, regex }) => ({ template, regex }));
}

/** Message metadata as Slack documents it (https://api.slack.com/metadata): an event type and a free-form payload. */
const SLACK_METADATA: JsonObject = {
  type: 'object',
  additionalProperties: false,
  required: ['event_type', 'event_payload'],
  properties: { event_type: { type: 'string', pattern: '^[A-Za-z0-9_]+$' }, event_payload: { type: 'object' } },
};

/** What the shared Slack spec lacks and Warden uses (see the header comment); applied once, after the tuple rewrite. */
function supplementSlack(doc: JsonObject): void {
  const paths = doc.paths as Record<
    string,
    Record<string, { parameters: JsonObject[]; responses: Record<string, { schema: JsonObject }> }>
  >;
  const definitions = doc.definitions as Record<string, JsonObject>;
  (definitions.objs_message.properties as JsonObject).metadata = SLACK_METADATA;
  paths['/chat.postMessage'].post.parameters.push({
    name: 'metadata',
    in: 'formData',
    type: 'string',
    description: 'JSON object with event_type and event_payload fields, presented as a URL-encoded string.',
  });
  for (const method of ['/conversations.history', '/conversations.replies'])
    paths[method].get.parameters.push({
      name: 'include_all_metadata',
      in: 'query',
      type: 'boolean',
      description: 'Return all metadata associated with this message.',
    });
  const history = paths['/conversations.history'].get.responses['200'].schema.properties as Record<string, JsonObject>;
  delete history.messages.minItems;
  history.response_metadata = {
    type: 'object',
    additionalProperties: false,
    required: ['next_cursor'],
    properties: { next_cursor: { type: 'string' } },
  };
  // Replies come as "the parent, or a reply" (items: [A, B], read as anyOf); both may carry metadata.
  const replies = paths['/conversations.replies'].get.responses['200'].schema.properties as Record<string, JsonObject>;
  for (const shape of (replies.messages.items as { anyOf: JsonObject[] }).anyOf) (shape.properties as JsonObject).metadata = SLACK_METADATA;
  for (const method of ['/chat.postMessage', '/chat.update', '/chat.postEphemeral']) {
    const error = paths[method].post.responses.default.schema.properties as Record<string, JsonObject>;
    (error.error.enum as string[]).push('invalid_blocks', ...(method === '/chat.postMessage' ? ['invalid_metadata_format'] : []));
    error.response_metadata = {
      type: 'object',
      additionalProperties: false,
      properties: { messages: { type: 'array', items: { type: 'string' } } },
    };
  }
}

function loadSlack(): LoadedSpec {
  if (slackSpec) return slackSpec;
  const raw = JSON.parse(readFileSync(resolve(SPECS_DIR, 'slack-web-openapi-v2.json'), 'utf8')) as Json;
  const doc = rewriteSlackTuples(raw) as JsonObject;
  supplementSlack(doc);
  const id = 'https://specs.warden.test/slack-web.json';
  ajvs().body.addSchema({ ...doc, $id: id } as AnySchema);
  const paths = doc.paths as unknown as LoadedSpec['paths'];
  slackSpec = { id, doc, paths, matchers: compileMatchers(paths) };
  return slackSpec;
}

/** `/rest/api/3/search/jql`, missing from the shared spec (see the header comment). */
const JIRA_SUPPLEMENT: Record<string, Record<string, Operation>> = {
  '/rest/api/3/search/jql': {
    get: {
      operationId: 'searchAndReconsileIssuesUsingJql',
      parameters: [
        { name: 'jql', in: 'query', schema: { type: 'string' } },
        { name: 'nextPageToken', in: 'query', schema: { type: 'string' } },
        { name: 'maxResults', in: 'query', schema: { type: 'integer', format: 'int32', default: 50 } },
        { name: 'fields', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
        { name: 'expand', in: 'query', schema: { type: 'string' } },
        { name: 'properties', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
        { name: 'fieldsByKeys', in: 'query', schema: { type: 'boolean', default: false } },
        { name: 'failFast', in: 'query', schema: { type: 'boolean', default: false } },
        { name: 'reconcileIssues', in: 'query', schema: { type: 'array', items: { type: 'integer', format: 'int64' } } },
      ],
      responses: {
        '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchAndReconcileResults' } } } },
        '400': { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorCollection' } } } },
        '401': {},
      },
      security: [{ basicAuth: [] }, { OAuth2: ['read:jira-work'] }, {}],
    },
    post: {
      operationId: 'searchAndReconsileIssuesUsingJqlPost',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchAndReconcileRequestBean' } } },
      },
      responses: {
        '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchAndReconcileResults' } } } },
        '400': { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorCollection' } } } },
        '401': {},
      },
      security: [{ basicAuth: [] }, { OAuth2: ['read:jira-work'] }, {}],
    },
  },
};

const JIRA_SUPPLEMENT_SCHEMAS: Record<string, JsonObject> = {
  SearchAndReconcileRequestBean: {
    type: 'object',
    additionalProperties: false,
    properties: {
      expand: { type: 'string' },
      fields: { type: 'array', items: { type: 'string' } },
      fieldsByKeys: { type: 'boolean' },
      jql: { type: 'string' },
      maxResults: { type: 'integer', format: 'int32', default: 50 },
      nextPageToken: { type: 'string' },
      properties: { type: 'array', items: { type: 'string' } },
      reconcileIssues: { type: 'array', items: { type: 'integer', format: 'int64' } },
      failFast: { type: 'boolean' },
    },
  },
  SearchAndReconcileResults: {
    type: 'object',
    additionalProperties: false,
    properties: {
      isLast: { type: 'boolean' },
      issues: { type: 'array', items: { $ref: '#/components/schemas/IssueBean' } },
      names: { type: 'object', additionalProperties: { type: 'string' } },
      nextPageToken: { type: 'string', nullable: true },
      schema: { type: 'object', additionalProperties: { $ref: '#/components/schemas/JsonTypeBean' } },
    },
  },
};

function loadJira(): LoadedSpec {
  if (jiraSpec) return jiraSpec;
  const doc = JSON.parse(readFileSync(resolve(SPECS_DIR, 'jira-platform-openapi-v3.json'), 'utf8')) as JsonObject;
  const components = doc.components as JsonObject;
  const schemas = components.schemas as JsonObject;
  for (const [name, schema] of Object.entries(JIRA_SUPPLEMENT_SCHEMAS)) schemas[name] ??= schema;
  const paths = doc.paths as unknown as LoadedSpec['paths'];
  for (const [path, ops] of Object.entries(JIRA_SUPPLEMENT)) paths[path] ??= ops;
  const id = 'https://specs.warden.test/jira-platform.json';
  ajvs().body.addSchema({ ...doc, $id: id } as AnySchema);
  jiraSpec = { id, doc, paths, matchers: compileMatchers(paths) };
  return jiraSpec;
}

function pointer(...parts: string[]): string {
  return '#/' + parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
}

/** A validator for a schema at a JSON pointer inside a loaded spec, compiled once. */
function schemaAt(spec: LoadedSpec, ...parts: string[]): ValidateFunction {
  const ref = spec.id + pointer(...parts);
  let validate = cache.get(ref);
  if (!validate) {
    validate = ajvs().body.compile({ $ref: ref });
    cache.set(ref, validate);
  }
  return validate;
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : e.keyword === 'enum'
          ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues).slice(0, 200)})`
          : '';
    seen.add(`${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`);
  }
  return [...seen];
}

function header(headers: CallRequest['headers'], name: string): string | undefined {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function findOperation(spec: LoadedSpec, method: string, path: string): { template: string; op: Operation; verb: string } | null {
  for (const { template, regex } of spec.matchers) {
    if (!regex.test(path)) continue;
    const ops = spec.paths[template];
    const op = ops[method.toLowerCase()];
    if (op) return { template, op, verb: method.toLowerCase() };
  }
  return null;
}

/** Validates parameter values (strings off the wire) against an object schema built from the parameters, with coercion. */
function checkParams(
  schemaKey: string,
  params: Parameter[],
  values: Record<string, unknown>,
  options: { allowUnknown?: string[]; jsonBody?: boolean } = {},
): string[] {
  const key = `params:${schemaKey}:${options.jsonBody ? 'json' : 'text'}`;
  let validate = cache.get(key);
  if (!validate) {
    const properties: Record<string, JsonObject> = {};
    const required: string[] = [];
    for (const p of params) {
      let schema: JsonObject = p.schema ?? (p.type ? { type: p.type } : {});
      // JSON bodies carry blocks and attachments as arrays where a form carries them as JSON text.
      if (options.jsonBody && schema.type === 'string') schema = { type: ['string', 'array', 'object', 'boolean', 'number'] };
      properties[p.name] = schema;
      if (p.required) required.push(p.name);
    }
    for (const name of options.allowUnknown ?? []) properties[name] ??= {};
    validate = ajvs().params.compile({ type: 'object', properties, required, additionalProperties: false });
    cache.set(key, validate);
  }
  const copy = structuredClone(values);
  return validate(copy) ? [] : formatErrors(validate.errors);
}

// ---------------------------------------------------------------- Slack

const SLACK_JSON_ARRAY_ARGS = /^A JSON-based array/;

/**
 * Checks one Slack Web API call. `path` is `/api/chat.postMessage` (or just the method name).
 * Returns the violations, each naming the method, the path, where, and what.
 */
export function validateSlackCall(method: string, path: string, request: CallRequest, response?: CallResponse): string[] {
  const spec = loadSlack();
  const apiMethod = path
    .replace(/^.*\/api\//, '')
    .replace(/^\//, '')
    .split('?')[0];
  const label = `${method.toUpperCase()} /api/${apiMethod}`;
  const ops = spec.paths[`/${apiMethod}`];
  if (!ops) return [`${label}: no such method in the Slack spec`];
  // Every Slack method accepts GET and POST; the spec lists one of them.
  const verb = ops[method.toLowerCase()] ? method.toLowerCase() : Object.keys(ops)[0];
  const op = ops[verb];
  const out: string[] = [];
  const say = (where: string, messages: string[]) => messages.forEach((m) => out.push(`${label} ${where}: ${m}`));

  const contentType = (header(request.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  const hasBody = request.form !== undefined || request.json !== undefined;
  if (hasBody && !(op.consumes ?? ['application/x-www-form-urlencoded']).includes(contentType))
    say('request header', [`content-type ${contentType || '(none)'} is not one of ${JSON.stringify(op.consumes)}`]);

  const args: Record<string, unknown> = { ...request.query, ...request.form };
  if (request.json && typeof request.json === 'object' && !Array.isArray(request.json)) Object.assign(args, request.json);
  const params = op.parameters ?? [];
  const tokenParam = params.find((p) => p.in === 'header' && p.name === 'token');
  const auth = header(request.headers, 'authorization');
  if (tokenParam?.required && !/^Bearer xox[a-z]-\S+$/.test(auth ?? '') && typeof args.token !== 'string')
    say('request header', ['token missing (neither Authorization: Bearer xox…- nor a token argument)']);
  const argParams = params.filter((p) => p.in === 'formData' || p.in === 'query');
  say(
    'request arguments',
    checkParams(`slack:${apiMethod}`, argParams, args, { allowUnknown: ['token'], jsonBody: request.json !== undefined }),
  );
  // Blocks and attachments travel as JSON text inside the form; they must be arrays, blocks Block Kit-shaped.
  for (const p of argParams) {
    const value = args[p.name];
    if (typeof value !== 'string' || !SLACK_JSON_ARRAY_ARGS.test(p.description ?? '')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      say('request arguments', [`/${p.name} is not JSON`]);
      continue;
    }
    if (!Array.isArray(parsed)) say('request arguments', [`/${p.name} is not a JSON array`]);
    else if (p.name === 'blocks') {
      const validate = schemaAt(spec, 'definitions', 'blocks');
      if (!validate(parsed))
        say(
          'request arguments',
          formatErrors(validate.errors).map((m) => `/blocks${m === '/ ' ? '' : m}`),
        );
    }
  }
  // Metadata travels as JSON text too: an object with an event type and a payload.
  if (typeof args.metadata === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args.metadata);
    } catch {
      parsed = undefined;
    }
    let validate = cache.get('slack:metadata');
    if (!validate) {
      validate = ajvs().body.compile(SLACK_METADATA);
      cache.set('slack:metadata', validate);
    }
    if (parsed === undefined) say('request arguments', ['/metadata is not JSON']);
    else if (!validate(parsed))
      say(
        'request arguments',
        formatErrors(validate.errors).map((m) => `/metadata${m.startsWith('/ ') ? m.slice(1) : m}`),
      );
  }

  if (response) {
    const body = response.body;
    if (response.status !== 200) {
      const envelope = body as { ok?: unknown; error?: unknown } | undefined;
      if (body !== undefined && (envelope?.ok !== false || typeof envelope?.error !== 'string'))
        say(`response ${response.status} body`, ['a non-200 answer must be {ok:false, error:string}']);
    } else {
      const ok = (body as { ok?: unknown } | undefined)?.ok === true;
      const status = ok ? '200' : 'default';
      if (!op.responses[status]?.schema) say(`response ${status}`, ['not documented']);
      else {
        const validate = schemaAt(spec, 'paths', `/${apiMethod}`, verb, 'responses', status, 'schema');
        if (!validate(body)) say(`response ${status} body`, formatErrors(validate.errors));
      }
    }
  }
  return out;
}

/**
 * A post to an interaction's `response_url`. Not part of the Web API spec: this follows Slack's
 * "message responses" documentation (a JSON body; text and/or blocks; response_type, replace_original,
 * delete_original), with blocks checked against the spec's Block Kit definition.
 */
export function validateSlackResponseUrlPost(request: CallRequest): string[] {
  const spec = loadSlack();
  const out: string[] = [];
  const contentType = (header(request.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json')
    out.push(`POST response_url request header: content-type ${contentType || '(none)'} is not application/json`);
  let validate = cache.get('slack:response_url');
  if (!validate) {
    validate = ajvs().body.compile({
      type: 'object',
      additionalProperties: false,
      properties: {
        text: { type: 'string' },
        blocks: { $ref: `${spec.id}#/definitions/blocks` },
        attachments: { type: 'array', items: { type: 'object' } },
        response_type: { enum: ['ephemeral', 'in_channel'] },
        replace_original: { type: 'boolean' },
        delete_original: { type: 'boolean' },
        thread_ts: { type: 'string' },
        mrkdwn: { type: 'boolean' },
      },
      anyOf: [{ required: ['text'] }, { required: ['blocks'] }, { required: ['attachments'] }, { required: ['delete_original'] }],
    });
    cache.set('slack:response_url', validate);
  }
  if (!validate(request.json)) out.push(...formatErrors(validate.errors).map((m) => `POST response_url request body: ${m}`));
  return out;
}

// ---------------------------------------------------------------- Jira

function jiraParameters(spec: LoadedSpec, template: string, op: Operation): Parameter[] {
  const shared = (spec.paths[template] as unknown as { parameters?: Parameter[] }).parameters ?? [];
  return [...shared, ...(op.parameters ?? [])];
}

/** The spec's operationId for a Jira call, or null when the spec has no such operation. */
export function jiraOperationId(method: string, path: string): string | null {
  const found = findOperation(loadJira(), method, path.split('?')[0]);
  return found?.op.operationId ?? null;
}

/**
 * Checks one Jira Cloud REST call. `path` is the request path (`/rest/api/3/issue/WAR-1/transitions`),
 * matched against the spec's templates. Returns the violations.
 */
export function validateJiraCall(method: string, path: string, request: CallRequest, response?: CallResponse): string[] {
  const spec = loadJira();
  const bare = path.split('?')[0];
  const found = findOperation(spec, method, bare);
  const label = `${method.toUpperCase()} ${bare}`;
  if (!found) return [`${label}: no such operation in the Jira spec`];
  const { template, op, verb } = found;
  const out: string[] = [];
  const say = (where: string, messages: string[]) => messages.forEach((m) => out.push(`${label} (${op.operationId}) ${where}: ${m}`));

  const params = jiraParameters(spec, template, op);
  const templateSegments = template.split('/');
  const pathSegments = bare.split('/');
  const pathValues: Record<string, string> = {};
  templateSegments.forEach((segment, i) => {
    const name = /^\{(.+)\}$/.exec(segment)?.[1];
    if (name) pathValues[name] = decodeURIComponent(pathSegments[i]);
  });
  const pathParams = params.filter((p) => p.in === 'path');
  say('request path', checkParams(`jira:${verb}:${template}:path`, pathParams, pathValues));

  const queryParams = params.filter((p) => p.in === 'query');
  const query: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    const declared = queryParams.find((p) => p.name === name);
    const list = Array.isArray(value) ? value : [value];
    // Jira takes list parameters comma-separated or repeated.
    query[name] = declared?.schema?.type === 'array' ? list.flatMap((v) => v.split(',')) : list.length === 1 ? list[0] : list;
  }
  say('request query', checkParams(`jira:${verb}:${template}:query`, queryParams, query));

  const security = op.security ?? (spec.doc.security as Operation['security']);
  const anonymous = !security || security.some((s) => Object.keys(s).length === 0);
  if (!anonymous && !header(request.headers, 'authorization')) say('request header', ['no Authorization header']);

  const bodySpec = op.requestBody?.content?.['application/json'];
  if (request.json !== undefined) {
    const contentType = (header(request.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!op.requestBody) say('request body', ['the operation takes no body']);
    else if (contentType !== 'application/json') say('request header', [`content-type ${contentType || '(none)'} is not application/json`]);
    else if (bodySpec?.schema) {
      const validate = schemaAt(spec, 'paths', template, verb, 'requestBody', 'content', 'application/json', 'schema');
      if (!validate(request.json)) say('request body', formatErrors(validate.errors));
    }
  } else if (op.requestBody?.required) say('request body', ['required body missing']);

  if (response) {
    const status = String(response.status);
    const documented = op.responses[status] ? status : op.responses.default ? 'default' : null;
    if (!documented) {
      // Rate limits and outages are documented globally by Atlassian, not per operation.
      if (response.status !== 429 && response.status < 500) say(`response ${status}`, ['status not documented']);
    } else {
      const schema = op.responses[documented].content?.['application/json']?.schema;
      const emptySchema = schema !== undefined && Object.keys(schema).length === 0;
      if (schema && !emptySchema && response.body === undefined) say(`response ${status} body`, ['empty, a JSON body is documented']);
      else if (schema && !emptySchema) {
        const validate = schemaAt(spec, 'paths', template, verb, 'responses', documented, 'content', 'application/json', 'schema');
        if (!validate(response.body)) say(`response ${status} body`, formatErrors(validate.errors));
      }
    }
  }
  return out;
}
