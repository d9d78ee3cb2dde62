/**
 * The dataset store's Lua scripts (dataset-store.ts): indexing a version whose chunks are written,
 * and removing one, each atomic in Redis so the index, the chunk reference counts and the bytes used
 * always agree.
 */

/**
 * Indexes a version whose chunks are written (KEYS: index, chunk refs, bytes used; ARGV: id, info
 * JSON, budget (0: none), chunk key prefix, then every chunk id, in order, repeats included).
 * Returns {1} indexed, {0} already indexed (with chunks), {-1, i} chunk i is gone (removed meanwhile),
 * {-2, used, more} past the budget. Only chunks no version referred to before count as new bytes.
 */
export const COMMIT_VERSION = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing and string.find(existing, '"chunks"', 1, true) then return {0} end
local more = 0
local seen = {}
for i = 5, #ARGV do
  local key = ARGV[4] .. ARGV[i]
  if redis.call('EXISTS', key) == 0 then return {-1, i - 5} end
  if not seen[ARGV[i]] and redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then more = more + redis.call('STRLEN', key) end
  seen[ARGV[i]] = true
end
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
local budget = tonumber(ARGV[3])
if budget > 0 and used + more > budget then return {-2, used, more} end
for i = 5, #ARGV do
  redis.call('HINCRBY', KEYS[2], ARGV[i], 1)
  redis.call('PERSIST', ARGV[4] .. ARGV[i])
end
redis.call('INCRBY', KEYS[3], more)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1}
`;

/**
 * Removes a version (KEYS: index, chunk refs, bytes used; ARGV: id, chunk key prefix, the key of its
 * bytes before chunks): its index entry, and each chunk no other version refers to. Returns the bytes
 * freed, or -1 when there is no such version.
 */
export const REMOVE_VERSION = `
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return -1 end
local info = cjson.decode(json)
redis.call('HDEL', KEYS[1], ARGV[1])
local freed = 0
if info.chunks then
  for _, column in ipairs(info.chunks) do
    for _, chunk in ipairs(column) do
      if redis.call('HINCRBY', KEYS[2], chunk, -1) <= 0 then
        redis.call('HDEL', KEYS[2], chunk)
        local key = ARGV[2] .. chunk
        freed = freed + redis.call('STRLEN', key)
        redis.call('DEL', key)
      end
    end
  end
  redis.call('DECRBY', KEYS[3], freed)
else
  freed = redis.call('STRLEN', ARGV[3])
  redis.call('DEL', ARGV[3])
end
return freed
`;
