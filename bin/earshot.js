#!/usr/bin/env node
// `node bin/earshot.js <command>` from the repository root; the same as `npx earshot <command>`.
require('../apps/cli/bin/earshot.js');
