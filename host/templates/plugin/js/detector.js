// {{name}}: flags calls made by the AWS root user itself (MITRE T1078.004, valid cloud
// accounts). Change `onEvent` to detect what you need; `node --test plugins/{{name}}/` runs
// the tests beside it natively, `trailhound plugin test plugins/{{name}}/cases.yaml` runs the
// cases through the real host.
import { detector, finding } from 'trailhound';

export default detector({
  name: '{{name}}',
  version: '0.1.0',
  state: 'none',
  onEvent(event) {
    if (event.actor.kind !== 'Root' || event.actor.invokedBy) return;
    return finding({
      ruleId: '{{name}}.root-activity',
      title: `Root account called ${event.action}`,
      severity: 'high',
      summary: `the root user of ${event.account} called ${event.action}`,
      techniques: ['T1078.004'],
    });
  },
});
