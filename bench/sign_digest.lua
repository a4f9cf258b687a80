-- wrk script for bench/key_ops.sh: every request signs a FRESH random 32-byte digest.
-- Usage: wrk -t2 -c32 -d10s -s bench/sign_digest.lua -H "Authorization: Bearer <token>" \
--          https://127.0.0.1:<port> -- <path> <alg> <seed> [show]
--   path: /keys/<name>/<version>/sign?api-version=7.6     alg: RS256 | ES256 | ...
--   seed: a number; each thread seeds math.random with seed + its thread index, so threads (and
--         runs with different seeds) draw different digests.
--   show: optional; print the first <show> request bodies of each thread to stdout (the script's
--         smoke check uses it to see that digests are well-formed and never repeat).
-- The body is {"alg":"<alg>","value":"<base64url of 32 random bytes, 43 chars, no padding>"},
-- built per request (math.random bytes -> base64url); nothing is reused between requests.

local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local sym = {}
for i = 1, 64 do sym[i - 1] = B64:sub(i, i) end

local floor, random = math.floor, math.random
local bytes = {}
local out = {}

-- base64url (no padding) of 32 fresh random bytes: 10 full 3-byte groups + 2 bytes -> 43 chars.
local function random_digest_b64url()
  for i = 1, 32 do bytes[i] = random(0, 255) end
  local k = 0
  for i = 1, 30, 3 do
    local v = bytes[i] * 65536 + bytes[i + 1] * 256 + bytes[i + 2]
    out[k + 1] = sym[floor(v / 262144)]
    out[k + 2] = sym[floor(v / 4096) % 64]
    out[k + 3] = sym[floor(v / 64) % 64]
    out[k + 4] = sym[v % 64]
    k = k + 4
  end
  local v = bytes[31] * 65536 + bytes[32] * 256
  out[k + 1] = sym[floor(v / 262144)]
  out[k + 2] = sym[floor(v / 4096) % 64]
  out[k + 3] = sym[floor(v / 64) % 64]
  return table.concat(out, "", 1, 43)
end

function init(args)
  path = args[1] or error("sign_digest.lua: missing <path> argument")
  alg = args[2] or error("sign_digest.lua: missing <alg> argument")
  local seed = tonumber(args[3]) or error("sign_digest.lua: missing numeric <seed> argument")
  show = tonumber(args[4] or "0") or 0
  math.randomseed(seed + tid * 1000003)
  -- LuaJIT's generator: discard a few draws after seeding.
  for _ = 1, 16 do random() end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  prefix = '{"alg":"' .. alg .. '","value":"'
  shown = 0
end

function request()
  local body = prefix .. random_digest_b64url() .. '"}'
  if shown < show then
    shown = shown + 1
    io.write("body t", tid, " ", body, "\n")
  end
  return wrk.format(nil, path, nil, body)
end
