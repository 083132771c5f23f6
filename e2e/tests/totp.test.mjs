// The test's own TOTP implementation against the RFC 6238 vectors (SHA-1), so a failing login is never the
// test's arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, totpCode } from '../totp.mjs';

test('RFC 6238 test vectors (last six digits)', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
  assert.equal(base32Decode(secret).toString(), '12345678901234567890');
  for (const [time, code] of [
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
    [20000000000, '353130'],
  ]) {
    assert.equal(totpCode(secret, Math.floor(time / 30)), code, `time ${time}`);
  }
});
