// An access key created for another IAM user: a way to keep access to an account (MITRE
// T1098.001, additional cloud credentials). Written in JavaScript with the SDK in sdk/js.
import { detector, finding } from 'trailhound';

const USER = '$.requestParameters.userName';
let allowed = [];

export default detector({
  name: 'access-key-for-another-user',
  version: '0.1.0',
  actions: ['CreateAccessKey'],
  fields: [USER],
  configure(config) {
    const { allowed_creators: creators = [], ...unknown } = config;
    if (Object.keys(unknown).length) throw new Error(`unknown config key(s): ${Object.keys(unknown).join(', ')}`);
    allowed = creators;
  },
  onEvent(event) {
    const user = event.field(USER);
    if (!event.success || !user || user === event.actor.name || allowed.includes(event.actor.name)) return;
    return finding({
      ruleId: 'aws.iam.access-key-for-another-user',
      title: 'Access key created for another user',
      severity: 'medium',
      summary: `${event.actor.name ?? event.actor.id} created an access key for ${user}`,
      techniques: ['T1098.001'],
      tags: ['persistence', 'iam'],
      evidence: { user, source_ip: event.sourceIp ?? '' },
    });
  },
});
