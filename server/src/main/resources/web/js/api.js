// The API client: JSON over fetch with the signed-in token as a Bearer header. The token lives in sessionStorage
// (this tab only, gone when it closes) and is never put in a cookie, so there is nothing a forged cross-site request
// could ride on.

import { currentOrg, withOrg } from './orgs.js';

const TOKEN_KEY = 'iac-runner.token';
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};

/** Called when the server refuses the token (401): the session is over. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

async function request(method, path, body, tokenOverride) {
  const headers = { Accept: 'application/json' };
  const bearer = tokenOverride ?? token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(API + withOrg(path, currentOrg.get()), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `the server could not be reached (${e.message})`);
  }
  if (response.ok) return response;
  let code = `http_${response.status}`;
  let message = `${method} ${path}: HTTP ${response.status}`;
  try {
    const error = (await response.json()).error;
    if (error) ({ code, message } = error);
  } catch {
    // not the API's JSON error shape: keep the status line
  }
  if (response.status === 401 && tokenOverride === undefined) onUnauthorized(message);
  throw new ApiError(response.status, code, message);
}

export const api = {
  get: async (path, tokenOverride) => (await request('GET', path, undefined, tokenOverride)).json(),
  post: async (path, body = {}) => {
    const response = await request('POST', path, body);
    return response.status === 204 ? null : response.json();
  },
  /** Saves what `path` returns as a file called `filename` (the token must go in a header, so no plain link). */
  download: async (path, filename) => {
    const blob = await (await request('GET', path)).blob();
    const url = URL.createObjectURL(blob);
    const link = Object.assign(document.createElement('a'), { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
};

/** URL path segment, encoded. */
export const seg = encodeURIComponent;
