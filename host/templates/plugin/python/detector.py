"""{{name}}: flags calls made by the AWS root user itself (MITRE T1078.004, valid cloud
accounts). Change `on_events` to detect what you need; `trailhound plugin test
plugins/{{name}}/cases.yaml` runs the cases through the real host.

componentize-py makes a new `WitWorld` for each exported call, so state lives at module level.
"""

from typing import List

import wit_world
from wit_world.imports.types import Event, Finding, Info, Severity, StateScope

NAME = "{{name}}"


class WitWorld(wit_world.WitWorld):
    def info(self) -> Info:
        return Info(name=NAME, version="0.1.0", sources=["aws-cloudtrail"], actions=[], fields=[],
                    wants_raw=False, state=StateScope.NONE)

    def configure(self, config: str) -> None:
        pass

    def on_events(self, batch: List[Event]) -> List[Finding]:
        return [root_call(event) for event in batch if event.actor.kind == "Root" and not event.actor.invoked_by]

    def on_tick(self, now: int) -> List[Finding]:
        return []

    def snapshot(self) -> bytes:
        return b""

    def restore(self, state: bytes) -> None:
        pass


def root_call(event: Event) -> Finding:
    return Finding(rule_id=f"{NAME}.root-activity", title=f"Root account called {event.action}",
                   severity=Severity.HIGH, summary=f"the root user of {event.account} called {event.action}",
                   actor=event.actor.id, event_ids=[event.id], techniques=["T1078.004"], tags=[], evidence=[])
