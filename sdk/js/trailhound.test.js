// The SDK's own checks: what an author gets wrong is said at once, in their terms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detector, finding } from 'trailhound';
import { cloudtrail, run } from 'trailhound/testing';

const base = { ruleId: 'r', title: 't', severity: 'low', summary: 's' };

test('an unknown severity or key is refused, naming it', () => {
  assert.throws(() => finding({ ...base, severity: 'urgent' }), /unknown severity "urgent": one of info, low, medium, high, critical/);
  assert.throws(() => finding({ ...base, rule: 'x' }), /unknown key\(s\) rule/);
  assert.throws(() => detector({ name: 'd', version: '1', onEvent() {}, feilds: [] }), /unknown key\(s\) feilds/);
  assert.throws(() => detector({ name: 'd', version: '1', onEvent() {}, fields: ['requestParameters.x'] }), /is not a JSONPath/);
});

test('reading a field the detector did not declare throws', () => {
  const plugin = detector({ name: 'd', version: '1', fields: ['$.a'], onEvent: (event) => { event.field('$.b'); } });
  assert.throws(() => run(plugin, [cloudtrail({ eventName: 'X', a: 1 })]), /field "\$\.b" is not declared in the detector's fields \(\["\$\.a"\]\)/);
});

test('findings take the event id and actor by default; fields are projected by path', () => {
  const plugin = detector({
    name: 'd', version: '1', fields: ["$.requestParameters['bucketName']", '$.missing'],
    onEvent: (event) => finding({ ...base, summary: `${event.field("$.requestParameters['bucketName']")} ${event.field('$.missing')}` }),
  });
  const event = cloudtrail({ eventID: 'e1', eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'logs' }, userIdentity: { arn: 'arn:aws:iam::1:user/u' } });
  const [found] = run(plugin, [event]).findings;
  assert.deepEqual([found.summary, found.eventIds, found.actor], ['logs undefined', ['e1'], 'arn:aws:iam::1:user/u']);
});
