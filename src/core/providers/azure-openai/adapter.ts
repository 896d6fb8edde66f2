// Azure OpenAI: the OpenAI wire format behind Azure's URLs and `api-key` auth. Chat, legacy
// completions and embeddings go to the deployment named by the body's `model`
// (`{base}/openai/deployments/{model}/...?api-version=`); the Responses API goes to the v1 surface
// (`{base}/openai/v1/responses`), which takes no dated api-version (only `preview` / `latest`).
import { ProviderRequestError } from '../errors.js';
import { OPENAI_FORWARDED_HEADERS } from '../openai/adapter.js';
import { OPENAI_ENDPOINTS, openaiStreamTap, openaiUsageFromJson, parseOpenAIModels, withInjectedUsage } from '../openai/wire.js';
import { assertServes, baseHeaders, bodyBytes, resolveBase } from '../request.js';
import type { BuildRequestInput, Endpoint, ProviderAdapter, UpstreamRequest } from '../types.js';

/** The latest GA dated version, used for deployment routes when none is configured. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** api-version labels the v1 surface understands; anything else is omitted there. */
const V1_API_VERSIONS = new Set(['preview', 'latest']);

const DEPLOYMENT_PATHS: Readonly<Partial<Record<Endpoint, string>>> = {
  'chat.completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

/** Accepts the resource endpoint with or without a trailing `/openai` or `/openai/v1`. */
function resourceBase(base: string): string {
  return base.replace(/\/openai(?:\/v1)?$/, '');
}

function query(search: string, apiVersion: string | undefined): string {
  const params = new URLSearchParams(search);
  params.delete('api-version');
  if (apiVersion !== undefined) params.set('api-version', apiVersion);
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function buildAzureRequest(input: BuildRequestInput): UpstreamRequest {
  assertServes(azureOpenAIAdapter, input.endpoint);
  const base = resourceBase(resolveBase(azureOpenAIAdapter, input));
  const version = input.provider.apiVersion || AZURE_DEFAULT_API_VERSION;
  let url: string;
  const deploymentPath = DEPLOYMENT_PATHS[input.endpoint];
  if (deploymentPath !== undefined) {
    const model = input.body?.model;
    if (typeof model !== 'string' || model === '') {
      throw new ProviderRequestError(400, 'Azure OpenAI needs `model` in the request body: it names the deployment');
    }
    url = `${base}/openai/deployments/${encodeURIComponent(model)}${deploymentPath}${query(input.search, version)}`;
  } else if (input.endpoint === 'responses') {
    url = `${base}/openai/v1/responses${query(input.search, V1_API_VERSIONS.has(version) ? version : undefined)}`;
  } else {
    url = `${base}/openai/models${query(input.search, version)}`;
  }
  const rewritten = withInjectedUsage(input);
  const headers = baseHeaders(input, OPENAI_FORWARDED_HEADERS);
  if (input.credential !== undefined && input.credential !== '') headers['api-key'] = input.credential;
  return {
    method: input.endpoint === 'models' ? 'GET' : 'POST',
    url,
    headers,
    body: input.endpoint === 'models' ? undefined : bodyBytes(input, rewritten),
    injectedUsage: rewritten !== undefined,
  };
}

export const azureOpenAIAdapter: ProviderAdapter = {
  type: 'azure-openai',
  family: 'openai',
  defaultBaseUrl: undefined,
  envKey: 'AZURE_OPENAI_API_KEY',
  endpoints: OPENAI_ENDPOINTS,
  buildRequest: buildAzureRequest,
  usageFromJson: openaiUsageFromJson,
  createStreamTap: openaiStreamTap,
  parseModels: parseOpenAIModels,
};
