#!/usr/bin/env node
// The `earshot` command. `npm install` links it into node_modules/.bin (the @earshot/cli workspace
// package's bin), so `npx earshot <command>` runs it. TypeScript runs through @swc-node/register
// against the repository's tsconfig, wherever it is called from.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', '..', '..', 'tsconfig.json');
require('@swc-node/register');
require('../src/main.ts');
