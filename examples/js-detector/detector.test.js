// Native tests of the detector's logic: node --test, no WASM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudtrail, run } from 'trailhound/testing';
import plugin from './detector.js';

const createKey = (creator, user, extra = {}) => cloudtrail({
  eventName: 'CreateAccessKey', eventSource: 'iam.amazonaws.com', sourceIPAddress: '198.51.100.7',
  userIdentity: { type: 'IAMUser', userName: creator, arn: `arn:aws:iam::111122223333:user/${creator}` },
  requestParameters: { userName: user }, ...extra,
});

test('a key created for another user fires, naming both', () => {
  const { findings } = run(plugin, [createKey('mallory', 'alice')]);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].ruleId, 'aws.iam.access-key-for-another-user');
  assert.equal(findings[0].summary, 'mallory created an access key for alice');
  assert.deepEqual(findings[0].techniques, ['T1098.001']);
  assert.equal(findings[0].actor, 'arn:aws:iam::111122223333:user/mallory');
});

test('near misses: a key for oneself, a failed call, an allowed creator', () => {
  const events = [createKey('alice', 'alice'), createKey('mallory', 'alice', { errorCode: 'AccessDenied' }), createKey('ops-bot', 'alice')];
  assert.deepEqual(run(plugin, events, { config: { allowed_creators: ['ops-bot'] } }).findings, []);
});

test('an unknown config key is refused', () => {
  assert.throws(() => run(plugin, [], { config: { allowed: [] } }), /unknown config key\(s\): allowed/);
});
