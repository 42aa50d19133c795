import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudtrail, run } from 'trailhound/testing';
import plugin from './detector.js';

test('a root call fires and a user call does not', () => {
  const { findings } = run(plugin, [
    cloudtrail({ eventID: 'by-root', eventName: 'CreateUser', userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root' } }),
    cloudtrail({ eventID: 'by-user', eventName: 'CreateUser', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' } }),
  ]);
  assert.deepEqual(findings.map((f) => [f.ruleId, f.eventIds]), [['{{name}}.root-activity', ['by-root']]]);
});
