#!/bin/sh
# The image's entrypoint: `sanctuary-api "$@"`, refusing to start a command that uses the database without
# DATABASE_URL and a key-encryption key from outside the container: the image never runs the embedded
# PostgreSQL or creates a key file, whose contents would die with the container (and differ between instances).
set -eu

case "${1:-}" in
    "" | -h | --help | keys)
        # `keys generate` prints a new key; the other `keys` commands are checked by sanctuary-api itself
        if [ "${1:-}" != keys ] || [ "${2:-}" = generate ]; then
            exec sanctuary-api "$@"
        fi
        ;;
esac

if [ -z "${DATABASE_URL:-}" ] && [ -z "${SANCTUARY_DATABASE_URL:-}" ]; then
    echo "DATABASE_URL is required (a postgresql:// URL): this image does not run an embedded PostgreSQL" >&2
    exit 2
fi
if [ -z "${SANCTUARY_MASTER_KEY:-}" ] && [ -z "${SANCTUARY_KEY_FILE:-}" ]; then
    echo "SANCTUARY_MASTER_KEY or SANCTUARY_KEY_FILE is required: every instance needs the same key-encryption key" >&2
    exit 2
fi
exec sanctuary-api "$@"
