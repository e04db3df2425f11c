#!/usr/bin/env node
// The repository's mechcert-check: the built checker package (checker/dist, made by `npm run build`), the same code an
// auditor installs from its tarball.
await import('../checker/dist/cli.js');
