#!/usr/bin/env bash
# Rebuild GraphiQL's committed bundle (api/static/graphiql/graphiql.min.js and .css) from the npm packages
# pinned in package.json / package-lock.json. Needs Node.js and npm (build time only: `pip install` does not).
# The page's own scripts (api/static/graphiql/signin.js, bootstrap.js) are not bundled: they are served as is.
# Usage: graphiql/build.sh           (then run the tests and commit api/static/graphiql/)
#        graphiql/build.sh --check   (build into a temporary folder; fail unless it equals the committed files)
set -euo pipefail
cd "$(dirname "$0")"
COMMITTED=../api/static/graphiql
OUT=$COMMITTED
if [ "${1:-}" = "--check" ]; then
    OUT="$(mktemp -d)"
    trap 'rm -rf "$OUT"' EXIT
fi
npm ci --no-audit --no-fund
npx esbuild entry.js --bundle --minify --format=iife --target=es2020 --legal-comments=external \
    --define:process.env.NODE_ENV='"production"' --loader:.woff=dataurl --loader:.woff2=dataurl \
    --outfile="$OUT/graphiql.min.js"
if [ "$OUT" != "$COMMITTED" ]; then
    for name in graphiql.min.js graphiql.min.css graphiql.min.js.LEGAL.txt graphiql.min.css.LEGAL.txt; do
        cmp "$OUT/$name" "$COMMITTED/$name" || { echo "$name differs from the committed build" >&2; exit 1; }
    done
    echo "the committed bundle is what the pinned packages build"
else
    ls -l "$OUT"
fi
