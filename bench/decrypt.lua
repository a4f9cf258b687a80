-- wrk script for bench/key_ops.sh: RSA decrypt, cycling through a pool of distinct ciphertexts
-- prepared before the run (one base64url ciphertext per line in <pool-file>).
-- Usage: wrk -t2 -c32 -d10s -s bench/decrypt.lua -H "Authorization: Bearer <token>" \
--          https://127.0.0.1:<port> -- <path> <alg> <pool-file>
--   path: /keys/<name>/<version>/decrypt?api-version=7.6     alg: RSA-OAEP | RSA-OAEP-256 | RSA1_5
-- Each thread starts at its own offset into the pool and advances one entry per request,
-- wrapping around, so a thread sends all N ciphertexts before it repeats one.

local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  path = args[1] or error("decrypt.lua: missing <path> argument")
  local alg = args[2] or error("decrypt.lua: missing <alg> argument")
  local file = args[3] or error("decrypt.lua: missing <pool-file> argument")
  bodies = {}
  for line in io.lines(file) do
    if #line > 0 then
      bodies[#bodies + 1] = '{"alg":"' .. alg .. '","value":"' .. line .. '"}'
    end
  end
  if #bodies == 0 then error("decrypt.lua: empty pool file " .. file) end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  idx = (tid * 7919) % #bodies  -- a per-thread starting point, whatever N is
end

function request()
  idx = idx % #bodies + 1
  return wrk.format(nil, path, nil, bodies[idx])
end
