/* Compiled from ../src by `npm run openapi` at the repository root: do not edit. */
/* eslint-disable */
"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.createProvisionerClient = createProvisionerClient;
const openapi_fetch_1 = __importDefault(require("openapi-fetch"));
/**
 * A typed client for the provisioning service (openapi-fetch over the service's OpenAPI document).
 * Requests are never cached (`cache: 'no-store'` unless you pass another `cache`): every answer is
 * live state, and a credentials reveal must never be kept.
 */
function createProvisionerClient({ baseUrl, token, headers, ...options }) {
    return (0, openapi_fetch_1.default)({
        cache: 'no-store',
        ...options,
        baseUrl: baseUrl.replace(/\/+$/, ''),
        headers: { ...headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
    });
}
