// The JavaScript SDK for trailhound detectors: it hides the generated bindings of the
// `trailhound:detector/detector@0.1.0` world the way the Rust SDK does.
//
// A detector module default-exports `detector({...})`: what it watches, and `onEvent`, which
// gets each event (times in milliseconds, projected fields by name) and returns findings made
// with `finding({...})`. The build (`trailhound plugin build`) wraps it into the world's
// exports with `bind`; `trailhound/testing` runs it under node's test runner with no WASM.

/** The severities a finding may have, lowest first. */
export const SEVERITIES = Object.freeze(['info', 'low', 'medium', 'high', 'critical']);
const STATE_SCOPES = ['none', 'actor', 'resource'];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];
const SPEC_KEYS = ['name', 'version', 'sources', 'actions', 'fields', 'wantsRaw', 'state',
  'configure', 'onEvent', 'onTick', 'snapshot', 'restore'];

/**
 * Declares a detector. `name`, `version` and `onEvent(event, ctx)` are required; `sources`
 * (log sources, default `['aws-cloudtrail']`), `actions` (the only actions it gets; empty: all),
 * `fields` (raw JSONPaths the host projects, read with `event.field(path)`), `wantsRaw`,
 * `state` ('actor' by default), `configure(config)`, `onTick(nowMs, ctx)`, `snapshot()` (any
 * JSON value) and `restore(value)` are optional.
 */
export function detector(spec) {
  const unknown = Object.keys(spec).filter((key) => !SPEC_KEYS.includes(key));
  if (unknown.length) throw new Error(`detector: unknown key(s) ${unknown.join(', ')}; known: ${SPEC_KEYS.join(', ')}`);
  for (const key of ['name', 'version']) {
    if (typeof spec[key] !== 'string' || !spec[key]) throw new Error(`detector: ${key} must be a non-empty string`);
  }
  if (typeof spec.onEvent !== 'function') throw new Error('detector: onEvent(event, ctx) is required');
  const fields = [...(spec.fields ?? [])];
  for (const path of fields) {
    if (typeof path !== 'string' || !path.startsWith('$')) throw new Error(`detector: field ${JSON.stringify(path)} is not a JSONPath (it starts with $)`);
  }
  const state = spec.state ?? 'actor';
  if (!STATE_SCOPES.includes(state)) throw new Error(`detector: state ${JSON.stringify(state)}: one of ${STATE_SCOPES.join(', ')}`);
  return Object.freeze({ ...spec, sources: [...(spec.sources ?? ['aws-cloudtrail'])], actions: [...(spec.actions ?? [])], fields, wantsRaw: Boolean(spec.wantsRaw), state });
}

/**
 * A finding. `ruleId`, `title`, `severity` (one of SEVERITIES) and `summary` are required;
 * `actor` and `eventIds` default to the event's, `techniques` (ATT&CK ids), `tags` and
 * `evidence` (an object of strings, or `[{key, value}]`) to none.
 */
export function finding({ ruleId, title, severity, summary, actor, eventIds, techniques = [], tags = [], evidence = {}, ...rest }) {
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`finding: unknown key(s) ${unknown.join(', ')}`);
  for (const [key, value] of [['ruleId', ruleId], ['title', title], ['summary', summary]]) {
    if (typeof value !== 'string' || !value) throw new Error(`finding: ${key} must be a non-empty string`);
  }
  if (!SEVERITIES.includes(severity)) throw new Error(`finding ${ruleId}: unknown severity ${JSON.stringify(severity)}: one of ${SEVERITIES.join(', ')}`);
  const pairs = Array.isArray(evidence) ? evidence : Object.entries(evidence).map(([key, value]) => ({ key, value }));
  return {
    ruleId, title, severity, summary, actor, eventIds: eventIds && [...eventIds],
    techniques: [...techniques], tags: [...tags],
    evidence: pairs.map(({ key, value }) => ({ key: String(key), value: String(value) })),
  };
}

/** An event as `onEvent` sees it: the contract's record, times in ms, fields by name. */
class Event {
  #fields;
  #declared;

  constructor(raw, declared) {
    Object.assign(this, raw);
    this.time = Number(raw.time);
    this.#fields = raw.fields;
    this.#declared = declared;
    delete this.fields;
  }

  /** The projected value of `path` (one of the detector's `fields`), or undefined. */
  field(path) {
    const index = this.#declared.indexOf(path);
    if (index < 0) throw new Error(`field ${JSON.stringify(path)} is not declared in the detector's fields (${JSON.stringify(this.#declared)})`);
    return this.#fields[index] ?? undefined;
  }
}

/** Wraps `plugin` (from `detector`) into the world's exports, its imports from `host`. */
export function bind(plugin, host) {
  const ctx = {
    log(level, message) {
      if (!LOG_LEVELS.includes(level)) throw new Error(`log: level ${JSON.stringify(level)}: one of ${LOG_LEVELS.join(', ')}`);
      host.log(level, String(message));
    },
    count(name, delta = 1) { host.counterAdd(name, BigInt(delta)); },
    gauge(name, value) { host.gaugeSet(name, Number(value)); },
  };
  // An exception that leaves a call traps the instance with no message, so it is logged first.
  const guarded = (what, call) => {
    try {
      return call();
    } catch (error) {
      host.log('error', `${plugin.name}: ${what}: ${error?.stack ?? error}`);
      throw error;
    }
  };
  const lower = (result, event) => [result ?? []].flat().map((f) => ({
    ...f,
    actor: f.actor ?? event?.actor?.id,
    eventIds: f.eventIds ?? (event ? [event.id] : []),
  }));
  return {
    info: () => ({ name: plugin.name, version: plugin.version, sources: plugin.sources, actions: plugin.actions, fields: plugin.fields, wantsRaw: plugin.wantsRaw, state: plugin.state }),
    configure(text) {
      let config = {};
      try {
        config = text.trim() ? JSON.parse(text) ?? {} : {};
      } catch (error) {
        throw `${plugin.name} config: not JSON: ${error.message}`;
      }
      try {
        plugin.configure?.(config);
      } catch (error) {
        throw `${plugin.name} config: ${error?.message ?? error}`;
      }
    },
    onEvents: (batch) => guarded('onEvent', () => batch.flatMap((raw) => {
      const event = new Event(raw, plugin.fields);
      return lower(plugin.onEvent(event, ctx), event);
    })),
    onTick: (now) => guarded('onTick', () => lower(plugin.onTick?.(Number(now), ctx))),
    snapshot: () => guarded('snapshot', () => new TextEncoder().encode(JSON.stringify(plugin.snapshot?.() ?? null))),
    restore(bytes) {
      try {
        plugin.restore?.(JSON.parse(new TextDecoder().decode(bytes)));
      } catch (error) {
        throw `${plugin.name} snapshot is unreadable: ${error?.message ?? error}`;
      }
    },
  };
}
