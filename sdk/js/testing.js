// Runs a JavaScript detector under node's test runner, with no WASM: events built like the
// host builds them (projected fields included), findings back as the host gets them.
//
//   import { test } from 'node:test';
//   import { cloudtrail, run } from 'trailhound/testing';
//   import plugin from './detector.js';
//   test('fires', () => { const { findings } = run(plugin, [cloudtrail({ ... })]); ... });

import { bind } from './trailhound.js';

let sequence = 0;

/**
 * A CloudTrail event as the host hands it on: `eventName`, `userIdentity` and the rest as in
 * a CloudTrail record (`raw`); the projected fields are read from it by `run`.
 */
export function cloudtrail(record) {
  const identity = record.userIdentity ?? {};
  const account = identity.accountId ?? record.recipientAccountId ?? '111122223333';
  const name = identity.userName ?? identity.arn?.split('/').pop();
  return {
    id: record.eventID ?? `event-${++sequence}`,
    time: BigInt(Date.parse(record.eventTime ?? '2026-11-03T10:00:00Z')),
    provider: 'aws', source: 'aws-cloudtrail', category: 'api',
    service: (record.eventSource ?? '').split('.')[0], action: record.eventName,
    accessLevel: '', success: !record.errorCode, errorCode: record.errorCode, errorMessage: record.errorMessage,
    readOnly: Boolean(record.readOnly), management: true, account, region: record.awsRegion ?? 'us-east-1',
    actor: {
      id: identity.arn ?? identity.principalId ?? '', kind: identity.type ?? 'IAMUser', account, name,
      accessKey: identity.accessKeyId, mfa: identity.sessionContext?.attributes?.mfaAuthenticated === 'true',
    },
    sourceIp: record.sourceIPAddress, userAgent: record.userAgent, resources: [],
    raw: JSON.stringify(record),
  };
}

/** The value at a dotted JSONPath (`$.a.b`, `$.a['b']`) of `value`, as the host renders it. */
function project(value, path) {
  const steps = path.replace(/^\$/, '').match(/\.[^.[]+|\['[^']*'\]/g) ?? [];
  let at = value;
  for (const step of steps) {
    at = at?.[step.startsWith('.') ? step.slice(1) : step.slice(2, -2)];
  }
  if (at === undefined || at === null) return undefined;
  return typeof at === 'string' ? at : JSON.stringify(at);
}

/**
 * Runs `plugin` over `events` (from `cloudtrail`) with `config`: its findings, and what it
 * logged and counted. Events whose action the plugin does not ask for are not handed to it,
 * as the host filters them.
 */
export function run(plugin, events, { config = {} } = {}) {
  const logs = [];
  const counters = {};
  const host = {
    log: (level, message) => logs.push({ level, message }),
    counterAdd: (name, delta) => { counters[name] = (counters[name] ?? 0n) + delta; },
    gaugeSet: () => {},
  };
  const exports = bind(plugin, host);
  exports.configure(JSON.stringify(config));
  const wanted = events.filter((event) => !plugin.actions.length || plugin.actions.includes(event.action));
  const batch = wanted.map((event) => ({ ...event, fields: plugin.fields.map((path) => project(JSON.parse(event.raw), path)), raw: plugin.wantsRaw ? event.raw : undefined }));
  const findings = exports.onEvents(batch);
  return { findings, logs, counters };
}
