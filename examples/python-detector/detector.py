"""AWS console sign-in detector, written in Python to show the contract is not Rust-only.

It reports two things about `ConsoleLogin` events:

* ``aws.console.login-without-mfa``: a successful console sign-in that did not use MFA
  (MITRE T1078.004, valid cloud accounts). A root sign-in without MFA is critical.
* ``aws.console.repeated-login-failures``: the same principal failing to sign in
  ``threshold`` times within ``window_minutes`` (MITRE T1110, brute force).

CloudTrail records a failed console sign-in without an ``errorCode`` (only
``responseElements.ConsoleLogin == "Failure"`` and an ``errorMessage``), so the normalized
``success`` flag cannot tell; the detector asks the host to project the two fields it needs.

Time only comes from the events themselves, so a replay of the same log gives the same
findings: no clock, no randomness.
"""

import json
from typing import Dict, List, Optional

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    Event,
    Evidence,
    Finding,
    Info,
    LogLevel,
    Severity,
    StateScope,
)

NAME = "console-login"
VERSION = "0.1.0"

# The projected fields, in the order the host fills `event.fields`.
FIELDS = [
    "$.additionalEventData.MFAUsed",
    "$.responseElements.ConsoleLogin",
]
MFA_USED = 0
LOGIN_RESULT = 1

MINUTE_MS = 60 * 1000

# Defaults match common brute-force guidance (AWS Security Hub, Sigma): a handful of
# failures inside a short window; both are plugin config keys.
DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW_MINUTES = 10


