#!/usr/bin/env node
// The `earshot` command (a bin of the root package: `npx earshot <command>`). TypeScript runs
// through @swc-node/register against this repository's tsconfig, wherever it is called from.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.json');
require('@swc-node/register');
require('../apps/cli/src/main.ts');
