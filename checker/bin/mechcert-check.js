#!/usr/bin/env node
// The package's `mechcert-check` executable: the built command line (dist/cli.js). A committed launcher, so that npm
// can link the bin when it installs the workspace, before `prepare` has built dist/.
await import('../dist/cli.js');