class Config:
    """The plugin's configuration, parsed from the JSON the host passes to `configure`."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD, window_minutes: int = DEFAULT_WINDOW_MINUTES):
        self.threshold = threshold
        self.window_ms = window_minutes * MINUTE_MS

    @staticmethod
    def parse(text: str) -> "Config":
        if not text.strip():
            return Config()
        value = json.loads(text)
        if value is None:
            return Config()
        if not isinstance(value, dict):
            raise ValueError("config must be a JSON object")
        unknown = sorted(set(value) - {"threshold", "window_minutes"})
        if unknown:
            raise ValueError("unknown config key(s): " + ", ".join(unknown))
        threshold = value.get("threshold", DEFAULT_THRESHOLD)
        window = value.get("window_minutes", DEFAULT_WINDOW_MINUTES)
        for key, number in (("threshold", threshold), ("window_minutes", window)):
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise ValueError(key + " must be a positive integer")
        return Config(threshold, window)


def principal(event: Event) -> str:
    """The key failures are counted under: the user name when CloudTrail has one."""
    actor = event.actor
    if actor.name:
        return actor.account + "/" + actor.name
    return actor.id


def projected(event: Event, index: int) -> Optional[str]:
    if index < len(event.fields):
        return event.fields[index]
    return None


class ConsoleLogin:
    """The detector's state and logic: one per component instance, see `DETECTOR` below."""

    def __init__(self) -> None:
        self.config = Config()
        # principal -> [(time ms, event id)] of recent failures, oldest first.
        self.failures: Dict[str, List[List]] = {}

    def configure(self, config: str) -> None:
        try:
            self.config = Config.parse(config)
        except ValueError as error:
            raise Err("console-login config: " + str(error))

    def on_events(self, batch: List[Event]) -> List[Finding]:
        findings: List[Finding] = []
        for event in batch:
            if event.action != "ConsoleLogin":
                continue
            result = projected(event, LOGIN_RESULT)
            if result == "Failure" or event.error_message == "Failed authentication":
                finding = self.record_failure(event)
                if finding is not None:
                    findings.append(finding)
            elif result == "Success" or (result is None and event.success):
                finding = self.check_mfa(event)
                if finding is not None:
                    findings.append(finding)
        if findings:
            host.counter_add("findings", len(findings))
        return findings

    def on_tick(self, now: int) -> List[Finding]:
        # Forget failures that fell out of the window so state does not grow without bound.
        for key in list(self.failures):
            recent = [f for f in self.failures[key] if now - f[0] <= self.config.window_ms]
            if recent:
                self.failures[key] = recent
            else:
                del self.failures[key]
        return []

    def snapshot(self) -> bytes:
        return json.dumps({"failures": self.failures}, sort_keys=True).encode("utf-8")

    def restore(self, state: bytes) -> None:
        try:
            value = json.loads(bytes(state).decode("utf-8"))
            self.failures = {str(k): [[int(t), str(i)] for t, i in v] for k, v in value["failures"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise Err("console-login snapshot is unreadable: " + str(error))

    def check_mfa(self, event: Event) -> Optional[Finding]:
        mfa_used = projected(event, MFA_USED)
        if event.actor.mfa or mfa_used is None or mfa_used.lower() != "no":
            return None
        root = event.actor.kind == "Root"
        who = "the root user" if root else (event.actor.name or event.actor.id)
        return Finding(
            rule_id="aws.console.login-without-mfa",
            title="Console sign-in without MFA",
            severity=Severity.CRITICAL if root else Severity.MEDIUM,
            summary=who + " signed in to the AWS console without MFA" + from_ip(event),
            actor=event.actor.id,
            event_ids=[event.id],
            techniques=["T1078.004"],
            tags=["initial-access", "console", "mfa"],
            evidence=evidence(event, [("mfa_used", mfa_used)]),
        )

    def record_failure(self, event: Event) -> Optional[Finding]:
        key = principal(event)
        window = self.config.window_ms
        recent = [f for f in self.failures.get(key, []) if event.time - f[0] <= window]
        recent.append([event.time, event.id])
        if len(recent) < self.config.threshold:
            self.failures[key] = recent
            return None
        # Report once per burst: start counting afresh after a finding.
        self.failures.pop(key, None)
        host.log(LogLevel.DEBUG, "console-login: " + str(len(recent)) + " failures for " + key)
        return Finding(
            rule_id="aws.console.repeated-login-failures",
            title="Repeated console sign-in failures",
            severity=Severity.HIGH if event.actor.kind == "Root" else Severity.MEDIUM,
            summary=(
                str(len(recent))
                + " failed console sign-ins for "
                + key
                + " within "
                + str(window // MINUTE_MS)
                + " minutes"
                + from_ip(event)
            ),
            actor=event.actor.id,
            event_ids=[f[1] for f in recent],
            techniques=["T1110"],
            tags=["credential-access", "console", "brute-force"],
            evidence=evidence(event, [("failures", str(len(recent)))]),
        )


# The one detector of this component instance. It lives at module level, not on `WitWorld`,
# because componentize-py does not keep one `WitWorld` for the instance: when it initializes
# the component it calls `WitWorld()` once for *each* exported function and binds that
# export to its own object. So `configure`, `on_events`, `on_tick`, `snapshot` and `restore`
# each ran on a different `WitWorld`, and state one set (the parsed config, restored
# failures) was never seen by the others: every threshold behaved like the default.
# Module globals are shared by all of them and, like the rest of linear memory, are fresh
# for every instance the host creates.
DETECTOR = ConsoleLogin()


class WitWorld(wit_world.WitWorld):
    """The exported `detector` world. Keeps no state of its own: componentize-py makes one
    of these per exported function, so every export forwards to the shared `DETECTOR`."""

    def info(self) -> Info:
        return Info(
            name=NAME,
            version=VERSION,
            sources=["aws-cloudtrail"],
            # Only ConsoleLogin events cross into this plugin: the host filters the rest.
            actions=["ConsoleLogin"],
            fields=list(FIELDS),
            wants_raw=False,
            state=StateScope.ACTOR,
        )

    def configure(self, config: str) -> None:
        DETECTOR.configure(config)

    def on_events(self, batch: List[Event]) -> List[Finding]:
        return DETECTOR.on_events(batch)

    def on_tick(self, now: int) -> List[Finding]:
        return DETECTOR.on_tick(now)

    def snapshot(self) -> bytes:
        return DETECTOR.snapshot()

    def restore(self, state: bytes) -> None:
        DETECTOR.restore(state)


def from_ip(event: Event) -> str:
    return " from " + event.source_ip if event.source_ip else ""


def evidence(event: Event, extra: List[tuple]) -> List[Evidence]:
    pairs = list(extra)
    if event.source_ip:
        pairs.append(("source_ip", event.source_ip))
    if event.user_agent:
        pairs.append(("user_agent", event.user_agent))
    return [Evidence(key=k, value=v) for k, v in pairs]
