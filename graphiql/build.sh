#!/usr/bin/env bash
# Rebuild GraphiQL's committed bundle (api/static/graphiql/graphiql.min.js and .css) from the npm packages
# pinned in package.json / package-lock.json. Needs Node.js and npm (build time only: `pip install` does not).
# Usage: graphiql/build.sh   (then run the tests and commit api/static/graphiql/)
set -euo pipefail
cd "$(dirname "$0")"
OUT=../api/static/graphiql
npm ci --no-audit --no-fund
npx esbuild entry.js --bundle --minify --format=iife --target=es2020 --legal-comments=external \
    --define:process.env.NODE_ENV='"production"' --loader:.woff=dataurl --loader:.woff2=dataurl \
    --outfile="$OUT/graphiql.min.js"
ls -l "$OUT"
