#!/usr/bin/env bash
# The server's memory while it receives a whole-vault archive upload (PUT /restore, issue 9):
# BODY_MB (200) of random bytes sent to the default vault; the server reads them all (spooled to
# an unnamed file, docs/decisions.md), then refuses them as not an archive (400). Prints VmHWM
# idle and after, which shows whether the body was held in memory.
# Environment: BODY_MB, COFFER_BIN, BUILD_DIR (see bench/lib.sh).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/lib.sh"

BODY_MB=${BODY_MB:-200}

trap cleanup_common EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need curl awk head

hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

make_workdir
head -c $((BODY_MB * 1024 * 1024)) /dev/urandom >"$WORK/upload.bin"
start_coffer
fetch_token
ca=$DATA_DIR/tls/ca.pem
curl -sS --max-time 10 --cacert "$ca" -o /dev/null -H "Authorization: Bearer $TOKEN" \
  "$COFFER_URL/secrets?api-version=7.6" || die "the server does not answer"
idle=$(hwm_kb "$COFFER_PID")
code=$(curl -sS --max-time 120 --cacert "$ca" -o "$WORK/answer" -w '%{http_code}' -X PUT \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/octet-stream' \
  --data-binary @"$WORK/upload.bin" "$COFFER_URL/restore?api-version=7.6")
after=$(hwm_kb "$COFFER_PID")
echo "== bench/restore_upload.sh: PUT /restore of $BODY_MB MB (coffer $COFFER_BIN)"
print_host
echo "answer:            $code $(head -c 160 "$WORK/answer")"
echo "VmHWM idle:        $((idle / 1024)) MB"
echo "VmHWM after:       $((after / 1024)) MB (peak while receiving and checking the upload)"
