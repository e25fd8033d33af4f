/**
 * The coordinator's commit, one Lua script so that Redis runs it atomically: fenced by the lease
 * (a coordinator that lost its lease cannot write) and by the stored version (no two commits
 * from the same base), it stores the checkpoint, the globals and the version, records the applied
 * batch ids (refusing any that were applied before), acknowledges the batches and contributions
 * it covers, sends stale batches back to the input stream, and appends a snapshot.
 *
 * KEYS: lease, checkpoint, globals, version, applied, log, batches, contributions, metrics, snapshots
 * ARGV: holder, base version, new version, checkpoint bytes, globals bytes, snapshot bytes ("" for none),
 *       snapshot max length, #applied, #batch acks, #contribution acks, #requeues, #metric pairs,
 *       then the applied ids, batch entry ids, contribution entry ids, requeued entry ids, metric field/value pairs.
 */
export const COMMIT_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('VIREO_LEASE_LOST the coordinator lease is held by another process')
end
local stored = tonumber(redis.call('GET', KEYS[4]) or '0')
if stored ~= tonumber(ARGV[2]) then
  return redis.error_reply('VIREO_VERSION_CONFLICT stored version ' .. stored .. ', commit based on ' .. ARGV[2])
end
local nApplied, nAckB, nAckC, nRequeue, nMetrics = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local i = 13
for j = i, i + nApplied - 1 do
  if redis.call('SISMEMBER', KEYS[5], ARGV[j]) == 1 then
    return redis.error_reply('VIREO_DUPLICATE batch ' .. ARGV[j] .. ' was applied before')
  end
end
if nApplied > 0 then
  redis.call('SET', KEYS[2], ARGV[4])
  redis.call('SET', KEYS[3], ARGV[5])
  redis.call('SET', KEYS[4], ARGV[3])
  for j = i, i + nApplied - 1 do
    redis.call('SADD', KEYS[5], ARGV[j])
    redis.call('RPUSH', KEYS[6], ARGV[j])
  end
end
i = i + nApplied
for j = i, i + nAckB - 1 do redis.call('XACK', KEYS[7], 'workers', ARGV[j]) end
i = i + nAckB
for j = i, i + nAckC - 1 do redis.call('XACK', KEYS[8], 'coordinator', ARGV[j]) end
i = i + nAckC
for j = i, i + nRequeue - 1 do
  local e = redis.call('XRANGE', KEYS[7], ARGV[j], ARGV[j])
  if #e > 0 then
    redis.call('XADD', KEYS[7], '*', unpack(e[1][2]))
    redis.call('XACK', KEYS[7], 'workers', ARGV[j])
    redis.call('XDEL', KEYS[7], ARGV[j])
  end
end
i = i + nRequeue
for j = i, i + 2 * nMetrics - 1, 2 do redis.call('HSET', KEYS[9], ARGV[j], ARGV[j + 1]) end
if ARGV[6] ~= '' then
  redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[7], '*', 's', ARGV[6])
end
return 'OK'
`;

/** Renews the lease only if we still hold it: 1 renewed, 0 lost. */
export const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Releases the lease only if we hold it. */
export const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
