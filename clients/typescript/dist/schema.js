/* Compiled from ../src by `npm run openapi` at the repository root: do not edit. */
/* eslint-disable */
"use strict";
/**
 * The types of the vps-provisioner API, generated from openapi.json by openapi-typescript.
 * Do not edit: run `npm run openapi` at the repository root.
 */
Object.defineProperty(exports, "__esModule", { value: true });
