#!/bin/sh
# Runs an example binary given as $1 with the remaining arguments; fails if it fails.
set -e
exec "$@"
